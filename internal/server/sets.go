package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// maxSetBuilds bounds the builds of one set report.
const maxSetBuilds = 100

// postSetRelease records a release set reported at once by CI:
// POST /api/v1/release-sets. Every build is verified before anything is
// written; one failure refuses the whole set (release_set_refused).
func (s *Server) postSetRelease(c *gin.Context) {
	var wait time.Duration
	if w := c.Query("wait"); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil || d < 0 || d > s.cfg.MaxWait {
			_ = c.Error(fieldError("wait", "%q is not a duration such as 30s, at most %s", w, s.cfg.MaxWait))
			return
		}
		wait = d
	}
	var req api.SetReleaseRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		_ = c.Error(err)
		return
	}
	switch {
	case !appNameRE.MatchString(req.Set):
		_ = c.Error(fieldError("set", "%q must be lowercase letters, digits and dashes", req.Set))
		return
	case len(req.Builds) == 0 || len(req.Builds) > maxSetBuilds:
		_ = c.Error(fieldError("builds", "one build per member is required (at most %d)", maxSetBuilds))
		return
	}
	builds := make([]promotion.Build, 0, len(req.Builds))
	for i, b := range req.Builds {
		if b.DryRun {
			_ = c.Error(fieldError(fmt.Sprintf("builds[%d].dry_run", i), "is not taken per build"))
			return
		}
		if err := validateBuild(b); err != nil {
			if de, ok := derrors.As(err); ok {
				err = derrors.New(de.Kind, de.Code, "builds[%d] (%s): %s", i, b.Application, de.Detail)
			}
			_ = c.Error(err)
			return
		}
		builds = append(builds, promotion.Build{
			Application: b.Application, Image: b.Image, Tag: b.Tag, Digest: b.Digest,
			SourceRepo: b.SourceRepo, SourceCommit: b.SourceCommit, SourceBranch: b.SourceBranch, CIRunURL: b.CIRunURL,
		})
	}
	if req.DryRun {
		pvs, err := s.engine.PreviewSet(c.Request.Context(), req.Set, builds, token(c).Actor())
		if err != nil {
			_ = c.Error(err)
			return
		}
		out := api.SetReleasePreview{DryRun: true, Set: req.Set, Previews: []api.SetPreview{}}
		for _, sp := range pvs {
			out.Previews = append(out.Previews, toSetPreview(sp))
		}
		c.JSON(http.StatusOK, out)
		return
	}
	rep, err := s.engine.ReportSet(c.Request.Context(), req.Set, builds, token(c).Actor())
	if err != nil {
		_ = c.Error(err)
		return
	}
	if wait > 0 {
		// Until every promotion into the first environments is terminal.
		wctx, cancel := context.WithTimeout(c.Request.Context(), wait)
		for i, p := range rep.Promoted {
			if q, err := s.engine.Wait(wctx, p.ID); err == nil {
				rep.Promoted[i] = q
			}
		}
		cancel()
	}
	out := toSetRelease(rep.Set, rep.Releases)
	out.Promotions = toPromotions(rep.Promoted)
	c.Header("Location", "/api/v1/release-sets/"+rep.Set.ID)
	c.JSON(http.StatusAccepted, out)
}

func (s *Server) listSetReleases(c *gin.Context) {
	n, err := limit(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	page, err := s.engine.SetReleases(c.Request.Context(), promotion.SetReleaseFilter{
		Name: c.Query("set"), Limit: n, Cursor: c.Query("cursor"),
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := api.SetReleaseList{Items: make([]api.SetRelease, 0, len(page.Items)), NextCursor: page.Next}
	for _, sr := range page.Items {
		out.Items = append(out.Items, toSetRelease(sr, nil))
	}
	c.JSON(http.StatusOK, out)
}

// getSetRelease answers a set release with its members' releases and
// every promotion of the set release.
func (s *Server) getSetRelease(c *gin.Context) {
	ctx := c.Request.Context()
	sr, err := s.engine.SetRelease(ctx, c.Param("id"))
	if err != nil {
		_ = c.Error(notFound(err, "set release", c.Param("id")))
		return
	}
	out, err := s.setReleaseWithPromotions(ctx, sr)
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) setReleaseWithPromotions(ctx context.Context, sr promotion.SetRelease) (api.SetRelease, error) {
	var rels []promotion.Release
	for _, id := range sr.Releases {
		r, err := s.engine.Release(ctx, id)
		if err != nil {
			return api.SetRelease{}, err
		}
		rels = append(rels, r)
	}
	out := toSetRelease(sr, rels)
	page, err := s.engine.Promotions(ctx, promotion.PromotionFilter{SetRelease: sr.ID, Limit: 500})
	if err != nil {
		return api.SetRelease{}, err
	}
	out.Promotions = toPromotions(page.Items)
	return out, nil
}

// promoteSetRelease moves a whole set release into an environment, or
// rolls the set back to it: POST /api/v1/release-sets/{id}/promote.
func (s *Server) promoteSetRelease(c *gin.Context) {
	var req api.SetPromotionRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		_ = c.Error(err)
		return
	}
	switch {
	case !appNameRE.MatchString(req.Environment):
		_ = c.Error(fieldError("environment", "%q must be lowercase letters, digits and dashes", req.Environment))
		return
	case !validReason(req.Reason):
		_ = c.Error(fieldError("reason", "at most 1000 printable characters"))
		return
	}
	ctx := c.Request.Context()
	sr, err := s.engine.SetRelease(ctx, c.Param("id"))
	if err != nil {
		_ = c.Error(notFound(err, "set release", c.Param("id")))
		return
	}
	for _, app := range sr.Applications {
		if err := token(c).mayPromote(app, req.Environment); err != nil {
			_ = c.Error(err)
			return
		}
	}
	sr, ps, err := s.engine.PromoteSet(ctx, promotion.PromoteSetRequest{
		SetRelease: sr.ID, Environment: req.Environment, Force: req.Force, Reason: req.Reason,
	}, token(c).Name)
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := toSetRelease(sr, nil)
	out.Promotions = toPromotions(ps)
	c.Header("Location", "/api/v1/release-sets/"+sr.ID)
	c.JSON(http.StatusAccepted, out)
}

// toSetRelease converts a set release; rels, when given, are its members'
// releases in order.
func toSetRelease(sr promotion.SetRelease, rels []promotion.Release) api.SetRelease {
	out := api.SetRelease{ID: sr.ID, Set: sr.Name, ReportedBy: sr.ReportedBy, CreatedAt: sr.CreatedAt.UTC(), Formed: sr.Formed, Members: []api.SetMember{}}
	if out.Formed == "" {
		out.Formed = promotion.FormedReported
	}
	for i, app := range sr.Applications {
		m := api.SetMember{Application: app}
		if i < len(sr.Releases) {
			m.ReleaseID = sr.Releases[i]
		}
		if i < len(rels) {
			r := toRelease(rels[i])
			m.Release = &r
		}
		out.Members = append(out.Members, m)
	}
	return out
}
