package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/promotion"
)

// listPins lists pins, newest first: GET /api/v1/pins. Filters:
// application, environment; ended=true includes ended pins (the pins'
// history).
func (s *Server) listPins(c *gin.Context) {
	f := promotion.PinFilter{Application: c.Query("application"), Environment: c.Query("environment")}
	for name, v := range map[string]string{"application": f.Application, "environment": f.Environment} {
		if v != "" && !appNameRE.MatchString(v) {
			_ = c.Error(fieldError(name, "%q must be lowercase letters, digits and dashes", v))
			return
		}
	}
	switch c.Query("ended") {
	case "", "false":
	case "true":
		f.Ended = true
	default:
		_ = c.Error(fieldError("ended", "%q is not true or false", c.Query("ended")))
		return
	}
	lim, err := limit(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	f.Limit = lim
	pins, err := s.engine.Pins(c.Request.Context(), f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := api.PinList{Items: []api.Pin{}}
	for _, p := range pins {
		out.Items = append(out.Items, toPin(p))
	}
	c.JSON(http.StatusOK, out)
}

// deletePin unpins an application in an environment: DELETE
// /api/v1/pins/{application}/{environment}, with the promote scope for
// that application and environment. The promotions the pin held go on.
func (s *Server) deletePin(c *gin.Context) {
	var req api.UnpinRequest
	if c.Request.ContentLength != 0 {
		if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
			_ = c.Error(err)
			return
		}
	}
	app, env := c.Param("application"), c.Param("environment")
	switch {
	case !appNameRE.MatchString(app):
		_ = c.Error(fieldError("application", "%q must be lowercase letters, digits and dashes", app))
		return
	case !appNameRE.MatchString(env):
		_ = c.Error(fieldError("environment", "%q must be lowercase letters, digits and dashes", env))
		return
	case !validReason(req.Reason):
		_ = c.Error(fieldError("reason", "at most 1000 printable characters"))
		return
	}
	if err := token(c).mayPromote(app, env); err != nil {
		_ = c.Error(err)
		return
	}
	p, err := s.engine.Unpin(c.Request.Context(), app, env, token(c).Name, req.Reason)
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toPin(p))
}

func toPin(p promotion.Pin) api.Pin {
	out := api.Pin{ID: p.ID, Application: p.Application, Environment: p.Environment, ReleaseID: p.ReleaseID,
		ReleaseTag: p.ReleaseTag, PromotionID: p.PromotionID, PinnedBy: p.PinnedBy, Reason: p.Reason,
		CreatedAt: p.CreatedAt, Held: p.Held(), Active: p.Active, EndedBy: p.EndedBy, EndReason: p.EndReason}
	if !p.Active && !p.EndedAt.IsZero() {
		t := p.EndedAt
		out.EndedAt = &t
	}
	return out
}
