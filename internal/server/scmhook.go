package server

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// maxSCMHookBody bounds a Git host's delivery: GitHub caps payloads at 25 MB.
const maxSCMHookBody = 25 << 20

// scmWebhook receives a Git host's webhook for one repository:
// POST /api/v1/scm/{repo}/webhook. The host's signature or token is the
// authentication; a delivery id seen before is acknowledged and ignored,
// by the same rule as an Idempotency-Key (dedupe.go). Deliveries that fail
// verification are charged to the client address's rate limit.
func (s *Server) scmWebhook(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxSCMHookBody))
	if err != nil {
		_ = c.Error(derrors.New(derrors.TooLarge, "body_too_large", "webhook body over 25 MB"))
		return
	}
	repo := c.Param("repo")
	ev, err := s.engine.VerifyWebhook(repo, hookHeaders(c.Request.Header), body)
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
	if ev.Delivery == "" || s.idem == nil {
		s.wake(c, repo, ev, resp, nil)
		return
	}
	// The delivery id is remembered only once the signature holds, so a
	// forger cannot burn the id of a delivery still to come. A redelivery
	// carries the same body, so the id alone identifies it.
	cl, err := s.claim(c.Request.Context(), "scm:"+repo, ev.Delivery, "webhook")
	switch {
	case err != nil:
		_ = c.Error(err)
	case cl.outcome == claimed:
		s.wake(c, repo, ev, resp, &cl)
	default:
		// Answered, or still being handled: either way the host need not
		// send it again, and the reconciler's poll is the safety net.
		resp.Duplicate = true
		c.JSON(http.StatusAccepted, resp)
	}
}

// wake hands a verified event to the engine and answers the host. With a
// claimed record it holds it meanwhile and records the outcome: should
// waking fail, the record is finished with the failure, so the host's
// redelivery does the work again.
func (s *Server) wake(c *gin.Context, repo string, ev promotion.Event, resp api.WebhookResponse, cl *claim) {
	ctx := c.Request.Context()
	status, answer := http.StatusAccepted, []byte(nil)
	if cl != nil {
		stop := s.hold(ctx, *cl)
		defer func() {
			stop()
			if ferr := s.finish(ctx, *cl, status, answer); ferr != nil {
				s.log.Warn("recording a webhook delivery", zap.String("delivery", ev.Delivery), zap.Error(ferr))
			}
		}()
	}
	if err := s.engine.WakeFor(ctx, repo, ev); err != nil {
		status = http.StatusInternalServerError // not final: a redelivery wakes again
		_ = c.Error(err)
		return
	}
	answer, _ = json.Marshal(resp)
	c.JSON(status, resp)
}

// hookHeaders are a delivery's headers as providers read them: the first
// value of each.
func hookHeaders(h http.Header) promotion.Headers {
	out := make(promotion.Headers, len(h))
	for k, vs := range h {
		if len(vs) > 0 {
			out.Set(k, vs[0])
		}
	}
	return out
}
