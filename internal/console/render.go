package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
)

// pages are the templates, each rendered inside layout.html.
var pages = []string{"board", "application", "promotion", "confirm", "signin", "message", "dora"}

func parseTemplates() map[string]*template.Template {
	funcs := template.FuncMap{
		"shortID": func(s string) string {
			if i := strings.IndexByte(s, '_'); i > 0 && len(s) > i+9 {
				return s[:i+1] + "…" + s[len(s)-8:]
			}
			return s
		},
		"digest": func(s string) string {
			if len(s) > 19 && strings.HasPrefix(s, "sha256:") {
				return s[:19]
			}
			return s
		},
		"sha": func(s string) string { return short(s, 10) },
		"ago": ago,
		"utc": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
		"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"minus":   func(a, b int) int { return a - b },
		"percent": func(f float64) float64 { return 100 * f },
	}
	m := map[string]*template.Template{}
	for _, p := range pages {
		m[p] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
	}
	return m
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ago says how long ago t was: "45 s", "12 min", "5 h", "3 d".
func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d d", int(d.Hours()/24))
}

// page is what every page's layout needs.
type page struct {
	Title   string
	Viewer  viewer
	Version string
	PollMS  int64
	// Anonymous is true when the viewer reads without signing in.
	Anonymous bool
}

func (c *Console) newPage(v viewer, title string) page {
	return page{Title: title, Viewer: v, Version: c.cfg.Version, PollMS: c.cfg.PollInterval.Milliseconds(),
		Anonymous: !v.SignedIn}
}

func (c *Console) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := c.tmpl[name].Execute(&b, data); err != nil {
		c.log.Warn("console: rendering "+name, zap.Error(err))
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

type messageData struct {
	page
	Message string
	Back    string
}

// refuse shows a page saying why a request was not done.
func (c *Console) refuse(w http.ResponseWriter, _ *http.Request, v viewer, status int, msg string) {
	c.render(w, status, "message", messageData{page: c.newPage(v, http.StatusText(status)), Message: msg, Back: "/"})
}

// errorText is what a page shows of err, which it logs: a domain error's
// detail, never its cause, and nothing of any other error.
func (c *Console) errorText(what string, err error) string {
	c.log.Warn("console: "+what, zap.Error(err))
	if de, ok := derrors.As(err); ok && de.Kind != derrors.Internal {
		return what + ": " + de.Detail
	}
	return what + ": internal error; the server log has the cause"
}

// statusOf maps a domain error to an HTTP status for a refusal page.
func statusOf(err error) int {
	if de, ok := derrors.As(err); ok {
		switch de.Kind {
		case derrors.NotFound:
			return http.StatusNotFound
		case derrors.Conflict:
			return http.StatusConflict
		case derrors.Forbidden:
			return http.StatusForbidden
		case derrors.Unprocessable, derrors.Invalid:
			return http.StatusUnprocessableEntity
		case derrors.Unavailable:
			return http.StatusServiceUnavailable
		}
	}
	return http.StatusInternalServerError
}

func zapName(n string) zap.Field { return zap.String("token", n) }
