package server

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
)

// TestPageErrorShowsNoCause checks the public page shows what a problem
// answer would: a domain error's detail, never its cause, and nothing of
// an internal error.
func TestPageErrorShowsNoCause(t *testing.T) {
	s := &Server{log: zap.NewNop()}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Set(ctxRequestID, "req-1")
	cause := errors.New("dial tcp 10.0.0.7:443: connection refused; /var/lib/ferry/cache")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{derrors.Wrap(cause, derrors.Unavailable, "git_unavailable", "reading branch main of repository envs"),
			"payments: reading branch main of repository envs"},
		{fmt.Errorf("finding release: %w", cause),
			"payments: internal error; the server log has the cause (request id req-1)"},
		{derrors.Wrap(cause, derrors.Internal, "internal", "listing promotions"),
			"payments: internal error; the server log has the cause (request id req-1)"},
	} {
		got := s.pageError(c, "payments", tc.err)
		if got != tc.want {
			t.Errorf("pageError(%v) = %q, want %q", tc.err, got, tc.want)
		}
		if strings.Contains(got, "10.0.0.7") {
			t.Errorf("pageError(%v) shows the cause: %q", tc.err, got)
		}
	}
}
