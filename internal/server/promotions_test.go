package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/promotion"
)

// promotionCount counts the promotions in the store, every environment.
func (h *harness) promotionCount(t *testing.T) int {
	t.Helper()
	n := 0
	f := promotion.PromotionFilter{Limit: 500}
	for {
		page, err := h.store.ListPromotions(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Items)
		if f.Cursor = page.Next; f.Cursor == "" {
			return n
		}
	}
}

// awaitPromotion waits for the newest promotion of app into env (of
// release, when not empty) to reach state, and returns it as GET
// /api/v1/promotions/{id} answers.
func (h *harness) awaitPromotion(t *testing.T, app, env, release, state string) api.Promotion {
	t.Helper()
	path := "/api/v1/promotions?application=" + app + "&environment=" + env
	if release != "" {
		path += "&release=" + release
	}
	deadline := time.Now().Add(20 * time.Second)
	last := "none"
	for time.Now().Before(deadline) {
		var l api.PromotionList
		decode(t, h.do(t, request{method: "GET", path: path, token: tokRead}), http.StatusOK, &l)
		if len(l.Items) > 0 {
			last = l.Items[0].State + ": " + l.Items[0].Reason
			if l.Items[0].State == state {
				return h.getPromotion(t, l.Items[0].ID)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("promotion of %s into %s never reached %s (last: %s)", app, env, state, last)
	return api.Promotion{}
}

func (h *harness) getPromotion(t *testing.T, id string) api.Promotion {
	t.Helper()
	return decodePromotion(t, h.do(t, request{method: "GET", path: "/api/v1/promotions/" + id, token: tokRead}), http.StatusOK)
}

// decodePromotion decodes a Promotion answer of status want into a fresh value.
func decodePromotion(t *testing.T, res response, want int) api.Promotion {
	t.Helper()
	var p api.Promotion
	decode(t, res, want, &p)
	return p
}

func promoteBody(app, env, release string, extra ...any) string {
	m := map[string]any{"application": app, "environment": env, "release": release}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return jsonBody(m)
}

// testPromotionsRefused sends promotion requests that must be refused and
// write nothing: wrong credentials, malformed bodies, unknown names. It
// runs in TestAPI, whose harness has the built-in provider only.
func testPromotionsRefused(t *testing.T, h *harness) {
	before, beforeAll := h.written(t), h.promotionCount(t)
	good := promoteBody("payments", "stage", "1.4.2")
	tests := []struct {
		name    string
		req     request
		status  int
		code    string
		wwwAuth bool
	}{
		{"no token", request{method: "POST", path: "/api/v1/promotions", body: good, invalid: true}, 401, "unauthorized", true},
		{"unknown token", request{method: "POST", path: "/api/v1/promotions", token: "nope", body: good}, 401, "unauthorized", true},
		{"read token", request{method: "POST", path: "/api/v1/promotions", token: tokRead, body: good}, 403, "forbidden", false},
		{"CI token", request{method: "POST", path: "/api/v1/promotions", token: tokCI, body: good}, 403, "forbidden", false},
		{"builds and read token", request{method: "POST", path: "/api/v1/promotions", token: tokAdmin, body: good}, 403, "forbidden", false},
		{"another application's token", request{method: "POST", path: "/api/v1/promotions", token: tokCheckout, body: good}, 403, "forbidden", false},
		{"another environment's token", request{method: "POST", path: "/api/v1/promotions", token: tokStage,
			body: promoteBody("payments", "prod", "1.4.2")}, 403, "forbidden", false},
		{"approve with a read token", request{method: "POST", path: "/api/v1/promotions/prm_x/approve", token: tokRead}, 403, "forbidden", false},
		{"approve with a CI token", request{method: "POST", path: "/api/v1/promotions/prm_x/approve", token: tokCI}, 403, "forbidden", false},
		{"cancel with a read token", request{method: "POST", path: "/api/v1/promotions/prm_x/cancel", token: tokRead}, 403, "forbidden", false},
		{"cancel without a token", request{method: "POST", path: "/api/v1/promotions/prm_x/cancel", invalid: true}, 401, "unauthorized", true},
		{"not JSON", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter, body: "{", invalid: true}, 400, "invalid_json", false},
		{"unknown field", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payments", "stage", "1.4.2", "forse", true), invalid: true}, 400, "unknown_field", false},
		{"force not a boolean", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payments", "stage", "1.4.2", "force", "yes"), invalid: true}, 400, "invalid_json", false},
		{"uppercase environment", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payments", "Stage", "1.4.2"), invalid: true}, 400, "invalid_field", false},
		{"no release", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: `{"application":"payments","environment":"stage"}`, invalid: true}, 400, "invalid_field", false},
		{"release with a newline", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payments", "stage", "1.4.2\n"), invalid: true}, 400, "invalid_field", false},
		{"reason with a tab", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payments", "stage", "1.4.2", "reason", "a\tb"), invalid: true}, 400, "invalid_field", false},
		{"unknown application", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payment", "stage", "1.4.2")}, 404, "unknown_application", false},
		{"unknown environment", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payments", "qa", "1.4.2")}, 404, "unknown_environment", false},
		{"unknown tag", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payments", "stage", "9.9.9")}, 404, "unknown_release", false},
		{"unknown digest", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payments", "stage", "sha256:"+strings.Repeat("0", 64))}, 404, "unknown_release", false},
		{"unknown release id", request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payments", "stage", "rel_nope")}, 404, "unknown_release", false},
		{"approve an unknown promotion", request{method: "POST", path: "/api/v1/promotions/prm_nope/approve", token: tokPromoter}, 404, "not_found", false},
		{"cancel an unknown promotion", request{method: "POST", path: "/api/v1/promotions/prm_nope/cancel", token: tokPromoter}, 404, "not_found", false},
		{"cancel with an unknown field", request{method: "POST", path: "/api/v1/promotions/prm_nope/cancel", token: tokPromoter,
			body: `{"why":"x"}`, invalid: true}, 400, "unknown_field", false},
		{"cancel with a long reason", request{method: "POST", path: "/api/v1/promotions/prm_nope/cancel", token: tokPromoter,
			body: jsonBody(map[string]any{"reason": strings.Repeat("r", 1001)}), invalid: true}, 400, "invalid_field", false},
		{"webhook for a repository without a Git host", request{method: "POST", path: "/api/v1/scm/env/webhook", body: `{"action":"closed"}`,
			header: map[string]string{"X-GitHub-Event": "pull_request", "X-Hub-Signature-256": "sha256=00"}}, 404, "not_found", false},
		{"webhook for an unknown repository", request{method: "POST", path: "/api/v1/scm/nope/webhook", body: `{}`}, 404, "not_found", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do(t, tt.req)
			wantProblem(t, res, tt.status, tt.code)
			if got := res.header.Get("WWW-Authenticate") != ""; got != tt.wwwAuth {
				t.Errorf("WWW-Authenticate %q", res.header.Get("WWW-Authenticate"))
			}
		})
	}
	if after := h.written(t); after != before {
		t.Errorf("refused requests wrote: %+v, before %+v", after, before)
	}
	if n := h.promotionCount(t); n != beforeAll {
		t.Errorf("refused requests recorded promotions: %d, before %d", n, beforeAll)
	}
}

// TestPromotionsBuiltin drives manual promotions, approvals and
// cancellations of built-in pull requests through the API, on the example
// pipeline: dev by commit, stage by a pull request with one approval, prod
// with a 10-minute soak and two approvals.
func TestPromotionsBuiltin(t *testing.T) {
	h := newHarness(t)
	h.waitReady(t)
	ctx := context.Background()

	br, _ := h.postBuild(t, tokAdmin, h.build("payments", "payments", "1.4.2", "digest", h.paymentsDigest.String()), http.StatusAccepted)
	rel := br.Release.ID
	stage := h.awaitPromotion(t, "payments", "stage", rel, "pr-open")
	if !strings.HasPrefix(stage.PRBranch, "ferry/payments/stage.") || stage.PRNumber != 1 || stage.PRURL != "/pulls/env/1" || stage.RequestedBy != "ferry" {
		t.Errorf("stage promotion: %+v", stage)
	}

	// prod is promoted from stage, which 1.4.2 has not reached.
	res := h.do(t, request{method: "POST", path: "/api/v1/promotions", token: tokPromoter, body: promoteBody("payments", "prod", "1.4.2")})
	wantProblem(t, res, http.StatusUnprocessableEntity, "skips_environment")

	// One approval merges the stage pull request.
	p := decodePromotion(t, h.do(t, request{method: "POST", path: "/api/v1/promotions/" + stage.ID + "/approve", token: tokPromoter}), http.StatusOK)
	if !slices.Equal(p.Approvers, []string{"promoter"}) || (p.State != "pr-open" && p.State != "merged") {
		t.Errorf("approved: %s %v", p.State, p.Approvers)
	}
	// The answer lists every approval with whether it counts.
	// The answer lists every approval with whether it counts, and when
	// it was given.
	for i, a := range p.Approvals {
		if a.At == nil || a.At.IsZero() {
			t.Errorf("approval by %s has no time", a.User)
		}
		p.Approvals[i].At = nil
	}
	if want := []api.Approval{{User: "promoter", Counted: true}}; !slices.Equal(p.Approvals, want) {
		t.Errorf("approved: approvals %+v, want %+v", p.Approvals, want)
	}
	stage = h.awaitPromotion(t, "payments", "stage", rel, "merged")
	if stage.MergedBy != "promoter" || stage.MergeSHA != git(t, h.bare, "rev-parse", "main") {
		t.Errorf("merged stage: by %q at %s, main at %s", stage.MergedBy, stage.MergeSHA, git(t, h.bare, "rev-parse", "main"))
	}
	// Its history says when the counted approvals changed.
	withEvents := decodePromotion(t, h.do(t, request{method: "GET", path: "/api/v1/promotions/" + stage.ID, token: tokAdmin}), http.StatusOK)
	if !slices.ContainsFunc(withEvents.Events, func(e api.Event) bool { return e.Reason == "approvals: promoter counted" }) {
		t.Errorf("stage events %+v: none says %q", withEvents.Events, "approvals: promoter counted")
	}
	res = h.do(t, request{method: "POST", path: "/api/v1/promotions/" + stage.ID + "/approve", token: tokPromoter})
	wantProblem(t, res, http.StatusConflict, "not_approvable")
	res = h.do(t, request{method: "POST", path: "/api/v1/promotions/" + stage.ID + "/cancel", token: tokPromoter})
	wantProblem(t, res, http.StatusConflict, "not_cancellable")

	// The prod promotion that followed soaks; cancel it, with a reason.
	prod := h.awaitPromotion(t, "payments", "prod", rel, "waiting")
	// Tokens limited to another application or environment may not touch
	// it, and the refusal names what they lack.
	for _, tc := range []struct{ token, action, names string }{
		{tokCheckout, "cancel", `application \"payments\"`}, // as JSON quotes it
		{tokCheckout, "approve", `application \"payments\"`},
		{tokStage, "cancel", `environment \"prod\"`},
		{tokStage, "approve", `environment \"prod\"`},
	} {
		res := h.do(t, request{method: "POST", path: "/api/v1/promotions/" + prod.ID + "/" + tc.action, token: tc.token})
		wantProblem(t, res, http.StatusForbidden, "forbidden")
		if !strings.Contains(string(res.body), tc.names) {
			t.Errorf("%s with a scoped token: %s, want it to name %s", tc.action, res.body, tc.names)
		}
	}
	if q := h.getPromotion(t, prod.ID); q.State != "waiting" {
		t.Errorf("prod after refused cancels: %s %q", q.State, q.Reason)
	}
	p = decodePromotion(t, h.do(t, request{method: "POST", path: "/api/v1/promotions/" + prod.ID + "/cancel", token: tokPromoter,
		body: `{"reason":"not today"}`}), http.StatusOK)
	if p.State != "rejected" || p.Reason != "cancelled by promoter: not today" {
		t.Errorf("cancelled prod: %s %q", p.State, p.Reason)
	}

	// Now 1.4.2 is in stage: a manual promotion into prod is accepted.
	res = h.do(t, request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
		body: promoteBody("payments", "prod", "1.4.2", "reason", "release train")})
	p = decodePromotion(t, res, http.StatusAccepted)
	if loc := res.header.Get("Location"); loc != "/api/v1/promotions/"+p.ID {
		t.Errorf("Location %q, want /api/v1/promotions/%s", loc, p.ID)
	}
	if p.State != "pending" || p.RequestedBy != "promoter" || p.Forced || p.ReleaseID != rel || p.Environment != "prod" {
		t.Errorf("requested: %+v", p)
	}
	got := h.getPromotion(t, p.ID)
	if len(got.Events) == 0 || got.Events[0].State != "pending" || got.Events[0].Actor != "promoter" ||
		got.Events[0].Reason != "requested by promoter: release train" {
		t.Errorf("events of the requested promotion: %+v", got.Events)
	}

	// By digest and by id name the same release.
	for _, name := range []string{h.paymentsDigest.String(), rel} {
		p = decodePromotion(t, h.do(t, request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
			body: promoteBody("payments", "dev", name)}), http.StatusAccepted)
		if p.ReleaseID != rel || p.Forced {
			t.Errorf("promotion of %s: release %s, forced %v", name, p.ReleaseID, p.Forced)
		}
	}

	// 1.4.3 skips stage only with force, and the force is recorded.
	br143, _ := h.postBuild(t, tokAdmin, h.build("payments", "payments", "1.4.3"), http.StatusAccepted)
	p = decodePromotion(t, h.do(t, request{method: "POST", path: "/api/v1/promotions", token: tokPromoter,
		body: promoteBody("payments", "prod", "1.4.3", "force", true, "reason", "hotfix")}), http.StatusAccepted)
	if !p.Forced || p.RequestedBy != "promoter" || p.ReleaseID != br143.Release.ID {
		t.Errorf("forced: %+v", p)
	}
	if got := h.getPromotion(t, p.ID); len(got.Events) == 0 || got.Events[0].Reason != "forced by promoter (skips stage): hotfix" {
		t.Errorf("events of the forced promotion: %+v", got.Events)
	}

	// While a worker holds a promotion, approving or cancelling it waits.
	stage143 := h.awaitPromotion(t, "payments", "stage", br143.Release.ID, "pr-open")
	held, err := h.store.GetPromotion(ctx, stage143.ID)
	if err != nil {
		t.Fatal(err)
	}
	held.LeaseOwner, held.LeaseUntil = "wrk_other", time.Now().Add(time.Hour)
	if err := h.store.UpdatePromotion(ctx, "", held); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"approve", "cancel"} {
		res := h.do(t, request{method: "POST", path: "/api/v1/promotions/" + stage143.ID + "/" + verb, token: tokPromoter})
		wantProblem(t, res, http.StatusConflict, "promotion_busy")
		if ra := res.header.Get("Retry-After"); ra != "5" {
			t.Errorf("%s: Retry-After %q, want 5", verb, ra)
		}
	}
	held.LeaseOwner, held.LeaseUntil = "", time.Time{}
	if err := h.store.UpdatePromotion(ctx, "", held); err != nil {
		t.Fatal(err)
	}
	// A body-less cancel of an open built-in pull request rejects it.
	p = decodePromotion(t, h.do(t, request{method: "POST", path: "/api/v1/promotions/" + stage143.ID + "/cancel", token: tokPromoter}), http.StatusOK)
	if p.State != "rejected" || p.Reason != "cancelled by promoter" {
		t.Errorf("cancelled stage: %s %q", p.State, p.Reason)
	}
	res = h.do(t, request{method: "POST", path: "/api/v1/promotions/" + stage143.ID + "/approve", token: tokPromoter})
	wantProblem(t, res, http.StatusConflict, "not_approvable")
}
