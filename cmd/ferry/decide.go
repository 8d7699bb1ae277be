package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryhq/ferry/api"
)

func newDecideCmd(verb string, stdout, stderr io.Writer) *cobra.Command {
	var (
		cf     clientFlags
		out    outputFlag
		reason string
	)
	cmd := &cobra.Command{
		Use:   verb + " PROMOTION",
		Args:  cobra.ExactArgs(1),
		Short: "Approve a built-in pull request (counted once per token)",
		Long: `Approve the built-in pull request of PROMOTION (an id from "ferry history" or
"ferry status"). Each token counts once; Ferry merges when the environment's
required number of distinct approvals is reached. The answer says what counted.`,
		Example:           "  ferry approve prm_0193…",
		ValidArgsFunction: completePromotions(&cf, true),
		RunE: func(_ *cobra.Command, args []string) error {
			return exit(runDecide(cf.client(30*time.Second), verb, args[0], reason, out, stdout, stderr))
		},
	}
	if verb == "cancel" {
		cmd.Short = "Cancel a promotion that has not completed"
		cmd.Long = `Cancel PROMOTION (an id from "ferry history" or "ferry status"): an open
built-in pull request, or a promotion still pending or waiting.`
		cmd.Example = `  ferry cancel prm_0193… --reason "wrong build"`
		cmd.Flags().StringVar(&reason, "reason", "", "why, recorded with the promotion")
	}
	cf.register(cmd, "promotions:write")
	out.register(cmd, false)
	return cmd
}

// settleWait bounds how long approve waits for Ferry to count an approval
// (the worker re-evaluates the promotion right after it is recorded).
const settleWait = 5 * time.Second

// runDecide approves or cancels a promotion (built-in pull requests).
func runDecide(c *client, verb, id, reason string, out outputFlag, stdout, stderr io.Writer) int {
	ctx := context.Background()
	path := "/api/v1/promotions/" + url.PathEscape(id)
	var before api.Promotion
	if verb == "approve" {
		if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &before); err != nil {
			fmt.Fprintf(stderr, "ferry %s: %v\n", verb, err)
			return exitCode(err)
		}
	}
	var body any
	if reason != "" {
		body = api.CancelRequest{Reason: reason}
	}
	var p api.Promotion
	if _, err := c.do(ctx, http.MethodPost, path+"/"+verb, body, nil, &p); err != nil {
		fmt.Fprintf(stderr, "ferry %s: %v\n", verb, err)
		return exitCode(err)
	}
	if verb == "approve" {
		p = settle(ctx, c, path, p)
	}
	if out.json() {
		return writeJSON(stdout, p)
	}
	if verb == "approve" {
		fmt.Fprintf(stdout, "promotion %s: %s → %s: %s\n", p.ID, p.Application, p.Environment, approvalSummary(before, p))
		return 0
	}
	fmt.Fprintf(stdout, "promotion %s: %s → %s: %s", p.ID, p.Application, p.Environment, p.State)
	if p.Reason != "" {
		fmt.Fprintf(stdout, " (%s)", p.Reason)
	}
	fmt.Fprintln(stdout)
	return 0
}

// settle re-reads an approved promotion until Ferry has counted the
// approval (it merged, or says how many it waits for), or settleWait ends.
func settle(ctx context.Context, c *client, path string, p api.Promotion) api.Promotion {
	deadline := time.Now().Add(settleWait)
	for p.State == "pr-open" && waitingFor(p.Reason) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		var q api.Promotion
		if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &q); err != nil {
			break
		}
		p = q
	}
	return p
}

var approvalsRE = regexp.MustCompile(`approvals: (\d+) of (\d+)`)

// waitingFor returns the approvals required, from the reason Ferry gives
// an open pull request ("waiting for approvals: 1 of 2"), or 0.
func waitingFor(reason string) int {
	m := approvalsRE.FindStringSubmatch(reason)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[2])
	return n
}

// approvalSummary says exactly what an approval counted for, e.g.
// "approved by dev: 1 of 2 approvals (dev); waiting for one more distinct approver".
func approvalSummary(before, p api.Promotion) string {
	got := len(p.Approvers)
	who := "you"
	if got > 0 {
		who = p.Approvers[got-1]
	}
	head := fmt.Sprintf("approved by %s", who)
	if got == len(before.Approvers) {
		head = "your approval was already counted (each token counts once)"
	}
	switch p.State {
	case "merged":
		return fmt.Sprintf("%s: %s (%s); merged %s", head, plural(got, "approval"), joinNames(p.Approvers), short(p.MergeSHA, 12))
	case "pr-open":
	default:
		return fmt.Sprintf("%s; promotion is %s: %s", head, p.State, p.Reason)
	}
	need := waitingFor(p.Reason)
	if need == 0 {
		return fmt.Sprintf("%s: %s so far (%s); %s", head, plural(got, "approval"), joinNames(p.Approvers), p.Reason)
	}
	if got >= need {
		return fmt.Sprintf("%s: %d of %d approvals (%s); merging", head, got, need, joinNames(p.Approvers))
	}
	more := "one more distinct approver"
	if need-got > 1 {
		more = fmt.Sprintf("%d more distinct approvers", need-got)
	}
	return fmt.Sprintf("%s: %d of %d approvals (%s); waiting for %s", head, got, need, joinNames(p.Approvers), more)
}

func joinNames(names []string) string { return strings.Join(names, ", ") }

// plural returns "1 approval", "2 approvals".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
