// Package derrors defines Ferry's domain errors: a kind that decides the HTTP
// status, a stable machine-readable code, and a detail safe to show callers.
package derrors

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a domain error. The server maps each kind to one HTTP status.
type Kind int

// Kinds of domain errors.
const (
	Internal        Kind = iota // a bug or an unexpected failure; its detail is never shown
	Invalid                     // malformed input (400)
	Unauthenticated             // no or bad credentials (401)
	Forbidden                   // credentials not allowed to do this (403)
	NotFound                    // no such thing (404)
	Conflict                    // state conflict, e.g. request in flight (409)
	TooLarge                    // body over the limit (413)
	Unprocessable               // well-formed but refused, e.g. digest mismatch (422)
	RateLimited                 // too many requests (429)
	Unavailable                 // a dependency is down or slow (503)
)

// Error is a domain error: what went wrong, in words a caller can act on.
type Error struct {
	Kind Kind
	// Code is stable and machine-readable, e.g. "digest_mismatch".
	Code string
	// Detail is a human sentence naming what was wrong. It must never carry secrets.
	Detail string
	// RetryAfter, when non-zero, tells the caller when to try again.
	RetryAfter time.Duration
	// Err is the underlying cause; it is logged, never shown.
	Err error
	// Items, when set, are the parts of a request that failed, each with
	// its own code and detail (e.g. every member of a refused release set).
	Items []Item
}

// Item is one failing part of a request: what it names, why it failed.
type Item struct {
	Name   string
	Code   string
	Detail string
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Detail + ": " + e.Err.Error()
	}
	return e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// New returns a domain error of the given kind and code.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Wrap returns a domain error that keeps err as its cause.
func Wrap(err error, kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Detail: fmt.Sprintf(format, args...), Err: err}
}

// As returns the first domain error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf returns the kind of the first domain error in err's chain, or Internal.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}

// Sentinels shared by packages that have no richer error to give.
var (
	// ErrNotFound is returned by stores when a row does not exist.
	ErrNotFound = New(NotFound, "not_found", "not found")
	// ErrConflict is returned by stores when a unique constraint or a lease is violated.
	ErrConflict = New(Conflict, "conflict", "conflict")
)
