package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/api"
)

// get fetches path with the read token and decodes a 200 answer into v.
func (h *harness) get(t *testing.T, path string, v any) response {
	t.Helper()
	res := h.do(t, request{method: "GET", path: path, token: tokRead})
	decode(t, res, http.StatusOK, v)
	return res
}

// allPromotions walks every page of /api/v1/promotions?query with page size
// limit, failing on a repeated item.
func (h *harness) allPromotions(t *testing.T, query string, limit int) []api.Promotion {
	t.Helper()
	var out []api.Promotion
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		q, _ := url.ParseQuery(query)
		q.Set("limit", strconv.Itoa(limit))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page api.PromotionList
		h.get(t, "/api/v1/promotions?"+q.Encode(), &page)
		if len(page.Items) > limit {
			t.Fatalf("page of %d items with limit %d", len(page.Items), limit)
		}
		for _, p := range page.Items {
			if seen[p.ID] {
				t.Errorf("promotion %s appears on two pages", p.ID)
			}
			seen[p.ID] = true
			if p.Release != nil {
				t.Errorf("list item %s carries its release", p.ID)
			}
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		cursor = page.NextCursor
	}
}

func testReads(t *testing.T, h *harness) {
	var releases api.ReleaseList
	h.get(t, "/api/v1/releases", &releases)
	if len(releases.Items) != 4 || releases.NextCursor != "" {
		t.Fatalf("releases = %+v, want the 4 accepted, one page", releases)
	}
	var tags []string
	for _, r := range releases.Items {
		tags = append(tags, r.Application+":"+r.Tag)
	}
	// Newest first.
	if want := []string{"notifier:0.9.1", "checkout:3.0.0", "payments:1.4.3", "payments:1.4.2"}; !slices.Equal(tags, want) {
		t.Errorf("releases %v, want %v", tags, want)
	}
	byTag := map[string]api.Release{}
	for _, r := range releases.Items {
		byTag[r.Application+":"+r.Tag] = r
	}

	t.Run("releases by application", func(t *testing.T) {
		var l api.ReleaseList
		h.get(t, "/api/v1/releases?application=payments", &l)
		if len(l.Items) != 2 || l.Items[0].Tag != "1.4.3" || l.Items[1].Tag != "1.4.2" {
			t.Errorf("payments releases = %+v", l.Items)
		}
	})
	t.Run("releases across pages", func(t *testing.T) {
		var got []string
		cursor := ""
		for {
			path := "/api/v1/releases?limit=3"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			var l api.ReleaseList
			h.get(t, path, &l)
			for _, r := range l.Items {
				got = append(got, r.Application+":"+r.Tag)
			}
			if cursor = l.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, tags) {
			t.Errorf("paged releases %v, want %v", got, tags)
		}
	})
	t.Run("get release", func(t *testing.T) {
		want := byTag["checkout:3.0.0"]
		var r api.Release
		h.get(t, "/api/v1/releases/"+want.ID, &r)
		if r.ID != want.ID || r.Digest != h.checkoutIndex.String() || !r.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("release = %+v, want %+v", r, want)
		}
	})

	// Builds land in dev; each dev commit also starts a stage promotion (a
	// built-in pull request), so the counts below look at dev.
	all := h.allPromotions(t, "environment=dev", 1)
	t.Run("promotions across pages", func(t *testing.T) {
		if len(all) != 4 {
			t.Fatalf("%d promotions over pages of 1, want 4", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].CreatedAt.After(all[i-1].CreatedAt) {
				t.Errorf("promotions not newest first: %s after %s", all[i].CreatedAt, all[i-1].CreatedAt)
			}
		}
		if got := h.allPromotions(t, "environment=dev", 3); len(got) != 4 {
			t.Errorf("%d promotions over pages of 3, want 4", len(got))
		}
	})

	tests := []struct {
		name  string
		query string
		want  func(api.Promotion) bool
		n     int
	}{
		{"application", "application=payments&environment=dev", func(p api.Promotion) bool { return p.Application == "payments" }, 2},
		// payments is in set shop: it goes on from dev only as a set,
		// formed once checkout and notifier completed there too.
		{"application into stage", "application=payments&environment=stage", func(p api.Promotion) bool {
			return p.Application == "payments" && p.Environment == "stage" && p.RequestedBy == "ferry" && p.SetRelease != ""
		}, 1},
		{"environment", "environment=dev", func(p api.Promotion) bool { return p.Environment == "dev" }, 4},
		{"environment without promotions", "environment=prod", nil, 0},
		{"state", "state=committed&environment=dev", func(p api.Promotion) bool { return p.State == "committed" }, 4},
		{"state without promotions", "state=merged", nil, 0},
		{"release", "release=" + byTag["payments:1.4.3"].ID, func(p api.Promotion) bool { return p.ReleaseID == byTag["payments:1.4.3"].ID }, 2},
		{"combined", "application=payments&environment=dev&state=committed", func(p api.Promotion) bool {
			return p.Application == "payments" && p.Environment == "dev" && p.State == "committed"
		}, 2},
		{"combined without match", "application=checkout&state=failed", nil, 0},
	}
	for _, tc := range tests {
		t.Run("promotions by "+tc.name, func(t *testing.T) {
			got := h.allPromotions(t, tc.query, 1)
			if len(got) != tc.n {
				t.Errorf("%d promotions, want %d: %+v", len(got), tc.n, got)
			}
			for _, p := range got {
				if !tc.want(p) {
					t.Errorf("promotion %+v does not match %s", p, tc.query)
				}
			}
		})
	}

	t.Run("get promotion with its release", func(t *testing.T) {
		want := all[len(all)-1] // the first build: payments 1.4.2
		var p api.Promotion
		h.get(t, "/api/v1/promotions/"+want.ID, &p)
		if p.ID != want.ID || p.Release == nil || p.Release.ID != want.ReleaseID || p.Release.Tag != "1.4.2" {
			t.Errorf("promotion = %+v, want %s with release %s", p, want.ID, want.ReleaseID)
		}
	})

	t.Run("applications", func(t *testing.T) {
		var l api.ApplicationList
		h.get(t, "/api/v1/applications", &l)
		var names []string
		for _, a := range l.Items {
			names = append(names, a.Name)
			if !slices.Equal(a.Environments, []string{"dev", "stage", "prod"}) || a.Repository != "env" {
				t.Errorf("application %+v", a)
			}
		}
		if want := []string{"payments", "checkout", "notifier", "evil", "down"}; !slices.Equal(names, want) {
			t.Errorf("applications %v, want %v", names, want)
		}
	})

	t.Run("application status read from the repo", func(t *testing.T) {
		var a api.Application
		res := h.get(t, "/api/v1/applications/payments", &a)
		head := git(t, h.bare, "rev-parse", "main")
		if len(a.Environments) != 3 {
			t.Fatalf("environments = %+v", a.Environments)
		}
		dev, stage := a.Environments[0], a.Environments[1]
		wantDev := api.Image{Image: h.regHost + "/acme/payments", Tag: "1.4.3", Digest: h.payments143.String()}
		if dev.Name != "dev" || dev.Current == nil || *dev.Current != wantDev || dev.ReleaseID != byTag["payments:1.4.3"].ID ||
			dev.HeadCommit != head || dev.Path != "envs/dev/payments/kustomization.yaml" || dev.Kind != "kustomize" || dev.Promotion != "commit" {
			t.Errorf("dev = %+v, current %+v", dev, dev.Current)
		}
		wantStage := api.Image{Image: h.regHost + "/acme/payments", Tag: "1.4.0"}
		if stage.Name != "stage" || stage.From != "dev" || stage.Current == nil || *stage.Current != wantStage || stage.ReleaseID != "" {
			t.Errorf("stage = %+v, current %+v", stage, stage.Current)
		}
		// dev and prod have nothing in flight; stage has the set's pull
		// request (payments moves on as a member of set shop), on a branch
		// of its own.
		if n := bytes.Count(res.body, []byte(`"in_flight":[]`)); n != 2 || len(stage.InFlight) != 1 || !strings.HasPrefix(stage.InFlight[0].PRBranch, "ferry/set/shop/stage.") {
			t.Errorf("in_flight is an empty array %d times, want 2, and stage's is %+v: %s", n, stage.InFlight, res.body)
		}
	})

	t.Run("application whose target is missing", func(t *testing.T) {
		var a api.Application
		h.get(t, "/api/v1/applications/evil", &a)
		for _, e := range a.Environments {
			if e.Current != nil || !strings.Contains(e.Error, "does not exist") {
				t.Errorf("%s: current %+v, error %q; want an error naming the missing file", e.Name, e.Current, e.Error)
			}
		}
	})
}

func testRejectedReads(t *testing.T, h *harness) {
	tests := []struct {
		name    string
		path    string
		invalid bool
		status  int
		code    string
	}{
		{"limit zero", "/api/v1/releases?limit=0", true, 400, "invalid_field"},
		{"limit over 500", "/api/v1/promotions?limit=501", true, 400, "invalid_field"},
		{"limit not a number", "/api/v1/promotions?limit=ten", true, 400, "invalid_field"},
		{"unknown state", "/api/v1/promotions?state=done", true, 400, "invalid_field"},
		{"cursor not base64", "/api/v1/promotions?cursor=not%20a%20cursor", false, 400, "invalid_cursor"},
		{"cursor not ours", "/api/v1/releases?cursor=bm9wZQ", false, 400, "invalid_cursor"},
		{"unknown release", "/api/v1/releases/rel_doesnotexist", false, 404, "not_found"},
		{"unknown promotion", "/api/v1/promotions/prm_doesnotexist", false, 404, "not_found"},
		{"unknown application", "/api/v1/applications/ghost", false, 404, "unknown_application"},
		{"unknown route", "/api/v1/nothing", true, 404, "not_found"},
		{"unknown top-level route", "/favicon.ico", true, 404, "not_found"},
		{"method not allowed", "DELETE /api/v1/releases", true, 405, "method_not_allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, path := "GET", tc.path
			if m, p, ok := strings.Cut(tc.path, " "); ok {
				method, path = m, p
			}
			res := h.do(t, request{method: method, path: path, token: tokRead, invalid: tc.invalid})
			wantProblem(t, res, tc.status, tc.code)
		})
	}
}

func testAnonymous(t *testing.T, h *harness) {
	t.Run("read without a token", func(t *testing.T) {
		res := h.do(t, request{method: "GET", path: "/api/v1/releases?application=checkout", anon: true, invalid: true})
		var l api.ReleaseList
		decode(t, res, http.StatusOK, &l)
		if len(l.Items) != 1 || l.Items[0].Tag != "3.0.0" {
			t.Errorf("releases = %+v", l.Items)
		}
	})
	t.Run("a token still counts", func(t *testing.T) {
		res := h.do(t, request{method: "GET", path: "/api/v1/releases", anon: true, token: "not-a-token"})
		wantProblem(t, res, http.StatusUnauthorized, "unauthorized")
	})
	t.Run("build without a token", func(t *testing.T) {
		before := h.written(t)
		res := h.do(t, request{method: "POST", path: "/api/v1/builds", anon: true, invalid: true,
			body: jsonBody(h.build("payments", "payments", "1.4.2"))})
		wantProblem(t, res, http.StatusUnauthorized, "unauthorized")
		if after := h.written(t); after != before {
			t.Errorf("an anonymous build wrote: before %+v, after %+v", before, after)
		}
	})
	t.Run("web page shows what runs where", func(t *testing.T) {
		res := h.do(t, request{method: "GET", path: "/", anon: true})
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET / = %d %s", res.status, res.header.Get("Content-Type"))
		}
		for _, s := range []string{"payments", "checkout", "1.4.3", h.payments143.String()[:19]} {
			if !bytes.Contains(res.body, []byte(s)) {
				t.Errorf("page does not show %q", s)
			}
		}
	})
	t.Run("web page out of time", func(t *testing.T) {
		s := New(Config{Version: "test", AnonymousRead: true, PageTimeout: time.Nanosecond},
			Deps{Engine: h.engine, Tokens: NewTokens(nil), Store: h.store, Log: zap.NewNop()})
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("GET / = %d", rec.Code)
		}
		for _, app := range []string{"payments", "checkout"} {
			if !strings.Contains(body, app+": not read, the page ran out of time (1ns)") {
				t.Errorf("page does not say %s was not read in time", app)
			}
		}
		if strings.Contains(body, h.payments143.String()[:19]) {
			t.Error("page shows an application's status read after its time ran out")
		}
		// The latest promotions come from the store, apart from the budget.
		if !strings.Contains(body, "<td>payments</td><td>dev</td>") {
			t.Error("page lacks the latest promotions")
		}
	})
}

func testOperations(t *testing.T, h *harness) {
	t.Run("healthz", func(t *testing.T) {
		res := h.do(t, request{method: "GET", path: "/healthz"})
		if res.status != http.StatusOK || string(res.body) != "ok" {
			t.Errorf("GET /healthz = %d %q", res.status, res.body)
		}
	})
	t.Run("readyz", func(t *testing.T) {
		res := h.do(t, request{method: "GET", path: "/readyz"})
		if res.status != http.StatusOK || string(res.body) != "ok" {
			t.Errorf("GET /readyz = %d %q", res.status, res.body)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		res := h.do(t, request{method: "GET", path: "/metrics"})
		if res.status != http.StatusOK {
			t.Fatalf("GET /metrics = %d", res.status)
		}
		for _, s := range []string{
			// The four new releases and the one duplicate report.
			`ferry_builds_total{result="accepted"} 5`,
			`ferry_builds_total{result="digest_mismatch"} 2`,
			`ferry_builds_total{result="registry_unavailable"} 1`,
			`ferry_http_request_duration_seconds_count{method="POST",route="/api/v1/builds",status="202"} 4`,
		} {
			if !bytes.Contains(res.body, []byte(s)) {
				t.Errorf("metrics lack %s", s)
			}
		}
	})
	t.Run("web page without anonymous reads", func(t *testing.T) {
		res := h.do(t, request{method: "GET", path: "/"})
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET / = %d %s", res.status, res.header.Get("Content-Type"))
		}
		if bytes.Contains(res.body, []byte(h.regHost)) {
			t.Error("the page shows data although anonymous reads are off")
		}
	})
	t.Run("request id", func(t *testing.T) {
		res := h.do(t, request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "ci-run-42.1"}})
		if got := res.header.Get("X-Request-Id"); got != "ci-run-42.1" {
			t.Errorf("X-Request-Id %q, want the caller's", got)
		}
		res = h.do(t, request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "bad id\u00e9"}})
		if got := res.header.Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
			t.Errorf("X-Request-Id %q, want a fresh id in place of a malformed one", got)
		}
	})
	t.Run("openapi document", func(t *testing.T) {
		res := h.do(t, request{method: "GET", path: "/openapi.yaml"})
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/yaml" ||
			!bytes.HasPrefix(res.body, []byte("openapi: 3.1")) {
			t.Errorf("GET /openapi.yaml = %d %s %.20q", res.status, res.header.Get("Content-Type"), res.body)
		}
	})
}
