package server

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/registry"
)

var (
	appNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	commitRE  = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)
	// imageRE is the document's ImageRepository: stricter than
	// registry.ParseRepository about the registry host (which takes "./x").
	imageRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+)?$`)
)

// maxImageLen is the longest image repository the API takes, registry included.
const maxImageLen = 255

// postBuild records a build report: POST /api/v1/builds[?wait=30s].
func (s *Server) postBuild(c *gin.Context) {
	var wait time.Duration
	if w := c.Query("wait"); w != "" {
		d, err := time.ParseDuration(w)
		if err != nil || d < 0 {
			_ = c.Error(fieldError("wait", "%q is not a duration such as 30s", w))
			return
		}
		if d > s.cfg.MaxWait {
			_ = c.Error(fieldError("wait", "%q is over the limit of %s", w, s.cfg.MaxWait))
			return
		}
		wait = d
	}
	var req api.BuildRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		_ = c.Error(err)
		return
	}
	if err := validateBuild(req); err != nil {
		_ = c.Error(err)
		return
	}
	ctx := c.Request.Context()
	rep, err := s.engine.ReportBuild(ctx, promotion.Build{
		Application:  req.Application,
		Image:        req.Image,
		Tag:          req.Tag,
		Digest:       req.Digest,
		SourceRepo:   req.SourceRepo,
		SourceCommit: req.SourceCommit,
		SourceBranch: req.SourceBranch,
		CIRunURL:     req.CIRunURL,
	}, token(c).Actor())
	s.metrics.build(err)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if wait > 0 && !rep.Promotion.State.Terminal() {
		wctx, cancel := context.WithTimeout(ctx, wait)
		p, err := s.engine.Wait(wctx, rep.Promotion.ID)
		cancel()
		if err == nil {
			rep.Promotion = p
		}
	}
	status := http.StatusAccepted
	if rep.Duplicate {
		status = http.StatusOK
	}
	c.Header("Location", "/api/v1/releases/"+rep.Release.ID)
	c.JSON(status, api.BuildResponse{
		Release:   toRelease(rep.Release),
		Promotion: toPromotion(rep.Promotion, nil),
		Duplicate: rep.Duplicate,
	})
}

// validateBuild checks the syntax of every field and names the first bad one.
func validateBuild(r api.BuildRequest) error {
	switch {
	case r.Application == "":
		return fieldError("application", "required")
	case !appNameRE.MatchString(r.Application):
		return fieldError("application", "%q must be lowercase letters, digits and dashes (at most 63)", r.Application)
	case r.Image == "":
		return fieldError("image", "required (the image repository, without tag or digest)")
	case r.Tag == "":
		return fieldError("tag", "required")
	case len(r.Image) > maxImageLen:
		return derrors.New(derrors.Invalid, "invalid_image", "image: %.40q… is longer than %d characters", r.Image, maxImageLen)
	}
	if _, err := registry.ParseRepository(r.Image); err != nil {
		return err
	}
	if !imageRE.MatchString(r.Image) {
		return derrors.New(derrors.Invalid, "invalid_image", "image: %q is not a repository such as registry.example.com/acme/payments", r.Image)
	}
	// The registry's own checks, as Resolve makes them: one grammar for both.
	if err := registry.CheckTag(r.Image, r.Tag); err != nil {
		return err
	}
	if err := registry.CheckDigest(r.Image, r.Digest); err != nil {
		return err
	}
	switch {
	case r.SourceCommit != "" && !commitRE.MatchString(r.SourceCommit):
		return fieldError("source_commit", "%q is not a commit id (7 to 64 hex digits)", r.SourceCommit)
	case len(r.SourceBranch) > 255 || hasControl(r.SourceBranch):
		return fieldError("source_branch", "must be at most 255 printable characters")
	}
	for _, f := range [][2]string{{"source_repo", r.SourceRepo}, {"ci_run_url", r.CIRunURL}} {
		field, v := f[0], f[1]
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(v) > 2048 {
			return fieldError(field, "must be an http(s) URL of at most 2048 characters")
		}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}
