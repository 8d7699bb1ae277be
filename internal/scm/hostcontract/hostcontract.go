// Package hostcontract holds Ferry's calls to a Git host, and a fake
// host's answers, to the host's own published OpenAPI description in
// tests: a vendored subset of it (cut by Subset) is loaded with
// kin-openapi, and a checking http.RoundTripper validates every request
// that goes out and every response that comes back.
//
//	c := hostcontract.New(t, spec, fake.URL+"/api/v3")
//	client := &http.Client{Transport: c.Transport(fake.Client().Transport)}
//	// … drive the provider …
//	t.Log(c.Line("github")) // host-contract: host=github operations=13 requests_invalid=0 responses_invalid=0
package hostcontract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Checker validates traffic against one host description. It is safe for
// concurrent use.
type Checker struct {
	t      testing.TB
	router routers.Router
	opts   *openapi3filter.Options

	mu                  sync.Mutex
	ops                 map[string]bool // operations seen, "METHOD /path"
	badReqs, badResps   int
	allowInvalidRequest map[string]string // operation → why its request may not validate
}

// New loads spec (a JSON or YAML OpenAPI 3 description), validates it, and
// routes requests under serverURL (the fake's base URL, e.g. with
// GitHub Enterprise's /api/v3). Violations fail t.
func New(t testing.TB, spec []byte, serverURL string) *Checker {
	t.Helper()
	ctx := context.Background()
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		t.Fatalf("loading the host description: %v", err)
	}
	if err := doc.Validate(ctx, openapi3.DisableExamplesValidation()); err != nil {
		t.Fatalf("validating the host description: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: strings.TrimSuffix(serverURL, "/")}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("routing the host description: %v", err)
	}
	opts := &openapi3filter.Options{
		// Credentials are the fake's business, not the description's.
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
		SkipSettingDefaults:   true,
	}
	opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
	})
	return &Checker{t: t, router: router, opts: opts, ops: map[string]bool{}, allowInvalidRequest: map[string]string{}}
}

// AllowInvalidRequest excuses the requests of op ("METHOD /path") from
// validation, for a request a library sends that Ferry cannot change;
// why is logged with each one.
func (c *Checker) AllowInvalidRequest(op, why string) {
	c.mu.Lock()
	c.allowInvalidRequest[op] = why
	c.mu.Unlock()
}

// Transport returns a RoundTripper that validates each request before
// sending it through base, and each response before returning it. A
// request the description does not know fails the test: Ferry must call
// only operations it has vendored.
func (c *Checker) Transport(base http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		body, err := readBody(&req.Body)
		if err != nil {
			return nil, err
		}
		route, params, err := c.router.FindRoute(req)
		if err != nil {
			c.fail(&c.badReqs, "%s %s: not in the host description: %v", req.Method, req.URL.Path, err)
			return base.RoundTrip(req)
		}
		op := req.Method + " " + route.Path
		c.mu.Lock()
		c.ops[op] = true
		excuse := c.allowInvalidRequest[op]
		c.mu.Unlock()
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.opts}
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			if excuse != "" {
				c.t.Logf("%s: request does not validate, allowed: %s", op, excuse)
			} else {
				c.fail(&c.badReqs, "request %s does not validate: %v", op, err)
			}
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		rbody, err := readBody(&resp.Body)
		if err != nil {
			return nil, err
		}
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 resp.StatusCode,
			Header:                 resp.Header,
			Options:                c.opts,
		}
		out.SetBodyBytes(rbody)
		if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
			c.fail(&c.badResps, "response %d to %s does not validate: %v", resp.StatusCode, op, err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(rbody))
		return resp, nil
	})
}

// Operations returns the operations seen, sorted.
func (c *Checker) Operations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.ops))
	for op := range c.ops {
		out = append(out, op)
	}
	slices.Sort(out)
	return out
}

// Line is the one-line summary CI prints.
func (c *Checker) Line(host string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("host-contract: host=%s operations=%d requests_invalid=%d responses_invalid=%d", host, len(c.ops), c.badReqs, c.badResps)
}

func (c *Checker) fail(counter *int, format string, args ...any) {
	c.mu.Lock()
	*counter++
	c.mu.Unlock()
	c.t.Errorf(format, args...)
}

func readBody(rc *io.ReadCloser) ([]byte, error) {
	if *rc == nil || *rc == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(*rc)
	(*rc).Close()
	*rc = io.NopCloser(bytes.NewReader(b))
	return b, err
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
