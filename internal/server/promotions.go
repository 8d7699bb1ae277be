package server

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
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
	p, err := s.engine.Promote(c.Request.Context(), promotion.PromoteRequest{
		Application: req.Application, Environment: req.Environment, Release: req.Release,
		Force: req.Force, Reason: req.Reason,
	}, token(c).Name)
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
	p, err := s.engine.Cancel(c.Request.Context(), c.Param("id"), token(c).Name, req.Reason)
	if err != nil {
		_ = c.Error(notFound(err, "promotion", c.Param("id")))
		return
	}
	c.JSON(http.StatusOK, toPromotion(p, nil))
}

// scmWebhook receives a Git host's webhook for one repository:
// POST /api/v1/scm/{repo}/webhook. The host's signature or token is the
// authentication; a delivery id seen before is acknowledged and ignored.
// Deliveries that fail verification are charged to the client address's
// rate limit.
func (s *Server) scmWebhook(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 25<<20)) // GitHub caps payloads at 25 MB
	if err != nil {
		_ = c.Error(derrors.New(derrors.TooLarge, "body_too_large", "webhook body over 25 MB"))
		return
	}
	repo := c.Param("repo")
	ctx := c.Request.Context()
	ev, err := s.engine.VerifyWebhook(repo, c.Request.Header, body)
	if err != nil {
		// A delivery that does not verify carries no valid credential:
		// charged to its address, as elsewhere.
		if s.limitAnonymous(c); c.IsAborted() {
			return
		}
		_ = c.Error(err)
		return
	}
	if ev.Kind == promotion.EventIgnored {
		c.Status(http.StatusNoContent)
		return
	}
	resp := api.WebhookResponse{Delivery: ev.Delivery, Kind: string(ev.Kind)}
	// The delivery id is remembered only once the signature holds, so a
	// forger cannot burn the id of a delivery still to come.
	if ev.Delivery != "" && s.idem != nil {
		_, created, err := s.idem.PutIdempotency(ctx, store.IdemRecord{
			Scope: "scm:" + repo, Key: ev.Delivery, RequestHash: "webhook",
		})
		switch {
		case err != nil && !errors.Is(err, derrors.ErrConflict):
			_ = c.Error(err)
			return
		case !created:
			resp.Duplicate = true
			c.JSON(http.StatusAccepted, resp)
			return
		}
	}
	// Should waking fail after the id was remembered, the host's redelivery
	// is acknowledged as a duplicate, but the reconciler's poll still
	// catches the change: the webhook only hurries it.
	if err := s.engine.WakeFor(ctx, repo, ev); err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(http.StatusAccepted, resp)
}
