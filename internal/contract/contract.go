// Package contract holds HTTP handlers to openapi/ferry.yaml in tests: it
// validates every request and response that passes through a wrapped
// handler with kin-openapi, and reports which operations tests exercised.
//
// A server test wraps its handler and sends requests as a client would:
//
//	v := contract.New(t)
//	srv := httptest.NewServer(v.Handler(router))
//	// a request the document refuses, sent on purpose to see the 400:
//	req = v.ExpectInvalidRequest(req)
//
// Requests need "Authorization: Bearer <any token>" under /api/v1, since
// the document requires one; tests of 401 mark theirs invalid. To check
// that a package's tests exercise every operation, share one Validator:
//
//	var contractV = contract.New(nil) // then contractV.For(t).Handler(h) in each test
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		if ids := contractV.Uncovered(); code == 0 && len(ids) > 0 {
//			fmt.Println("operations never exercised:", ids)
//			code = 1
//		}
//		os.Exit(code)
//	}
package contract

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/ferryhq/ferry/openapi"
)

// Validator checks requests and responses against openapi/ferry.yaml.
// It is safe for concurrent use; views made with For share its document
// and its coverage.
type Validator struct {
	t      testing.TB // receives violations; nil until For gives one
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
	cov    *coverage
}

// New loads and validates the document and returns a Validator whose
// Handler reports violations to t. A document that does not load or
// validate fails t at once.
//
// t may be nil, for a Validator shared by a package's tests and built in
// TestMain: then a broken document panics, and each test takes a view
// with For(t) before calling Handler.
func New(t testing.TB) *Validator {
	if t != nil {
		t.Helper()
	}
	l, err := loaded()
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	return &Validator{t: t, doc: l.doc, router: l.router, opts: l.opts, cov: newCoverage(l.doc)}
}

// loaded memoizes load: validating the document (its examples above all)
// takes about 150ms, and what it yields is never changed afterwards, so
// every Validator of a test binary shares it.
var loaded = sync.OnceValues(func() (*document, error) { return load(context.Background()) })

// document is the loaded, validated and routed document, read-only.
type document struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

// For returns a view of v that reports violations to t and shares v's
// document and coverage.
func (v *Validator) For(t testing.TB) *Validator {
	w := *v
	w.t = t
	return &w
}

// Doc returns the loaded document. Callers must not change it.
func (v *Validator) Doc() *openapi3.T { return v.doc }

// load parses, validates and routes the embedded document.
func load(ctx context.Context) (*document, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(openapi.Spec)
	if err != nil {
		return nil, fmt.Errorf("loading openapi/ferry.yaml: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("validating openapi/ferry.yaml: %w", err)
	}
	// The servers name an example host; tests serve on any host.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routing openapi/ferry.yaml: %w", err)
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    acceptAnyBearer,
		IncludeResponseStatus: true,
		// The handler under test must see the request as the client sent it.
		SkipSettingDefaults:     true,
		SchemaValidationOptions: formatOptions(),
	}
	// The failing value and its path say enough; the schema dump would bury them.
	opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
	})
	return &document{doc: doc, router: router, opts: opts}, nil
}

// formatOptions asserts the string formats the document uses that
// kin-openapi leaves unchecked by default.
func formatOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
			u, err := url.Parse(s)
			if err != nil {
				return err
			}
			if !u.IsAbs() {
				return fmt.Errorf("%q is not an absolute URI", s)
			}
			return nil
		})),
		openapi3.WithStringFormatValidator("uri-reference", openapi3.NewCallbackValidator(func(s string) error {
			_, err := url.Parse(s)
			return err
		})),
	}
}

// coverage records the operations requests were routed to.
type coverage struct {
	mu   sync.Mutex
	all  []string // every operationId of the document, in path order
	seen map[string]bool
}
