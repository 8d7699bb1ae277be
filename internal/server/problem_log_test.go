package server

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ferryhq/ferry/internal/derrors"
)

// TestUnavailableCauseLogged: a 503 answer says what failed in a sentence;
// the log keeps the cause underneath (before, only 500s were logged, so a
// refused registry token service left no trace of why).
func TestUnavailableCauseLogged(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodPost, "/api/v1/builds", nil)
	c.Set(ctxRequestID, "req-7")
	cause := errors.New("refusing request to auth.example.net: the token service of registry ghcr.io is not an allowed host")
	_ = c.Error(derrors.Wrap(cause, derrors.Unavailable, "registry_redirect_refused", "registry ghcr.io sent Ferry to its token service at auth.example.net"))
	renderError(c, zap.New(core))

	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", rec.Code)
	}
	entries := logs.FilterField(zap.String("request_id", "req-7")).All()
	if len(entries) != 1 || entries[0].Level != zapcore.WarnLevel {
		t.Fatalf("log entries %+v, want one warning", entries)
	}
	if got := entries[0].ContextMap()["error"]; !strings.Contains(got.(string), "auth.example.net: the token service") {
		t.Errorf("logged error %q lacks the cause", got)
	}
}
