package gitlab

import (
	"errors"
	"fmt"
	"net/http"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// fail turns a client error into a domain error saying what was being done.
func fail(err error, format string, args ...any) error {
	doing := fmt.Sprintf(format, args...)
	if errors.Is(err, gl.ErrNotFound) {
		return fmt.Errorf("%s: %w", doing, derrors.ErrNotFound)
	}
	var er *gl.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w", doing, derrors.ErrNotFound)
		case http.StatusConflict:
			return derrors.Wrap(err, derrors.Conflict, "scm_conflict", "%s: %s", doing, er.Message)
		case http.StatusMethodNotAllowed, http.StatusNotAcceptable:
			return derrors.Wrap(err, derrors.Conflict, "pr_not_mergeable", "%s: %s", doing, er.Message)
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			return derrors.Wrap(err, derrors.Unprocessable, "scm_rejected", "%s: %s", doing, er.Message)
		}
	}
	return outbound.Error(err, "%s", doing)
}
