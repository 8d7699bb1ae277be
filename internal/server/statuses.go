package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// StatusRecorder keeps the commit statuses posted to Ferry (the store).
type StatusRecorder interface {
	AddStatus(ctx context.Context, s store.CommitStatus) error
}

// statusRequest is the body of POST /api/v1/statuses: a commit status as a
// deploy tool reports it to a Git host, for a repository whose Git server
// keeps none.
type statusRequest struct {
	Repository  string `json:"repository"`
	SHA         string `json:"sha"`
	Context     string `json:"context"`
	State       string `json:"state"`
	Description string `json:"description"`
	TargetURL   string `json:"target_url"`
}

// postStatus records a commit status and wakes the promotions waiting on
// the health of that commit: POST /api/v1/statuses.
func (s *Server) postStatus(c *gin.Context) {
	rec, ok := s.store.(StatusRecorder)
	if !ok {
		_ = c.Error(derrors.New(derrors.NotFound, "not_found", "this server keeps no commit statuses"))
		return
	}
	var req statusRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		_ = c.Error(err)
		return
	}
	if err := validateStatus(req); err != nil {
		_ = c.Error(err)
		return
	}
	st := store.CommitStatus{Repository: req.Repository, SHA: strings.ToLower(req.SHA), Context: req.Context, State: req.State,
		Description: req.Description, TargetURL: req.TargetURL, CreatedAt: s.now()}
	if err := rec.AddStatus(c.Request.Context(), st); err != nil {
		_ = c.Error(err)
		return
	}
	if err := s.engine.WakeFor(c.Request.Context(), req.Repository, promotion.Event{Kind: promotion.EventChecks, HeadSHA: st.SHA}); err != nil {
		s.log.Warn("waking promotions after a status", zap.Error(err))
	}
	c.JSON(http.StatusCreated, req)
}

func validateStatus(r statusRequest) error {
	switch {
	case !appNameRE.MatchString(r.Repository):
		return fieldError("repository", "%q is not a repository name of the server config", r.Repository)
	case !commitRE.MatchString(r.SHA):
		return fieldError("sha", "%q is not a commit id (7 to 64 hex digits)", r.SHA)
	case strings.TrimSpace(r.Context) == "" || len(r.Context) > 255:
		return fieldError("context", "must be 1 to 255 characters")
	case r.State != promotion.StatusSuccess && r.State != promotion.StatusPending && r.State != promotion.StatusFailure && r.State != promotion.StatusError:
		return fieldError("state", "%q is not success, pending, failure or error", r.State)
	case len(r.Description) > 1024:
		return fieldError("description", "is over 1024 characters")
	}
	if r.TargetURL != "" {
		u, err := url.Parse(r.TargetURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(r.TargetURL) > 2048 {
			return fieldError("target_url", "must be an http or https URL of at most 2048 characters")
		}
	}
	return nil
}
