package gitea

import (
	"fmt"
	"net/http"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// fail turns an SDK error into a domain error saying what was being done.
// The SDK's errors carry only the host's message, so the status is read
// from the response.
func fail(resp *sdk.Response, err error, format string, args ...any) error {
	doing := fmt.Sprintf(format, args...)
	if resp != nil && resp.Response != nil {
		switch resp.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%s: %w", doing, derrors.ErrNotFound)
		case http.StatusConflict:
			return derrors.Wrap(err, derrors.Conflict, "scm_conflict", "%s: %v", doing, err)
		case http.StatusMethodNotAllowed:
			return derrors.Wrap(err, derrors.Conflict, "pr_not_mergeable", "%s: %v", doing, err)
		case http.StatusUnprocessableEntity, http.StatusBadRequest:
			return derrors.Wrap(err, derrors.Unprocessable, "scm_rejected", "%s: %v", doing, err)
		}
	}
	return outbound.Error(err, "%s", doing)
}
