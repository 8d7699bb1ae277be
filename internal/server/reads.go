package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// limit reads ?limit= (1..500, default 50).
func limit(c *gin.Context) (int, error) {
	v := c.Query("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 500 {
		return 0, fieldError("limit", "%q must be a number from 1 to 500", v)
	}
	return n, nil
}

func (s *Server) listReleases(c *gin.Context) {
	n, err := limit(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	page, err := s.engine.Releases(c.Request.Context(), promotion.ReleaseFilter{
		Application: c.Query("application"), Limit: n, Cursor: c.Query("cursor"),
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := api.ReleaseList{Items: make([]api.Release, 0, len(page.Items)), NextCursor: page.Next}
	for _, r := range page.Items {
		out.Items = append(out.Items, toRelease(r))
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getRelease(c *gin.Context) {
	r, err := s.engine.Release(c.Request.Context(), c.Param("id"))
	if err != nil {
		_ = c.Error(notFound(err, "release", c.Param("id")))
		return
	}
	c.JSON(http.StatusOK, toRelease(r))
}

func (s *Server) listPromotions(c *gin.Context) {
	n, err := limit(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	st := promotion.State(c.Query("state"))
	if st != "" && !st.Valid() {
		_ = c.Error(fieldError("state", "%q is not a promotion state", st))
		return
	}
	page, err := s.engine.Promotions(c.Request.Context(), promotion.PromotionFilter{
		Application: c.Query("application"), Environment: c.Query("environment"), State: st,
		ReleaseID: c.Query("release"), SetRelease: c.Query("set_release"), Limit: n, Cursor: c.Query("cursor"),
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(http.StatusOK, api.PromotionList{Items: toPromotions(page.Items), NextCursor: page.Next})
}

func (s *Server) getPromotion(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := s.engine.Promotion(ctx, c.Param("id"))
	if err != nil {
		_ = c.Error(notFound(err, "promotion", c.Param("id")))
		return
	}
	r, err := s.engine.Release(ctx, p.ReleaseID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	ts, err := s.engine.Transitions(ctx, p.ID)
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := toPromotion(p, &r)
	out.Events = toEvents(ts)
	c.JSON(http.StatusOK, out)
}

func (s *Server) listApplications(c *gin.Context) {
	out := api.ApplicationList{Items: []api.ApplicationSummary{}}
	for _, a := range s.engine.Applications(c.Request.Context()) {
		out.Items = append(out.Items, api.ApplicationSummary{
			Name: a.Name, Image: a.Image, Repository: a.Repository, Environments: a.Environments,
			PipelineWarning: a.PipelineWarning,
		})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getApplication(c *gin.Context) {
	st, err := s.engine.ApplicationStatus(c.Request.Context(), c.Param("name"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toApplication(st))
}

func toApplication(st promotion.AppStatus) api.Application {
	out := api.Application{Name: st.Name, Image: st.Image, Repository: st.Repository, Environments: []api.EnvironmentStatus{},
		PipelineWarning: st.PipelineWarning}
	for _, e := range st.Environments {
		es := api.EnvironmentStatus{
			Name: e.Env.Name, From: e.Env.From, Promotion: e.Env.Promotion,
			Branch: e.Target.Branch, Path: e.Target.Path, Kind: e.Target.Kind,
			HeadCommit: e.Head, Error: e.Err, InFlight: toPromotions(e.InFlight),
		}
		if e.Err == "" {
			es.Current = &api.Image{Image: e.Current.Repository, Tag: e.Current.Tag, Digest: e.Current.Digest}
		}
		if e.Release != nil {
			es.ReleaseID = e.Release.ID
		}
		if e.Pin != nil {
			pin := toPin(*e.Pin)
			es.Pin = &pin
		}
		out.Environments = append(out.Environments, es)
	}
	return out
}

// notFound names what was not found; other errors pass through.
func notFound(err error, what, id string) error {
	if derrors.KindOf(err) == derrors.NotFound {
		return derrors.Wrap(err, derrors.NotFound, "not_found", "%s %q not found", what, id)
	}
	return err
}
