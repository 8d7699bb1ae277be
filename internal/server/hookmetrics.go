package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/internal/derrors"
)

// WebhookObserver counts the webhook deliveries Ferry receives, for the
// operator's metrics (internal/telemetry implements it).
type WebhookObserver interface {
	// ObserveWebhook counts one delivery from source ("build" or "scm")
	// with its result: "accepted", "ignored", or the problem code.
	ObserveWebhook(source, result string)
}

// countHook counts each delivery on the route by its outcome, once the
// handler and the middleware after this one have answered.
func (s *Server) countHook(source string) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if s.webhooks == nil {
			return
		}
		s.webhooks.ObserveWebhook(source, hookResult(c))
	}
}

func hookResult(c *gin.Context) string {
	status := c.Writer.Status()
	if last := c.Errors.Last(); last != nil {
		if de, ok := derrors.As(last.Err); ok {
			return de.Code
		}
		return "internal"
	}
	switch {
	case status == http.StatusNoContent:
		return "ignored"
	case status < 400:
		return "accepted"
	}
	return strconv.Itoa(status)
}
