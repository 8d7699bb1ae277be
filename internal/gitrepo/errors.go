package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Sentinel errors. Errors returned by Repo wrap one of them (test with
// errors.Is) and, for the first, third and fourth, a *derrors.Error that
// decides the HTTP answer.
var (
	// ErrConflict means the branch kept moving: every attempt to push was
	// beaten by another writer. Code "git_conflict".
	ErrConflict = errors.New("git conflict")
	// ErrUnsafePath means a path escapes the repository or goes through a
	// symbolic link.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrAuth means the Git server refused Ferry's credentials. It is a
	// server-side configuration problem, so it maps to 503 with code
	// "git_auth_failed", never to 401.
	ErrAuth = errors.New("git auth failed")
	// ErrUnavailable means the Git server could not be reached or failed.
	// Code "git_unavailable".
	ErrUnavailable = errors.New("git unavailable")
)

// Stable codes of the domain errors this package returns.
const (
	CodeConflict    = "git_conflict"
	CodeAuthFailed  = "git_auth_failed"
	CodeUnavailable = "git_unavailable"
)

// scrubbedError shows a message with secrets removed while keeping the
// original chain for errors.Is and errors.As.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrubber removes credentials from text bound for errors and logs.
type scrubber []string

func newScrubber(a Auth) scrubber {
	var s scrubber
	for _, secret := range []string{a.Token, a.SSHKeyPassphrase} {
		if len(secret) >= 4 { // shorter strings would blank out ordinary words
			s = append(s, secret)
		}
	}
	return s
}

func (s scrubber) text(msg string) string {
	for _, secret := range s {
		msg = strings.ReplaceAll(msg, secret, "***")
	}
	return msg
}

func (s scrubber) err(err error) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: s.text(err.Error()), err: err}
}

// isAuthError reports whether err says the server refused the credentials.
func isAuthError(err error) bool {
	return errors.Is(err, transport.ErrAuthenticationRequired) ||
		errors.Is(err, transport.ErrAuthorizationFailed) ||
		errors.Is(err, transport.ErrInvalidAuthMethod)
}

// networkError turns an error from talking to the remote into a domain
// error: ErrAuth for refused credentials, ErrUnavailable for the rest. what
// is a gerund phrase such as "fetching main from https://host/repo".
func (s scrubber) networkError(err error, what string) error {
	err = s.err(err)
	if isAuthError(err) {
		return derrors.Wrap(fmt.Errorf("%w: %w", ErrAuth, err), derrors.Unavailable, CodeAuthFailed,
			"%s: the git server refused the credentials", what)
	}
	detail := "%s: the git server did not answer in time"
	if !errors.Is(err, context.DeadlineExceeded) {
		detail = "%s: the git server failed"
	}
	return derrors.Wrap(fmt.Errorf("%w: %w", ErrUnavailable, err), derrors.Unavailable, CodeUnavailable, detail, what)
}

// conflictError reports a branch that moved under every attempt. The last
// push error is kept as text only: it is not a failure of the server.
func conflictError(branch string, attempts int, last error) error {
	return derrors.Wrap(fmt.Errorf("%w: last push: %v", ErrConflict, last), derrors.Conflict, CodeConflict,
		"pushing to branch %q: it moved under every one of %d attempts", branch, attempts)
}
