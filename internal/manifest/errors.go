package manifest

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrTargetNotFound is wrapped by an *Error when a file has no place for the
// target's image: no images: entry to add to, no image: field of that
// repository, no marker with that name, no Helm tag path.
var ErrTargetNotFound = errors.New("target not found")

// Error is a refusal to read or edit a file, naming the file, the 1-based line
// (0 when the reason concerns the whole file) and the reason.
type Error struct {
	File   string
	Line   int
	Reason string
	// Err is an underlying cause, such as ErrTargetNotFound.
	Err error
}

// Error returns "file:line: reason", or "file: reason" when Line is 0.
func (e *Error) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Reason
	}
	return e.File + ": " + e.Reason
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

func errorf(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Reason: fmt.Sprintf(format, args...)}
}

func notFoundf(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Reason: fmt.Sprintf(format, args...), Err: ErrTargetNotFound}
}
