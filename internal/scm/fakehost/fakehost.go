// Package fakehost is a scripted Git host API for provider tests: an
// httptest server that answers each expected request with a recorded
// response and records every request it receives, so tests can assert the
// exact calls a provider makes. Hosted APIs cannot run here; this answers
// as their documentation says they do.
package fakehost

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
)

// Host is a scripted API server.
type Host struct {
	*httptest.Server
	t testing.TB

	mu       sync.Mutex
	routes   []*Route
	requests []Request
}

// Request is one request the host received.
type Request struct {
	Method string
	Path   string // escaped path
	Query  url.Values
	Header http.Header
	Body   []byte
}

// String is "METHOD path?sorted-query", the form tests compare.
func (r Request) String() string {
	s := r.Method + " " + r.Path
	if q := r.Query.Encode(); q != "" {
		s += "?" + q
	}
	return s
}

// JSON decodes the request body as a JSON object.
func (r Request) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s: body is not a JSON object: %v: %s", r, err, r.Body)
	}
	return m
}

// Route answers requests that match its method, path and query.
type Route struct {
	method, path string
	query        url.Values
	times        int // remaining uses; -1 for unlimited
	status       int
	header       http.Header
	body         []byte
	handle       func(w http.ResponseWriter, r *http.Request) bool
}

// New starts a host; it is closed when the test ends, and any request no
// route expected fails the test.
func New(t testing.TB) *Host {
	h := &Host{t: t}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.Close)
	return h
}

// On adds a route for method and target ("/path?k=v"): the request's query
// must hold every pair of target's query. Routes are tried in the order added.
func (h *Host) On(method, target string) *Route {
	u, err := url.Parse(target)
	if err != nil {
		h.t.Fatalf("route %q: %v", target, err)
	}
	r := &Route{method: method, path: u.EscapedPath(), query: u.Query(), times: -1, status: http.StatusOK, header: http.Header{}}
	h.mu.Lock()
	h.routes = append(h.routes, r)
	h.mu.Unlock()
	return r
}

// Once makes the route answer a single request.
func (r *Route) Once() *Route { r.times = 1; return r }

// Status sets the response status. Default 200.
func (r *Route) Status(code int) *Route { r.status = code; return r }

// Header adds a response header; "{{URL}}" in v is the server's URL.
func (r *Route) Header(k, v string) *Route { r.header.Add(k, v); return r }

// Body sets the response body.
func (r *Route) Body(s string) *Route { r.body = []byte(s); return r }

// File sets the response body to a testdata file.
func (r *Route) File(t testing.TB, name string) *Route {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	r.body = b
	return r
}

// Func lets f answer instead; f returns false to answer with the route's
// recorded response.
func (r *Route) Func(f func(w http.ResponseWriter, req *http.Request) bool) *Route {
	r.handle = f
	return r
}

// Requests returns the requests received so far.
func (h *Host) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.requests...)
}

// Calls returns the requests as "METHOD path?query" strings.
func (h *Host) Calls() []string {
	var out []string
	for _, r := range h.Requests() {
		out = append(out, r.String())
	}
	return out
}

func (h *Host) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	rec := Request{Method: req.Method, Path: req.URL.EscapedPath(), Query: req.URL.Query(), Header: req.Header.Clone(), Body: body}
	h.mu.Lock()
	h.requests = append(h.requests, rec)
	route := h.match(req)
	h.mu.Unlock()
	if route == nil {
		h.t.Errorf("fakehost: unexpected request %s", rec)
		http.Error(w, `{"message":"no route in test"}`, http.StatusTeapot)
		return
	}
	if route.handle != nil && route.handle(w, req) {
		return
	}
	for k, vs := range route.header {
		for _, v := range vs {
			w.Header().Add(k, strings.ReplaceAll(v, "{{URL}}", h.URL))
		}
	}
	if len(route.body) > 0 && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(route.status)
	w.Write(route.body)
}

func (h *Host) match(req *http.Request) *Route {
	for _, r := range h.routes {
		if r.times == 0 || r.method != req.Method || r.path != req.URL.EscapedPath() {
			continue
		}
		if !hasAll(req.URL.Query(), r.query) {
			continue
		}
		if r.times > 0 {
			r.times--
		}
		return r
	}
	return nil
}

func hasAll(got, want url.Values) bool {
	for k, vs := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(vs) {
			return false
		}
	}
	return true
}
