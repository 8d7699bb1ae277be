package azuredevops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// apiError is Azure DevOps' error body: a message ("TF401…") and the
// server exception's type key.
type apiError struct {
	Message string `json:"message"`
	TypeKey string `json:"typeKey"`
}

// do sends method url with in as JSON (when not nil) and decodes a 2xx
// answer into out (when not nil); see outbound.JSONAPI.
func (p *Provider) do(ctx context.Context, method, url string, in, out any, format string, args ...any) error {
	api := outbound.JSONAPI{
		Name:   "Azure DevOps",
		Client: p.hc,
		Auth: func(req *http.Request) {
			// A personal access token is the password of basic auth, with an empty user.
			req.SetBasicAuth("", p.token)
		},
		Answer:      signInPage,
		StatusError: statusError,
	}
	return api.Do(ctx, method, url, in, out, fmt.Sprintf(format, args...))
}

// signInPage refuses Azure DevOps' answer to a bad or expired token: 203
// and its sign-in page rather than 401.
func signInPage(resp *http.Response, doing string) error {
	if resp.StatusCode != http.StatusNonAuthoritativeInfo {
		return nil
	}
	return derrors.New(derrors.Unavailable, "scm_auth_failed", "%s: Azure DevOps refused Ferry's token (203, sign-in page); check that it is valid and has the Code scopes", doing)
}

// statusError maps the statuses outbound lets through to domain errors.
func statusError(code int, body []byte, doing string) error {
	var e apiError
	_ = json.Unmarshal(body, &e)
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(code)
	}
	err := fmt.Errorf("azure devops: %d %s", code, msg)
	switch code {
	case http.StatusNotFound:
		return fmt.Errorf("%s: %w", doing, derrors.ErrNotFound)
	case http.StatusConflict:
		return derrors.Wrap(err, derrors.Conflict, "scm_conflict", "%s: %s", doing, msg)
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return derrors.Wrap(err, derrors.Unprocessable, "scm_rejected", "%s: %s", doing, msg)
	}
	return derrors.Wrap(err, derrors.Unavailable, "scm_unavailable", "%s: Azure DevOps answered %d %s", doing, code, msg)
}
