package bitbucket

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// apiError is Bitbucket Cloud's error body
// (https://developer.atlassian.com/cloud/bitbucket/rest/intro/#standardized-error-responses).
type apiError struct {
	Error struct {
		Message string `json:"message"`
		Detail  any    `json:"detail"`
	} `json:"error"`
}

// do sends method url with in as JSON (when not nil) and decodes a 2xx
// answer into out (when not nil); see outbound.JSONAPI.
func (p *Provider) do(ctx context.Context, method, url string, in, out any, format string, args ...any) error {
	api := outbound.JSONAPI{
		Name:        "Bitbucket",
		Client:      p.hc,
		Auth:        p.auth,
		StatusError: statusError,
	}
	return api.Do(ctx, method, url, in, out, fmt.Sprintf(format, args...))
}

// statusError maps the statuses outbound lets through to domain errors.
func statusError(code int, body []byte, doing string) error {
	var e apiError
	_ = json.Unmarshal(body, &e)
	msg := e.Error.Message
	if msg == "" {
		msg = http.StatusText(code)
	}
	err := fmt.Errorf("bitbucket: %d %s", code, msg)
	switch code {
	case http.StatusNotFound:
		return fmt.Errorf("%s: %w", doing, derrors.ErrNotFound)
	case http.StatusConflict:
		return derrors.Wrap(err, derrors.Conflict, "scm_conflict", "%s: %s", doing, msg)
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return derrors.Wrap(err, derrors.Unprocessable, "scm_rejected", "%s: %s", doing, msg)
	}
	return derrors.Wrap(err, derrors.Unavailable, "scm_unavailable", "%s: Bitbucket answered %d %s", doing, code, msg)
}
