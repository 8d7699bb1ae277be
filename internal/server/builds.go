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
	// idRE is the grammar of Ferry's ids (the ID schema of the OpenAPI).
	idRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
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
	b := promotion.Build{
		Application:  req.Application,
		Image:        req.Image,
		Tag:          req.Tag,
		Digest:       req.Digest,
		SourceRepo:   req.SourceRepo,
		SourceCommit: req.SourceCommit,
		SourceBranch: req.SourceBranch,
		CIRunURL:     req.CIRunURL,
		Fixes:        req.Fixes,
	}
	if req.SourceCommittedAt != nil {
		b.SourceCommittedAt = *req.SourceCommittedAt
	}
	if req.DryRun {
		pvs, err := s.engine.PreviewBuild(ctx, b, token(c).Actor())
		if err != nil {
			_ = c.Error(err)
			return
		}
		out := api.BuildPreview{DryRun: true, Previews: []api.Preview{}}
		for _, pv := range pvs {
			out.Previews = append(out.Previews, toPreview(pv))
		}
		c.JSON(http.StatusOK, out)
		return
	}
	rep, err := s.engine.ReportBuild(ctx, b, token(c).Actor())
	s.metrics.build(err)
	if err != nil {
		s.recordRefused(ctx, b, token(c).Actor().Name, err)
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
// maxClockSkew is how far in the future a reported source commit time may
// lie: CI runners' clocks drift, but not by hours.
const maxClockSkew = 10 * time.Minute

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
	case r.Fixes != "" && !idRE.MatchString(r.Fixes):
		return fieldError("fixes", "%q is not a release id", r.Fixes)
	case r.SourceCommittedAt != nil && (r.SourceCommittedAt.Year() < 2000 || r.SourceCommittedAt.After(time.Now().Add(maxClockSkew))):
		// A commit from the future (beyond clock skew) or before 2000 is a
		// broken CI variable, and would make every lead time nonsense.
		return fieldError("source_committed_at", "%s is not a plausible commit time", r.SourceCommittedAt.Format(time.RFC3339))
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
		if u.User != nil {
			// Refused, not stripped: the URL goes into commit messages and
			// trailers, where no one can take a secret out again, and a
			// caller that sends one should learn that it leaks it. The
			// answer never repeats the value.
			return fieldError(field, "must not carry credentials (user:password@ or token@ before the host); "+
				"send the URL without them (GitLab's CI_REPOSITORY_URL carries a job token: use CI_PROJECT_URL)")
		}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}
