// Package contract holds HTTP handlers to openapi/ferry.yaml in tests: it
// validates every request and response that passes through a wrapped
// handler with kin-openapi, and reports which operations tests exercised.
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
	v, err := load(context.Background())
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	v.t = t
	return v
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

// load parses, validates and indexes the embedded document.
func load(ctx context.Context) (*Validator, error) {
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
	return &Validator{doc: doc, router: router, opts: opts, cov: newCoverage(doc)}, nil
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
