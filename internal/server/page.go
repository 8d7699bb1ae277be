package server

import (
	"context"
	_ "embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	// shortID keeps the type and the end of an id: ids are time-ordered, so
	// their beginnings are alike.
	"shortID": func(s string) string {
		if i := strings.IndexByte(s, '_'); i > 0 && len(s) > i+9 {
			return s[:i+1] + "…" + s[len(s)-8:]
		}
		return s
	},
	"short": func(s string) string {
		if len(s) > 19 && s[:7] == "sha256:" {
			return s[:19]
		}
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
}).Parse(pageHTML))

type pageData struct {
	Version    string
	Anonymous  bool
	Envs       []string
	Apps       []promotion.AppStatus
	Errors     []string
	Promotions []promotion.Promotion
}

// page renders applications × environments, what is in flight, and the
// latest promotions. It is public only when anonymous reads are allowed.
//
// Each application's status reads its branches from Git, so the whole page
// gets Config.PageTimeout: past it, the applications not yet read say so
// instead of holding the page for as long as a slow Git host takes.
func (s *Server) page(c *gin.Context) {
	d := pageData{Version: s.cfg.Version, Anonymous: s.cfg.AnonymousRead}
	if s.cfg.AnonymousRead {
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.PageTimeout)
		defer cancel()
		seen := map[string]bool{}
		for _, a := range s.engine.Applications(ctx) {
			for _, e := range a.Environments {
				if !seen[e] {
					seen[e] = true
					d.Envs = append(d.Envs, e)
				}
			}
			if ctx.Err() != nil {
				d.Errors = append(d.Errors, a.Name+": not read, the page ran out of time ("+s.cfg.PageTimeout.String()+")")
				continue
			}
			st, err := s.engine.ApplicationStatus(ctx, a.Name)
			if err != nil {
				d.Errors = append(d.Errors, s.pageError(c, a.Name, err))
				continue
			}
			d.Apps = append(d.Apps, st)
		}
		page, err := s.engine.Promotions(c.Request.Context(), promotion.PromotionFilter{Limit: 30})
		if err != nil {
			d.Errors = append(d.Errors, s.pageError(c, "promotions", err))
		}
		d.Promotions = page.Items
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(http.StatusOK)
	if err := pageTmpl.Execute(c.Writer, d); err != nil {
		s.log.Warn("rendering page", zap.Error(err))
	}
}

// pageError is what the page shows of err, which it logs: like a problem
// answer, a domain error's detail, never its cause, and nothing of any
// other error.
func (s *Server) pageError(c *gin.Context, what string, err error) string {
	id := c.GetString(ctxRequestID)
	s.log.Warn("web page: "+what, zap.String("request_id", id), zap.Error(err))
	if de, ok := derrors.As(err); ok && de.Kind != derrors.Internal {
		return what + ": " + de.Detail
	}
	return what + ": internal error; the server log has the cause (request id " + id + ")"
}
