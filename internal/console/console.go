// Package console serves the release manager's web console at /: the board
// of applications × environments, promotion and application pages, and the
// actions a signed-in token's scopes allow (approve, cancel, promote, roll
// back), rendered on the server with html/template.
package console

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/dora"
	"github.com/ferryhq/ferry/internal/promotion"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Engine is what the console reads and does, the promotion engine's public
// methods.
type Engine interface {
	Applications(ctx context.Context) []promotion.AppSummary
	ApplicationStatus(ctx context.Context, name string) (promotion.AppStatus, error)
	Promotions(ctx context.Context, f promotion.PromotionFilter) (promotion.Page[promotion.Promotion], error)
	Promotion(ctx context.Context, id string) (promotion.Promotion, error)
	Transitions(ctx context.Context, id string) ([]promotion.Transition, error)
	PromotionFile(ctx context.Context, id string) (promotion.PromotionFile, error)
	Release(ctx context.Context, id string) (promotion.Release, error)
	Releases(ctx context.Context, f promotion.ReleaseFilter) (promotion.Page[promotion.Release], error)
	SetReleases(ctx context.Context, f promotion.SetReleaseFilter) (promotion.Page[promotion.SetRelease], error)
	Approve(ctx context.Context, id, actor string) (promotion.Promotion, error)
	Cancel(ctx context.Context, id, actor, why string) (promotion.Promotion, error)
	Promote(ctx context.Context, req promotion.PromoteRequest, actor string) (promotion.Promotion, error)
}

// Identity is who an API token (or a single sign-on) speaks for.
type Identity struct {
	Name   string
	Scopes []string
	// Limits are where promotions:write applies: an application in an
	// environment is allowed when one limit allows both. An API token has
	// one limit; a person one per role that grants promotions:write, so
	// that two roles do not combine into a pair neither grants.
	Limits []Limit
}

// Limit is one grant's applications and environments; none or "*" is any.
type Limit struct {
	Applications []string
	Environments []string
}

// allows reports whether l covers app in env.
func (l Limit) allows(app, env string) bool {
	return anyOf(l.Applications, app) && anyOf(l.Environments, env)
}

// anyOf reports whether list (none or "*": everything) holds v.
func anyOf(list []string, v string) bool {
	return len(list) == 0 || slices.Contains(list, "*") || slices.Contains(list, v)
}

// Authenticate returns the identity of an API token, or false.
type Authenticate func(token string) (Identity, bool)

// Config is the console's configuration.
type Config struct {
	// Version is shown in the footer.
	Version string
	// AnonymousRead lets visitors who have not signed in read the console
	// (without any button).
	AnonymousRead bool
	// SecureCookies marks the session cookie Secure: set when Ferry serves
	// HTTPS.
	SecureCookies bool
	// PageTimeout bounds the Git reads of one page.
	PageTimeout time.Duration
	// SessionTTL is how long a sign-in lasts. Default 12h.
	SessionTTL time.Duration
	// PollInterval is how often an open page refreshes itself. Default 5s.
	PollInterval time.Duration
	// OIDC, when set, adds single sign-on with an OpenID Connect provider.
	OIDC *OIDC
	// Dora reads the DORA metrics of the page /ui/apps/{name}/dora; nil:
	// that page says there are none.
	Dora dora.Reader
}

// Console is the web console's HTTP handler.
type Console struct {
	cfg      Config
	engine   Engine
	auth     Authenticate
	log      *zap.Logger
	sessions *sessions
	signOn   *signOn // nil without single sign-on
	tmpl     map[string]*template.Template
	mux      *http.ServeMux
}

// New returns the console.
func New(cfg Config, engine Engine, auth Authenticate, log *zap.Logger) *Console {
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 5 * time.Second
	}
	if cfg.PageTimeout == 0 {
		cfg.PageTimeout = 10 * time.Second
	}
	c := &Console{cfg: cfg, engine: engine, auth: auth, log: log, sessions: newSessions(cfg.SessionTTL),
		tmpl: parseTemplates()}
	if cfg.OIDC != nil {
		c.signOn = newSignOn(*cfg.OIDC, log)
	}
	static, _ := fs.Sub(staticFS, "static")
	m := http.NewServeMux()
	m.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /{$}", c.read(c.board))
	m.HandleFunc("GET /ui/apps/{name}", c.read(c.application))
	m.HandleFunc("GET /ui/apps/{name}/dora", c.read(c.doraPage))
	m.HandleFunc("GET /ui/promotions/{id}", c.read(c.promotionPage))
	m.HandleFunc("GET /pulls/{repo}/{number}", c.read(c.pullRequest))
	m.HandleFunc("GET /ui/promotions/{id}/confirm", c.read(c.confirm))
	m.HandleFunc("GET /ui/promote", c.read(c.confirmPromote))
	m.HandleFunc("POST /ui/promotions/{id}/approve", c.write(c.approve))
	m.HandleFunc("POST /ui/promotions/{id}/cancel", c.write(c.cancel))
	m.HandleFunc("POST /ui/promote", c.write(c.promote))
	m.HandleFunc("GET /ui/signin", c.signinForm)
	m.HandleFunc("POST /ui/signin", c.signin)
	m.HandleFunc("POST /ui/signout", c.write(c.signout))
	if c.signOn != nil {
		m.HandleFunc("GET /ui/oidc/login", c.oidcLogin)
		m.HandleFunc("GET /ui/oidc/callback", c.oidcCallback)
	}
	c.mux = m
	return c
}

// ServeHTTP serves the console with its security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No inline script or style anywhere: everything comes from /ui/static.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if r.URL.Path != "/" && len(r.URL.Path) > 11 && r.URL.Path[:11] == "/ui/static/" {
		h.Set("Cache-Control", "public, max-age=300")
	} else {
		h.Set("Cache-Control", "no-store")
	}
	c.mux.ServeHTTP(w, r)
}
