package bitbucketdc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// apiError is Bitbucket Data Center's error body
// (https://developer.atlassian.com/server/bitbucket/rest/v906/intro/#errors-and-validation).
type apiError struct {
	Errors []struct {
		Message       string `json:"message"`
		ExceptionName string `json:"exceptionName"`
		// Vetoes explain a refused merge (merge checks that failed).
		Vetoes []veto `json:"vetoes"`
	} `json:"errors"`
}

// do sends method url with in as JSON (when not nil) and decodes a 2xx
// answer into out (when not nil); see outbound.JSONAPI.
func (p *Provider) do(ctx context.Context, method, url string, in, out any, format string, args ...any) error {
	api := outbound.JSONAPI{
		Name:        "Bitbucket Data Center",
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
	var (
		msgs             []string
		outdated, vetoed bool
	)
	for _, m := range e.Errors {
		msgs = append(msgs, m.Message)
		outdated = outdated || strings.HasSuffix(m.ExceptionName, "OutOfDateException")
		vetoed = vetoed || len(m.Vetoes) > 0
		for _, v := range m.Vetoes {
			msgs = append(msgs, v.SummaryMessage)
		}
	}
	msg := strings.Join(msgs, "; ")
	if msg == "" {
		msg = http.StatusText(code)
	}
	err := fmt.Errorf("bitbucket data center: %d %s", code, msg)
	switch {
	case code == http.StatusNotFound:
		return fmt.Errorf("%s: %w", doing, derrors.ErrNotFound)
	case code == http.StatusConflict && outdated:
		// The version Ferry sent is not the PR's: someone pushed or edited.
		return derrors.Wrap(err, derrors.Conflict, "head_moved", "%s: the pull request changed since Ferry read it: %s", doing, msg)
	case code == http.StatusConflict && vetoed:
		return derrors.Wrap(err, derrors.Conflict, "pr_not_mergeable", "%s: %s", doing, msg)
	case code == http.StatusConflict:
		return derrors.Wrap(err, derrors.Conflict, "scm_conflict", "%s: %s", doing, msg)
	case code == http.StatusBadRequest, code == http.StatusUnprocessableEntity:
		return derrors.Wrap(err, derrors.Unprocessable, "scm_rejected", "%s: %s", doing, msg)
	}
	return derrors.Wrap(err, derrors.Unavailable, "scm_unavailable", "%s: Bitbucket Data Center answered %d %s", doing, code, msg)
}
