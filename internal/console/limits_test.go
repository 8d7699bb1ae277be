package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestMayActLimits(t *testing.T) {
	write := []string{"read", "promotions:write"}
	for _, tc := range []struct {
		name     string
		v        viewer
		app, env string
		want     bool
	}{
		{"no limits listed: anything", viewer{SignedIn: true, Identity: Identity{Scopes: write, Limits: []Limit{{}}}}, "web", "prod", true},
		{"inside both", viewer{SignedIn: true, Identity: Identity{Scopes: write, Limits: []Limit{{Applications: []string{"web"}, Environments: []string{"staging"}}}}}, "web", "staging", true},
		{"outside the environments", viewer{SignedIn: true, Identity: Identity{Scopes: write, Limits: []Limit{{Applications: []string{"web"}, Environments: []string{"staging"}}}}}, "web", "prod", false},
		{"outside the applications", viewer{SignedIn: true, Identity: Identity{Scopes: write, Limits: []Limit{{Applications: []string{"web"}, Environments: []string{"*"}}}}}, "api", "prod", false},
		{"two limits do not combine", viewer{SignedIn: true, Identity: Identity{Scopes: write, Limits: []Limit{
			{Applications: []string{"web"}, Environments: []string{"staging"}}, {Applications: []string{"api"}, Environments: []string{"prod"}}}}}, "web", "prod", false},
		{"the second limit allows", viewer{SignedIn: true, Identity: Identity{Scopes: write, Limits: []Limit{
			{Applications: []string{"web"}, Environments: []string{"staging"}}, {Applications: []string{"api"}, Environments: []string{"prod"}}}}}, "api", "prod", true},
		{"no write scope", viewer{SignedIn: true, Identity: Identity{Scopes: []string{"read"}, Limits: []Limit{{}}}}, "web", "prod", false},
		{"not signed in", viewer{Identity: Identity{Scopes: write, Limits: []Limit{{}}}}, "web", "prod", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.v.mayAct(tc.app, tc.env); got != tc.want {
				t.Fatalf("mayAct(%s, %s) = %v, want %v", tc.app, tc.env, got, tc.want)
			}
		})
	}
}

// A promote outside the signed-in token's environments is refused 403,
// saying why, before the engine is asked (it is nil here: reaching it
// would panic).
func TestPromotePostOutsideLimitRefused(t *testing.T) {
	id := Identity{Name: "staging-bot", Scopes: []string{"read", "promotions:write"},
		Limits: []Limit{{Applications: []string{"web"}, Environments: []string{"staging"}}}}
	c := New(Config{}, nil, func(tok string) (Identity, bool) { return id, tok == "secret" }, zap.NewNop())
	sid, ss := c.sessions.create("secret")
	for _, tc := range []struct{ app, env, says string }{
		{"web", "prod", "may not approve, cancel or promote web in prod"},
		{"api", "staging", "may not approve, cancel or promote api in staging"},
	} {
		form := url.Values{csrfField: {ss.csrf}, "application": {tc.app}, "environment": {tc.env}, "release": {"rel_1"}}
		req := httptest.NewRequest(http.MethodPost, "/ui/promote", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sid})
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), tc.says) {
			t.Fatalf("POST /ui/promote %s/%s: %d %q, want 403 saying %q", tc.app, tc.env, rec.Code, rec.Body.String(), tc.says)
		}
		// The confirmation page refuses the same way, so no button leads there.
		req = httptest.NewRequest(http.MethodGet, "/ui/promote?"+url.Values{"application": {tc.app}, "environment": {tc.env}, "release": {"rel_1"}}.Encode(), nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sid})
		rec = httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), tc.says) {
			t.Fatalf("GET /ui/promote %s/%s: %d, want 403 saying %q", tc.app, tc.env, rec.Code, tc.says)
		}
	}
}
