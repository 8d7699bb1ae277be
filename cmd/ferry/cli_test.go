package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/api"
)

func TestApprovalSummarySaysWhatCounted(t *testing.T) {
	open := func(reason string, approvers ...string) api.Promotion {
		return api.Promotion{State: "pr-open", Reason: reason, Approvers: approvers}
	}
	for _, tc := range []struct {
		name          string
		before, after api.Promotion
		want          string
	}{
		{"first of two", open(""), open("waiting for approvals: 1 of 2 (POST …)", "dev"),
			"approved by dev: 1 of 2 approvals (dev); waiting for one more distinct approver"},
		{"first of three", open(""), open("waiting for approvals: 1 of 3", "alice"),
			"approved by alice: 1 of 3 approvals (alice); waiting for 2 more distinct approvers"},
		{"same token twice", open("", "alice"), open("waiting for approvals: 1 of 2", "alice"),
			"your approval was already counted (each token counts once): 1 of 2 approvals (alice); waiting for one more distinct approver"},
		{"merged", open("", "alice"), api.Promotion{State: "merged", Approvers: []string{"alice", "bob"}, MergeSHA: "0123456789abcdef"},
			"approved by bob: 2 approvals (alice, bob); merged 0123456789ab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := approvalSummary(tc.before, tc.after); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestTableHasNoTrailingSpaces(t *testing.T) {
	var b bytes.Buffer
	tb := newTable(&b, "APPLICATION", "ENVIRONMENT", "IN FLIGHT")
	tb.row("payments", "dev", "")
	tb.row("payments", "stage", "1.4.2 pr-open prm_1")
	tb.flush()
	want := "APPLICATION  ENVIRONMENT  IN FLIGHT\npayments     dev\npayments     stage        1.4.2 pr-open prm_1\n"
	if b.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", b.String(), want)
	}
}

func TestUsageErrorsExit2AndNameTheArguments(t *testing.T) {
	for _, args := range [][]string{{"approve"}, {"cancel", "a", "b"}, {"bogus"}, {"history", "--output", "yaml"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("ferry %v: exit %d, want 2", args, code)
		}
		if args[0] == "approve" && !strings.Contains(errOut.String(), "usage: ferry approve PROMOTION") {
			t.Errorf("ferry approve: stderr %q does not name its argument", errOut.String())
		}
	}
	var out bytes.Buffer
	if code := run([]string{"approve", "--help"}, &out, &out); code != 0 || !strings.Contains(out.String(), "ferry approve PROMOTION") {
		t.Errorf("ferry approve --help: exit %d:\n%s", code, out.String())
	}
}

func TestCompletionScriptsForEveryShell(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		var out, errOut bytes.Buffer
		if code := run([]string{"completion", sh}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "ferry") {
			t.Errorf("ferry completion %s: exit %d, %d bytes, %s", sh, code, out.Len(), errOut.String())
		}
	}
}
