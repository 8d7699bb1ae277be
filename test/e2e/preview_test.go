package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// storeCounts is how many releases and promotions Ferry reports.
func (s *stack) storeCounts(t *testing.T) string {
	t.Helper()
	var n []int
	for _, path := range []string{"/api/v1/releases?limit=100", "/api/v1/promotions?limit=100"} {
		r := s.f.call(t, http.MethodGet, path, readToken, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		r.json(t, &page)
		n = append(n, len(page.Items))
	}
	return fmt.Sprint(n)
}

var hunkHeading = regexp.MustCompile(`(?m)^(@@ [^@]+ @@).*$`)

// gitFileDiff is git's diff of path between two commits from its "---"
// line on, without the section names git adds to hunk headings.
func gitFileDiff(t *testing.T, bare, from, to, path string) string {
	t.Helper()
	// Not git(): it trims the output, and a diff's last line may be a
	// blank context line.
	out, err := exec.Command("git", "-C", bare, "diff", "--no-color", from, to, "--", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	d := string(out)
	if i := strings.Index(d, "--- "); i >= 0 {
		d = d[i:]
	}
	return hunkHeading.ReplaceAllString(d, "$1")
}

func TestDryRunWritesNothingAndShowsTheDiffThatFollows(t *testing.T) {
	s := startStack(t)
	image := s.reg.host + "/acme/payments"
	digest := s.reg.push(t, "acme/payments", "1.4.2")
	before, counts, objects := s.head(t), s.storeCounts(t), git(t, s.bare, "count-objects", "-v")

	body := strings.TrimSuffix(buildBody("payments", image, "1.4.2", digest), "}") + `,"dry_run":true}`
	r := s.f.call(t, http.MethodPost, "/api/v1/builds", ciToken, strings.NewReader(body), "Idempotency-Key", "build-142")
	if r.status != http.StatusOK {
		t.Fatalf("dry run: status %d: %s", r.status, r.body)
	}
	var pv struct {
		DryRun   bool `json:"dry_run"`
		Previews []struct {
			Environment, Branch, Head, Message string
			Held                               bool
			Files                              []struct{ Path, Diff string }
			Gates                              []struct{ Gate string }
		}
	}
	r.json(t, &pv)
	if !pv.DryRun || len(pv.Previews) != 1 {
		t.Fatalf("answer: %s", r.body)
	}
	p := pv.Previews[0]
	if p.Environment != "dev" || p.Head != before || p.Held || len(p.Files) != 1 || len(p.Gates) == 0 {
		t.Fatalf("preview: %s", r.body)
	}
	if !strings.Contains(p.Message, "payments: dev ← 1.4.2") {
		t.Errorf("message = %q", p.Message)
	}

	writes := 0
	if h := s.head(t); h != before {
		writes++
		t.Errorf("head moved: %s → %s", before, h)
	}
	if c := s.storeCounts(t); c != counts {
		writes++
		t.Errorf("store counts %s → %s", counts, c)
	}
	if o := git(t, s.bare, "count-objects", "-v"); o != objects {
		writes++
		t.Errorf("objects:\n%s\n→\n%s", objects, o)
	}

	// The real report with the same Idempotency-Key is a new request: the
	// dry run left no record that would answer it (or refuse its body).
	r = s.f.call(t, http.MethodPost, "/api/v1/builds?wait=60s", ciToken,
		strings.NewReader(buildBody("payments", image, "1.4.2", digest)), "Idempotency-Key", "build-142")
	if r.status != http.StatusAccepted {
		t.Fatalf("real report: status %d: %s", r.status, r.body)
	}
	var a buildAnswer
	r.json(t, &a)
	if a.Promotion.State != "committed" {
		t.Fatalf("promotion = %+v", a.Promotion)
	}
	got := gitFileDiff(t, s.bare, before, a.Promotion.CommitSHA, p.Files[0].Path)
	equal := got == p.Files[0].Diff
	if !equal {
		t.Errorf("preview diff:\n%s\ncommit diff:\n%s", p.Files[0].Diff, got)
	}
	// The promotion keeps the diff it applied.
	r = s.f.call(t, http.MethodGet, "/api/v1/promotions/"+a.Promotion.ID, readToken, nil)
	var kept struct{ Diff string }
	r.json(t, &kept)
	if kept.Diff != got {
		equal = false
		t.Errorf("promotion's diff:\n%s\ncommit diff:\n%s", kept.Diff, got)
	}

	// The message is the one written, but for the ids the dry run made up
	// and did not keep.
	if msg := git(t, s.bare, "log", "-1", "--format=%B", a.Promotion.CommitSHA); withoutIDs(msg) != withoutIDs(p.Message) {
		t.Errorf("commit message:\n%s\npreview message:\n%s", msg, p.Message)
	}
	fmt.Printf("preview: dry_run_writes=%d diff_equal=%t\n", writes, equal)
}

var idTrailer = regexp.MustCompile(`(?m)^Ferry-(Release|Promotion): .*$`)

func withoutIDs(msg string) string {
	return strings.TrimSpace(idTrailer.ReplaceAllString(msg, ""))
}
