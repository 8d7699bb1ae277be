package contract

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/openapi"
)

// recordingTB is a testing.TB that records Errorf instead of failing, so
// tests can assert that the checker reports a violation.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingTB) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs)
}

const (
	digest   = "sha256:4b825dc642cb6eb9a060e54bf8d69288fbee4904f1f3a0a2f6e8e0b5e1e0c3d2"
	goodBody = `{"application":"payments","image":"registry.example.com/acme/payments","tag":"1.4.2","digest":"` + digest + `"}`
)

func buildResponse() api.BuildResponse {
	at := time.Date(2025, 3, 1, 10, 15, 30, 123456789, time.UTC)
	return api.BuildResponse{
		Release: api.Release{
			ID: "r1", Application: "payments", Image: "registry.example.com/acme/payments",
			Tag: "1.4.2", Digest: digest,
			Reference:  "registry.example.com/acme/payments:1.4.2@" + digest,
			ReportedBy: "ci-payments", CreatedAt: at,
		},
		Promotion: api.Promotion{
			ID: "p1", ReleaseID: "r1", Application: "payments", Environment: "dev",
			State: "pending", CreatedAt: at, UpdatedAt: at,
		},
	}
}

// writeJSON answers status with v as JSON of the given content type.
func writeJSON(w http.ResponseWriter, ct string, status int, v any) {
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func problem(status int, code string) api.Problem {
	return api.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code}
}

func TestHandler(t *testing.T) {
	v := New(t)
	accepted := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/api/v1/releases/r1")
		writeJSON(w, "application/json", http.StatusAccepted, buildResponse())
	}
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		bearer  bool
		invalid bool // sent with ExpectInvalidRequest
		handler http.HandlerFunc
		// wantErrs are substrings of the violations expected, in order; none means it passes.
		wantErrs []string
	}{{
		name: "well-formed build", method: "POST", path: "/api/v1/builds?wait=30s", body: goodBody, bearer: true,
		handler: accepted,
	}, {
		name: "duplicate build", method: "POST", path: "/api/v1/builds", body: goodBody, bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			b := buildResponse()
			b.Duplicate = true
			writeJSON(w, "application/json", http.StatusOK, b)
		},
	}, {
		name: "wrong type in response", method: "POST", path: "/api/v1/builds", body: goodBody, bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "/api/v1/releases/r1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"release":{},"promotion":{},"duplicate":"no"}`)
		},
		wantErrs: []string{"response 202 violates"},
	}, {
		name: "202 without Location", method: "POST", path: "/api/v1/builds", body: goodBody, bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/json", http.StatusAccepted, buildResponse())
		},
		wantErrs: []string{`"Location"`},
	}, {
		name: "state outside the enum", method: "GET", path: "/api/v1/promotions/p1", bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			p := buildResponse().Promotion
			p.State = "done"
			writeJSON(w, "application/json", http.StatusOK, p)
		},
		wantErrs: []string{"response 200 violates"},
	}, {
		name: "nil list emitted as null", method: "GET", path: "/api/v1/releases", bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/json", http.StatusOK, api.ReleaseList{})
		},
		wantErrs: []string{"response 200 violates"},
	}, {
		name: "undeclared status", method: "GET", path: "/api/v1/releases", bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/problem+json", http.StatusTeapot, problem(http.StatusTeapot, "teapot"))
		},
		wantErrs: []string{"response 418 violates"},
	}, {
		name: "error answered as JSON, not problem", method: "GET", path: "/api/v1/releases/nope", bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/json", http.StatusNotFound, problem(http.StatusNotFound, "not_found"))
		},
		wantErrs: []string{"response 404 violates"},
	}, {
		name: "problem status differs from HTTP status", method: "GET", path: "/api/v1/releases/nope", bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/problem+json", http.StatusNotFound, problem(http.StatusBadRequest, "not_found"))
		},
		wantErrs: []string{"problem status 400 differs from HTTP status 404"},
	}, {
		name: "429 without Retry-After", method: "POST", path: "/api/v1/builds", body: goodBody, bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/problem+json", http.StatusTooManyRequests, problem(http.StatusTooManyRequests, "rate_limited"))
		},
		wantErrs: []string{`"Retry-After"`},
	}, {
		name: "503 with Retry-After", method: "POST", path: "/api/v1/builds", body: goodBody, bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "5")
			writeJSON(w, "application/problem+json", http.StatusServiceUnavailable, problem(http.StatusServiceUnavailable, "registry_unavailable"))
		},
	}, {
		name: "unknown field in request", method: "POST", path: "/api/v1/builds", bearer: true,
		body:     `{"application":"payments","image":"registry.example.com/acme/payments","tag":"1.4.2","tga":"x"}`,
		handler:  accepted,
		wantErrs: []string{"request violates"},
	}, {
		name: "unknown field in request, expected", method: "POST", path: "/api/v1/builds", bearer: true, invalid: true,
		body: `{"application":"payments","image":"registry.example.com/acme/payments","tag":"1.4.2","tga":"x"}`,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/problem+json", http.StatusBadRequest, problem(http.StatusBadRequest, "unknown_field"))
		},
	}, {
		name: "valid request marked invalid", method: "POST", path: "/api/v1/builds", body: goodBody, bearer: true, invalid: true,
		handler:  accepted,
		wantErrs: []string{"marked invalid but openapi/ferry.yaml accepts it"},
	}, {
		name: "bad digest and wait, expected", method: "POST", path: "/api/v1/builds?wait=soon", bearer: true, invalid: true,
		body: `{"application":"payments","image":"registry.example.com/acme/payments","tag":"1.4.2","digest":"sha256:abc"}`,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/problem+json", http.StatusBadRequest, problem(http.StatusBadRequest, "invalid_digest"))
		},
	}, {
		name: "image with a tag", method: "POST", path: "/api/v1/builds", bearer: true,
		body:     `{"application":"payments","image":"payments:1.4.2","tag":"1.4.2"}`,
		handler:  accepted,
		wantErrs: []string{"request violates"},
	}, {
		name: "no token", method: "GET", path: "/api/v1/applications",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/problem+json", http.StatusUnauthorized, problem(http.StatusUnauthorized, "unauthorized"))
		},
		wantErrs: []string{"request violates"},
	}, {
		name: "no token, expected", method: "GET", path: "/api/v1/applications", invalid: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/problem+json", http.StatusUnauthorized, problem(http.StatusUnauthorized, "unauthorized"))
		},
	}, {
		name: "limit out of range", method: "GET", path: "/api/v1/promotions?limit=501", bearer: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/json", http.StatusOK, api.PromotionList{Items: []api.Promotion{}})
		},
		wantErrs: []string{"request violates"},
	}, {
		name: "unknown path, expected", method: "GET", path: "/api/v1/nope", bearer: true, invalid: true,
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/problem+json", http.StatusNotFound, problem(http.StatusNotFound, "not_found"))
		},
	}, {
		name: "unknown path answered 404 text", method: "GET", path: "/api/v1/nope", bearer: true, invalid: true,
		handler:  func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		wantErrs: []string{"want application/problem+json"},
	}, {
		name: "unknown path served", method: "GET", path: "/debug/vars",
		handler:  func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") },
		wantErrs: []string{"no operation for GET /debug/vars", "status 200 for a path and method the document does not have"},
	}, {
		name: "healthz", method: "GET", path: "/healthz",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "ok")
		},
	}, {
		name: "readyz not ready", method: "GET", path: "/readyz",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/problem+json", http.StatusServiceUnavailable, problem(http.StatusServiceUnavailable, "not_ready"))
		},
	}, {
		name: "metrics", method: "GET", path: "/metrics",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
			io.WriteString(w, "# TYPE up gauge\nup 1\n")
		},
	}, {
		name: "web page", method: "GET", path: "/",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<!doctype html><title>Ferry</title>")
		},
	}, {
		name: "the document itself", method: "GET", path: "/openapi.yaml",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			w.Write(openapi.Spec)
		},
	}, {
		name: "web page as JSON", method: "GET", path: "/",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/json", http.StatusOK, map[string]string{})
		},
		wantErrs: []string{"response 200 violates"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			var sawMarker bool
			srv := httptest.NewServer(v.For(rec).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sawMarker = r.Header.Get(ExpectInvalidHeader) != ""
				tt.handler(w, r)
			})))
			defer srv.Close()

			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.bearer {
				req.Header.Set("Authorization", "Bearer t0ken")
			}
			if tt.invalid {
				req = v.ExpectInvalidRequest(req)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()

			if sawMarker {
				t.Errorf("wrapped handler saw the %s header", ExpectInvalidHeader)
			}
			errs := rec.errors()
			for _, e := range errs {
				t.Log(e)
			}
			if len(errs) != len(tt.wantErrs) {
				t.Fatalf("got %d violations, want %d:\n%s", len(errs), len(tt.wantErrs), strings.Join(errs, "\n"))
			}
			for i, want := range tt.wantErrs {
				if !strings.Contains(errs[i], want) {
					t.Errorf("violation %d = %s\nwant it to contain %q", i, errs[i], want)
				}
			}
		})
	}
}
