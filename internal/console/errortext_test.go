package console

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
)

// TestErrorTextShowsNoCause checks a page shows what a problem answer
// would: a domain error's detail, never its cause, and nothing of an
// internal error.
func TestErrorTextShowsNoCause(t *testing.T) {
	c := &Console{log: zap.NewNop()}
	cause := errors.New("dial tcp 10.0.0.7:443: connection refused; /var/lib/ferry/cache")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{derrors.Wrap(cause, derrors.Unavailable, "git_unavailable", "reading branch main of repository envs"),
			"payments: reading branch main of repository envs"},
		{fmt.Errorf("finding release: %w", cause),
			"payments: internal error; the server log has the cause"},
		{derrors.Wrap(cause, derrors.Internal, "internal", "listing promotions"),
			"payments: internal error; the server log has the cause"},
	} {
		got := c.errorText("payments", tc.err)
		if got != tc.want {
			t.Errorf("errorText(%v) = %q, want %q", tc.err, got, tc.want)
		}
		if strings.Contains(got, "10.0.0.7") {
			t.Errorf("errorText(%v) shows the cause: %q", tc.err, got)
		}
	}
}
