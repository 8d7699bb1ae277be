package outbound

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

// DefaultTimeout bounds one provider call (all of its requests) unless the
// provider is configured otherwise.
const DefaultTimeout = 15 * time.Second

// Error wraps a failed call with what was being done. A domain error from
// the transport keeps its kind; a deadline or cancellation becomes a
// derrors.Unavailable "scm_unavailable", since some client libraries return
// the context's error in place of the transport's.
func Error(err error, format string, args ...any) error {
	doing := fmt.Sprintf(format, args...)
	if _, ok := derrors.As(err); ok {
		return fmt.Errorf("%s: %w", doing, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return derrors.Wrap(err, derrors.Unavailable, "scm_unavailable", "%s: the Git host did not answer in time", doing)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
