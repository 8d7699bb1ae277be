package server

import (
	"net/http"
	"strings"
	"testing"
)

// TestBuildURLWithCredentialsRefused: a source_repo or ci_run_url that
// carries credentials (GitLab's CI_REPOSITORY_URL has the job token in it)
// is refused with 400 invalid_field naming the field and saying how to fix
// it; the answer does not repeat the secret, and nothing is written (it
// would have landed in commit messages and trailers for good).
func TestBuildURLWithCredentialsRefused(t *testing.T) {
	h := newHarness(t)
	h.waitReady(t)
	const secret = "glpat-s3cr3tT0k3nValue"
	for _, tc := range []struct{ field, url string }{
		{"source_repo", "https://gitlab-ci-token:" + secret + "@gitlab.example.com/acme/payments.git"},
		{"source_repo", "https://" + secret + "@github.com/acme/payments"},
		{"ci_run_url", "https://user:" + secret + "@ci.example.com/runs/42"},
		{"ci_run_url", "http://" + secret + ":@ci.example.com/runs/42"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			before := h.written(t)
			res := h.do(t, request{method: "POST", path: "/api/v1/builds", token: tokAdmin,
				body: jsonBody(h.build("payments", "payments", "1.4.2", tc.field, tc.url))})
			p := wantProblem(t, res, http.StatusBadRequest, "invalid_field")
			if !strings.HasPrefix(p.Detail, tc.field+": must not carry credentials") {
				t.Errorf("detail %q, want it to name %s and say why", p.Detail, tc.field)
			}
			if strings.Contains(string(res.body), secret) || strings.Contains(res.header.Get("Location"), secret) {
				t.Errorf("the answer repeats the secret: %s", res.body)
			}
			if after := h.written(t); after != before {
				t.Errorf("a refused build wrote: before %+v, after %+v", before, after)
			}
		})
	}
	if log := git(t, h.bare, "log", "-p", "--all"); strings.Contains(log, secret) {
		t.Error("the secret reached Git")
	}
}
