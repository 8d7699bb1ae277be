package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
)

const (
	ctxRequestID = "ferry.request_id"
	ctxToken     = "ferry.token"
)

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// requestID takes a well-formed X-Request-Id from the caller or makes one.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if !requestIDRE.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		c.Header("X-Request-Id", id)
		c.Next()
	}
}

// recovery turns a panic into a 500 problem and logs it.
func recovery(log *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic", zap.String("request_id", c.GetString(ctxRequestID)),
					zap.String("panic", fmt.Sprint(v)), zap.Stack("stack"))
				if !c.Writer.Written() {
					writeProblem(c, http.StatusInternalServerError, "internal",
						"internal error; the server log has the cause (request id "+c.GetString(ctxRequestID)+")")
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

// accessLog logs each request (never its headers or body) and counts it.
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		status := c.Writer.Status()
		s.metrics.observe(c.Request.Method, route, status, d)
		fields := []zap.Field{
			zap.String("request_id", c.GetString(ctxRequestID)),
			zap.String("method", c.Request.Method),
			zap.String("route", route),
			zap.Int("status", status),
			zap.Duration("duration", d),
		}
		if t, ok := c.Get(ctxToken); ok {
			fields = append(fields, zap.String("token", t.(*Token).Name))
		}
		if route == "/healthz" || route == "/metrics" || route == "/readyz" {
			s.log.Debug("request", fields...)
			return
		}
		s.log.Info("request", fields...)
	}
}
