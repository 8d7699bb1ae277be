package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/openapi"
)

// healthz says the process is alive.
func (s *Server) healthz(c *gin.Context) {
	c.String(http.StatusOK, "ok")
}

// readyz says Ferry can do its work: the store answers and every
// repository's pipeline has loaded.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		_ = c.Error(derrors.Wrap(err, derrors.Unavailable, "not_ready", "the store does not answer"))
		return
	}
	if err := s.engine.Ready(ctx); err != nil {
		_ = c.Error(derrors.New(derrors.Unavailable, "not_ready", "%s", err.Error()))
		return
	}
	// A newer pipeline that failed to load leaves Ferry working on the last
	// good one: ready, but an operator looking here should learn of it.
	body := "ok"
	for _, p := range s.engine.Pipelines() {
		if w := p.Warning(); w != "" {
			body += "\nwarning: repository " + p.Repository + ": " + w
		}
	}
	c.String(http.StatusOK, body)
}

// openapi serves the API description.
func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", openapi.Spec)
}
