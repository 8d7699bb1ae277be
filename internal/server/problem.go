package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/derrors"
)

// statusOf is the one table mapping domain error kinds to HTTP statuses.
var statusOf = map[derrors.Kind]int{
	derrors.Internal:        http.StatusInternalServerError,
	derrors.Invalid:         http.StatusBadRequest,
	derrors.Unauthenticated: http.StatusUnauthorized,
	derrors.Forbidden:       http.StatusForbidden,
	derrors.NotFound:        http.StatusNotFound,
	derrors.Conflict:        http.StatusConflict,
	derrors.TooLarge:        http.StatusRequestEntityTooLarge,
	derrors.Unprocessable:   http.StatusUnprocessableEntity,
	derrors.RateLimited:     http.StatusTooManyRequests,
	derrors.Unavailable:     http.StatusServiceUnavailable,
}

// problemType is the URI that identifies a problem code.
func problemType(code string) string { return "https://ferry.dev/problems/" + code }

// writeErrors is the middleware that turns the first error a handler
// recorded with c.Error into an RFC 9457 problem response. A 500 reveals
// nothing of its cause; the cause is logged.
func writeErrors(log *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		renderError(c, log)
	}
}

// renderError writes the first recorded error as a problem. The
// idempotency layer calls it too, to record the answer it writes.
func renderError(c *gin.Context, log *zap.Logger) {
	err := c.Errors[0].Err
	de, ok := derrors.As(err)
	if !ok {
		de = &derrors.Error{Kind: derrors.Internal, Code: "internal", Err: err}
	}
	status := statusOf[de.Kind]
	detail := de.Detail
	if de.Kind == derrors.Internal {
		detail = "internal error; the server log has the cause (request id " + c.GetString(ctxRequestID) + ")"
		log.Error("request failed", zap.String("request_id", c.GetString(ctxRequestID)), zap.Error(err))
	} else if de.Kind == derrors.Unavailable {
		// A dependency failed: the answer says which and why in a sentence;
		// the log keeps the cause underneath for whoever has to fix it.
		log.Warn("dependency unavailable", zap.String("request_id", c.GetString(ctxRequestID)),
			zap.String("code", de.Code), zap.Error(err))
	}
	if de.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int((de.RetryAfter+time.Second-1)/time.Second)))
	} else if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		c.Header("Retry-After", "10")
	}
	writeProblem(c, status, de.Code, detail, de.Items...)
}

func writeProblem(c *gin.Context, status int, code, detail string, items ...derrors.Item) {
	body := api.Problem{
		Type:     problemType(code),
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   detail,
		Instance: c.Request.URL.Path,
		Code:     code,
	}
	for _, it := range items {
		body.Errors = append(body.Errors, api.ProblemItem{Name: it.Name, Code: it.Code, Detail: it.Detail})
	}
	c.Header("Content-Type", "application/problem+json")
	c.Status(status)
	c.Render(-1, problemRender{body})
}
