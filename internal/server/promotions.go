package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/promotion"
)

// postPromotion records a manual promotion or rollback:
// POST /api/v1/promotions.
func (s *Server) postPromotion(c *gin.Context) {
	var req api.PromotionRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		_ = c.Error(err)
		return
	}
	switch {
	case !appNameRE.MatchString(req.Application):
		_ = c.Error(fieldError("application", "%q must be lowercase letters, digits and dashes", req.Application))
		return
	case !appNameRE.MatchString(req.Environment):
		_ = c.Error(fieldError("environment", "%q must be lowercase letters, digits and dashes", req.Environment))
		return
	case req.Release == "" || len(req.Release) > 140 || hasControl(req.Release):
		_ = c.Error(fieldError("release", "required: a release id, digest or tag"))
		return
	case !validReason(req.Reason):
		_ = c.Error(fieldError("reason", "at most 1000 printable characters"))
		return
	}
	if err := token(c).mayPromote(req.Application, req.Environment); err != nil {
		_ = c.Error(err)
		return
	}
	preq := promotion.PromoteRequest{
		Application: req.Application, Environment: req.Environment, Release: req.Release,
		Force: req.Force, Reason: req.Reason, Rollback: req.Rollback,
	}
	if req.DryRun {
		pv, err := s.engine.PreviewPromote(c.Request.Context(), preq, token(c).Name)
		if err != nil {
			_ = c.Error(err)
			return
		}
		c.JSON(http.StatusOK, toPreview(pv))
		return
	}
	p, err := s.engine.Promote(c.Request.Context(), preq, token(c).Name)
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.Header("Location", "/api/v1/promotions/"+p.ID)
	c.JSON(http.StatusAccepted, toPromotion(p, nil))
}

// validReason reports whether a promotion's or cancellation's reason is at
// most 1000 characters without control characters other than newlines.
func validReason(r string) bool {
	return len(r) <= 1000 && !hasControl(strings.ReplaceAll(r, "\n", " "))
}

// approvePromotion approves a built-in pull request:
// POST /api/v1/promotions/{id}/approve.
func (s *Server) approvePromotion(c *gin.Context) {
	if !s.mayActOn(c) {
		return
	}
	p, err := s.engine.Approve(c.Request.Context(), c.Param("id"), token(c).Name)
	if err != nil {
		_ = c.Error(notFound(err, "promotion", c.Param("id")))
		return
	}
	c.JSON(http.StatusOK, toPromotion(p, nil))
}

// cancelPromotion rejects a promotion that has not completed:
// POST /api/v1/promotions/{id}/cancel.
func (s *Server) cancelPromotion(c *gin.Context) {
	var req api.CancelRequest
	if c.Request.ContentLength != 0 {
		if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
			_ = c.Error(err)
			return
		}
	}
	if !validReason(req.Reason) {
		_ = c.Error(fieldError("reason", "at most 1000 printable characters"))
		return
	}
	if !s.mayActOn(c) {
		return
	}
	p, err := s.engine.Cancel(c.Request.Context(), c.Param("id"), token(c).Name, req.Reason)
	if err != nil {
		_ = c.Error(notFound(err, "promotion", c.Param("id")))
		return
	}
	c.JSON(http.StatusOK, toPromotion(p, nil))
}

// mayActOn checks that the token may act on the promotion named by the
// path's id (its application and environment never change), answering
// 404 or 403 itself when not.
func (s *Server) mayActOn(c *gin.Context) bool {
	p, err := s.engine.Promotion(c.Request.Context(), c.Param("id"))
	if err == nil {
		err = token(c).mayPromote(p.Application, p.Environment)
	}
	if err != nil {
		_ = c.Error(notFound(err, "promotion", c.Param("id")))
		return false
	}
	return true
}
