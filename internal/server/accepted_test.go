package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/api"
)

// postBuild reports m with ?wait=30s and decodes the answer, which must have
// status want.
func (h *harness) postBuild(t *testing.T, token string, m map[string]any, want int) (api.BuildResponse, response) {
	t.Helper()
	res := h.do(t, request{method: "POST", path: "/api/v1/builds?wait=30s", token: token, body: jsonBody(m)})
	var br api.BuildResponse
	decode(t, res, want, &br)
	if loc := res.header.Get("Location"); loc != "/api/v1/releases/"+br.Release.ID {
		t.Errorf("Location %q, want /api/v1/releases/%s", loc, br.Release.ID)
	}
	return br, res
}

func testAcceptedBuilds(t *testing.T, h *harness) {
	const sourceCommit = "9f2c1e0a7b3d4c5e6f708192a3b4c5d6e7f80912"
	const ciRun = "https://ci.example.com/acme/payments/runs/42"
	payments := h.build("payments", "payments", "1.4.2",
		"digest", h.paymentsDigest.String(),
		"source_repo", "https://git.example.com/acme/payments",
		"source_commit", sourceCommit,
		"source_branch", "main",
		"ci_run_url", ciRun)
	var first api.BuildResponse

	t.Run("kustomize build is committed", func(t *testing.T) {
		before := h.written(t)
		br, _ := h.postBuild(t, tokCI, payments, http.StatusAccepted)
		first = br
		ref := h.regHost + "/acme/payments:1.4.2@" + h.paymentsDigest.String()
		r, p := br.Release, br.Promotion
		if br.Duplicate || r.Application != "payments" || r.Tag != "1.4.2" || r.Digest != h.paymentsDigest.String() ||
			r.Reference != ref || r.ReportedBy != "ci-payments" || r.SourceCommit != sourceCommit || r.CIRunURL != ciRun {
			t.Errorf("release = %+v", r)
		}
		if p.State != "committed" || p.Environment != "dev" || p.ReleaseID != r.ID || p.Noop || p.Reason != "" {
			t.Errorf("promotion = %+v, want committed into dev", p)
		}
		head := git(t, h.bare, "rev-parse", "main")
		if p.CommitSHA != head || head == before.head {
			t.Fatalf("commit_sha %s, branch head %s (was %s)", p.CommitSHA, head, before.head)
		}
		if parent := git(t, h.bare, "rev-parse", "main^"); parent != before.head {
			t.Errorf("parent of the commit is %s, want the previous head %s", parent, before.head)
		}
		// Only the dev overlay changed, and only on the pinned lines.
		const path = "envs/dev/payments/kustomization.yaml"
		if got := git(t, h.bare, "diff", "--numstat", before.head, head); got != "2\t1\t"+path {
			t.Errorf("git diff --numstat = %q, want one file, +2 -1", got)
		}
		want := strings.Replace(string(h.seedPaymentsDev), `    newTag: "1.4.0"`+"\n",
			`    newTag: "1.4.2"`+"\n    digest: "+h.paymentsDigest.String()+"\n", 1)
		if got := git(t, h.bare, "show", head+":"+path) + "\n"; got != want {
			t.Errorf("%s after the commit:\n%s\nwant:\n%s", path, got, want)
		}
		wantSubject := "payments: dev ← 1.4.2 (" + h.paymentsDigest.String()[:len("sha256:")+8] + ")"
		for format, want := range map[string]string{
			"%s":        wantSubject,
			"%an <%ae>": "Ferry <ferry@localhost>",
			"%(trailers:key=Ferry-Release,valueonly)":       r.ID,
			"%(trailers:key=Ferry-Promotion,valueonly)":     p.ID,
			"%(trailers:key=Ferry-Image,valueonly)":         ref,
			"%(trailers:key=Ferry-Source-Commit,valueonly)": sourceCommit,
			"%(trailers:key=Ferry-CI-Run,valueonly)":        ciRun,
		} {
			if got := strings.TrimSpace(git(t, h.bare, "log", "-1", "--format="+format, head)); got != want {
				t.Errorf("git log --format=%s = %q, want %q", format, got, want)
			}
		}
		after := h.written(t)
		if after.releases != before.releases+1 || after.promotions != before.promotions+1 {
			t.Errorf("store went from %+v to %+v, want one release and one promotion more", before, after)
		}
	})

	t.Run("the same report again is a duplicate", func(t *testing.T) {
		before := h.written(t)
		br, _ := h.postBuild(t, tokCI, payments, http.StatusOK)
		if !br.Duplicate || br.Release.ID != first.Release.ID || br.Promotion.ID != first.Promotion.ID {
			t.Errorf("answer = %+v, want duplicate of release %s", br, first.Release.ID)
		}
		if after := h.written(t); after != before {
			t.Errorf("a duplicate wrote: before %+v, after %+v", before, after)
		}
	})

	t.Run("tag only pins the digest the registry serves", func(t *testing.T) {
		before := h.written(t)
		br, _ := h.postBuild(t, tokCI, h.build("payments", "payments", "1.4.3"), http.StatusAccepted)
		if br.Release.Digest != h.payments143.String() {
			t.Errorf("digest %s, want the registry's %s", br.Release.Digest, h.payments143)
		}
		head := git(t, h.bare, "rev-parse", "main")
		if br.Promotion.State != "committed" || br.Promotion.CommitSHA != head || head == before.head {
			t.Errorf("promotion %+v, head %s", br.Promotion, head)
		}
		got := git(t, h.bare, "show", head+":envs/dev/payments/kustomization.yaml")
		if !strings.Contains(got, `newTag: "1.4.3"`+"\n    digest: "+h.payments143.String()+"\n") {
			t.Errorf("dev overlay does not pin 1.4.3:\n%s", got)
		}
	})

	t.Run("multi-arch index digest on a helm target", func(t *testing.T) {
		before := h.written(t)
		br, _ := h.postBuild(t, tokAdmin, h.build("checkout", "checkout", "3.0.0", "digest", h.checkoutIndex.String()), http.StatusAccepted)
		if br.Release.Digest != h.checkoutIndex.String() || br.Release.ReportedBy != "admin" {
			t.Errorf("release = %+v", br.Release)
		}
		head := git(t, h.bare, "rev-parse", "main")
		if br.Promotion.State != "committed" || br.Promotion.CommitSHA != head {
			t.Fatalf("promotion %+v, head %s", br.Promotion, head)
		}
		const path = "charts/checkout/values-dev.yaml"
		if got := git(t, h.bare, "diff", "--numstat", before.head, head); got != "2\t2\t"+path {
			t.Errorf("git diff --numstat = %q, want one file, +2 -2", got)
		}
		want := strings.NewReplacer(
			"  tag: 2.0.0        # set by Ferry\n", "  tag: 3.0.0        # set by Ferry\n",
			`  digest: ""`+"\n", `  digest: "`+h.checkoutIndex.String()+`"`+"\n",
		).Replace(string(h.seedCheckoutDev))
		if got := git(t, h.bare, "show", head+":"+path) + "\n"; got != want {
			t.Errorf("%s after the commit:\n%s\nwant:\n%s", path, got, want)
		}
	})

	t.Run("value already set is a no-op", func(t *testing.T) {
		before := h.written(t)
		br, _ := h.postBuild(t, tokAdmin, h.build("notifier", "notifier", "0.9.1", "digest", h.notifierDigest.String()), http.StatusAccepted)
		p := br.Promotion
		if p.State != "committed" || !p.Noop || p.CommitSHA != before.head {
			t.Errorf("promotion = %+v, want committed, noop, at head %s", p, before.head)
		}
		after := h.written(t)
		if after.head != before.head {
			t.Errorf("a no-op made commit %s", after.head)
		}
		if after.releases != before.releases+1 || after.promotions != before.promotions+1 {
			t.Errorf("store went from %+v to %+v, want one release and one promotion more", before, after)
		}
	})
}
