package server

import (
	"context"
	"net/http"
	"testing"
)

// testStatuses (part of TestAPI): a deploy tool with
// statuses:write posts a commit status that the built-in provider's health
// gate then reads; bad input is a problem and writes nothing; other scopes
// are refused.
func testStatuses(t *testing.T, h *harness) {
	const sha = "3f2a9c1d0b7e3f2a9c1d0b7e3f2a9c1d0b7e3f2a"
	ok := `{"repository":"envs","sha":"` + sha + `","context":"argocd/payments-dev","state":"failure",` +
		`"description":"Degraded","target_url":"https://argocd.example/applications/payments-dev"}`
	res := h.do(t, request{method: http.MethodPost, path: "/api/v1/statuses", token: tokStatuses, body: ok})
	if res.status != http.StatusCreated {
		t.Fatalf("POST /api/v1/statuses = %d %s", res.status, res.body)
	}
	got, err := h.store.Statuses(context.Background(), "envs", sha)
	if err != nil || len(got) != 1 || got[0].State != "failure" || got[0].Description != "Degraded" ||
		got[0].TargetURL != "https://argocd.example/applications/payments-dev" || got[0].CreatedAt.IsZero() {
		t.Fatalf("stored = %+v, %v", got, err)
	}

	for _, tc := range []struct{ name, body string }{
		{"unknown state", `{"repository":"envs","sha":"` + sha + `","context":"c","state":"green"}`},
		{"not a commit", `{"repository":"envs","sha":"main","context":"c","state":"success"}`},
		{"no context", `{"repository":"envs","sha":"` + sha + `","context":"","state":"success"}`},
		{"target not a URL", `{"repository":"envs","sha":"` + sha + `","context":"c","state":"success","target_url":"javascript:alert(1)"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := h.do(t, request{method: http.MethodPost, path: "/api/v1/statuses", token: tokStatuses, body: tc.body, invalid: true})
			wantProblem(t, res, http.StatusBadRequest, "invalid_field")
		})
	}
	res = h.do(t, request{method: http.MethodPost, path: "/api/v1/statuses", token: tokPromoter, body: ok})
	wantProblem(t, res, http.StatusForbidden, "forbidden")
	if got, _ := h.store.Statuses(context.Background(), "envs", sha); len(got) != 1 {
		t.Errorf("%d statuses after refused posts, want 1", len(got))
	}
}
