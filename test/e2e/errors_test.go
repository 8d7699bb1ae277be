package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// assertProblem checks an RFC 9457 answer with Ferry's stable code.
func assertProblem(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var p struct {
		Type, Title, Detail, Code string
		Status                    int
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %q: %v", r.body, err)
	}
	if p.Code != code || p.Status != status || p.Detail == "" || p.Type == "" || p.Title == "" {
		t.Errorf("problem = %+v, want code %s", p, code)
	}
}

// count returns how many items a list endpoint has (up to 500).
func (s *stack) count(t *testing.T, path string) int {
	t.Helper()
	r := s.f.call(t, http.MethodGet, path+"?limit=500", readToken, nil)
	var l struct{ Items []json.RawMessage }
	r.json(t, &l)
	return len(l.Items)
}

func TestRejectedBuildsWriteNothing(t *testing.T) {
	s := startStack(t)
	image := s.reg.host + "/acme/payments"
	digest := s.reg.push(t, "acme/payments", "2.0.0")
	other := s.reg.push(t, "acme/payments", "2.0.1")
	ok := buildBody("payments", image, "2.0.0", digest)

	cases := []struct {
		name   string
		token  string
		body   string
		status int
		code   string
		retry  bool // expects Retry-After
	}{
		{"malformed JSON", ciToken, `{"application": "payments",`, 400, "invalid_json", false},
		{"not an object", ciToken, `["payments"]`, 400, "invalid_json", false},
		{"wrong type", ciToken, `{"application":"payments","image":"` + image + `","tag":5}`, 400, "invalid_json", false},
		{"unknown field", ciToken, `{"application":"payments","image":"` + image + `","tag":"2.0.0","force":true}`, 400, "unknown_field", false},
		{"missing tag", ciToken, `{"application":"payments","image":"` + image + `"}`, 400, "invalid_field", false},
		{"bad digest", ciToken, buildBody("payments", image, "2.0.0", "sha256:abc"), 400, "invalid_digest", false},
		{"uppercase digest", ciToken, buildBody("payments", image, "2.0.0", strings.ToUpper(digest)), 400, "invalid_digest", false},
		{"image with tag", ciToken, buildBody("payments", image+":2.0.0", "2.0.0", ""), 400, "invalid_image", false},
		{"uppercase image", ciToken, buildBody("payments", strings.ToUpper(image), "2.0.0", ""), 400, "invalid_image", false},
		{"tag too long", ciToken, buildBody("payments", image, strings.Repeat("a", 129), ""), 400, "invalid_tag", false},
		{"application with path", ciToken, buildBody("../payments", image, "2.0.0", ""), 400, "invalid_field", false},
		{"no token", "", ok, 401, "unauthorized", false},
		{"wrong token", "not-a-token", ok, 401, "unauthorized", false},
		{"read token", readToken, ok, 403, "forbidden", false},
		{"token of another application", otherToken, ok, 403, "forbidden", false},
		{"unknown application", ciToken, buildBody("nope", image, "2.0.0", ""), 403, "forbidden", false},
		{"body too large", ciToken, `{"application":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "body_too_large", false},
		{"tag not found", ciToken, buildBody("payments", image, "9.9.9", ""), 422, "tag_not_found", false},
		{"digest mismatch", ciToken, buildBody("payments", image, "2.0.0", other), 422, "digest_mismatch", false},
		{"image of another application", ciToken, buildBody("payments", s.reg.host+"/acme/checkout", "2.0.0", ""), 422, "image_not_of_application", false},
		{"registry not allowed", ciToken, buildBody("elsewhere", "evil.example.com/acme/elsewhere", "1.0.0", ""), 422, "registry_not_allowed", false},
		{"registry unreachable", ciToken, buildBody("gone", "127.0.0.1:1/acme/gone", "1.0.0", ""), 503, "registry_unavailable", true},
	}
	head := s.head(t)
	releases, promotions := s.count(t, "/api/v1/releases"), s.count(t, "/api/v1/promotions")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.f.call(t, http.MethodPost, "/api/v1/builds?wait=5s", tc.token, strings.NewReader(tc.body))
			assertProblem(t, r, tc.status, tc.code)
			if tc.retry && r.header.Get("Retry-After") == "" {
				t.Error("no Retry-After header")
			}
			if got := s.head(t); got != head {
				t.Errorf("repo head moved to %s", got)
			}
			if n := s.count(t, "/api/v1/releases"); n != releases {
				t.Errorf("releases: %d, want %d", n, releases)
			}
			if n := s.count(t, "/api/v1/promotions"); n != promotions {
				t.Errorf("promotions: %d, want %d", n, promotions)
			}
		})
	}

	// An unknown application is 404 for a token that may report any application.
	t.Run("unknown application", func(t *testing.T) {
		r := s.f.call(t, http.MethodPost, "/api/v1/builds", wildToken, strings.NewReader(buildBody("nope", image, "2.0.0", "")))
		assertProblem(t, r, http.StatusNotFound, "unknown_application")
		if got := s.head(t); got != head {
			t.Errorf("repo head moved to %s", got)
		}
	})

	// Secrets never leak: the tokens never appear in the server's output.
	for _, tok := range []string{ciToken, readToken, otherToken, wildToken} {
		if strings.Contains(s.f.output(), tok) {
			t.Errorf("server output contains a token")
		}
	}
}
