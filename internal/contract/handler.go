package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// ExpectInvalidHeader marks a request that a test sends on purpose against
// the document (to see a 400, a 401, a 404 for an unknown path...). Handler
// removes it before the wrapped handler sees the request. Set it with
// ExpectInvalidRequest, or by hand on a request sent over the network.
const ExpectInvalidHeader = "Contract-Expect-Invalid-Request"

// ExpectInvalidRequest returns a copy of r marked as deliberately invalid:
// Handler checks that the document does refuse it (so a test cannot opt out
// by mistake) and passes it on. Its response is still validated.
func (v *Validator) ExpectInvalidRequest(r *http.Request) *http.Request {
	r = r.Clone(r.Context())
	r.Header.Set(ExpectInvalidHeader, "1")
	return r
}

// Handler wraps h so that every request is validated against the document
// before h sees it and every response after h wrote it; a violation fails
// the Validator's t with the method, the path and the validator's message.
// Responses are buffered until validated, so h cannot stream.
func (v *Validator) Handler(h http.Handler) http.Handler {
	if v.t == nil {
		panic("contract: Handler on a Validator made with New(nil); take a view with For(t)")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := v.t
		where := r.Method + " " + r.URL.RequestURI()
		expectInvalid := r.Header.Get(ExpectInvalidHeader) != ""
		r.Header.Del(ExpectInvalidHeader)

		var body []byte
		if r.Body != nil {
			var err error
			if body, err = io.ReadAll(r.Body); err != nil {
				t.Errorf("contract: %s: reading request body: %v", where, err)
			}
			r.Body.Close()
		}

		in, reqErr := v.checkRequest(r, body)
		switch {
		case reqErr != nil && !expectInvalid:
			t.Errorf("contract: %s: request violates openapi/ferry.yaml: %v", where, reqErr)
		case reqErr == nil && expectInvalid:
			t.Errorf("contract: %s: request is marked invalid but openapi/ferry.yaml accepts it", where)
		}

		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)

		if err := v.checkResponse(in, rec); err != nil {
			t.Errorf("contract: %s: response %d violates openapi/ferry.yaml: %v\nbody: %s",
				where, rec.Code, err, snippet(rec.Body.Bytes()))
		}

		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// checkRequest routes r and validates it. It returns the validation input
// the response is checked with, nil when no operation matches r.
func (v *Validator) checkRequest(r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		return nil, fmt.Errorf("no operation for %s %s: %w", r.Method, r.URL.Path, err)
	}
	v.cov.add(route.Operation.OperationID)
	// Validate a copy: validation reads the body and may touch the URL.
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: c, PathParams: params, Route: route, Options: v.opts}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		return in, err
	}
	return in, nil
}

// checkResponse validates what h wrote. Without an operation (in is nil),
// only an error answer is acceptable, and it must be a Problem.
func (v *Validator) checkResponse(in *openapi3filter.RequestValidationInput, rec *httptest.ResponseRecorder) error {
	var errs []error
	if in != nil {
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in,
			Status:                 rec.Code,
			Header:                 rec.Header(),
			Options:                v.opts,
		}
		out.SetBodyBytes(rec.Body.Bytes())
		if err := openapi3filter.ValidateResponse(in.Request.Context(), out); err != nil {
			errs = append(errs, err)
		}
	} else if rec.Code < 400 {
		errs = append(errs, fmt.Errorf("status %d for a path and method the document does not have", rec.Code))
	}
	if rec.Code >= 400 {
		if err := v.checkProblem(rec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkProblem checks an error answer is a Problem whose status is the
// HTTP status, which the document alone cannot say.
func (v *Validator) checkProblem(rec *httptest.ResponseRecorder) error {
	ct := rec.Header().Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt != "application/problem+json" {
		return fmt.Errorf("content type %q of a %d answer, want application/problem+json", ct, rec.Code)
	}
	var p struct {
		Status int `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		return fmt.Errorf("decoding problem: %w", err)
	}
	if p.Status != rec.Code {
		return fmt.Errorf("problem status %d differs from HTTP status %d", p.Status, rec.Code)
	}
	return v.CheckSchema("Problem", rec.Body.Bytes())
}

func snippet(b []byte) string {
	const max = 512
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
