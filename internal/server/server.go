// Package server is Ferry's HTTP front door: the REST API under /api/v1,
// health and metrics endpoints, and the web page. Handlers call the
// promotion engine; they hold no business rules of their own.
package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/console"
	"github.com/ferryhq/ferry/internal/dora"
	"github.com/ferryhq/ferry/internal/promotion"
)

// Config tunes the server.
type Config struct {
	// MaxBodyBytes bounds request bodies (413 above it).
	MaxBodyBytes int64
	// MaxWait bounds ?wait= on build reports. Default 10m.
	MaxWait time.Duration
	// Version is shown on the web page.
	Version string
	// AnonymousRead lets requests without a token read (GET) the API and
	// the web page. Default false.
	AnonymousRead bool
	// IdempotencyTTL is how long idempotency records are replayed and kept.
	// Default 24h.
	IdempotencyTTL time.Duration
	// IdempotencyLease is how long a request's hold on its idempotency
	// record lasts without renewal (renewed while it runs): a retry after
	// the holder died is taken over this long after its last renewal at
	// the latest. Default 3s.
	IdempotencyLease time.Duration
	// RequestsPerMinute and Burst size the token bucket of each token,
	// webhook sender, and client IP of unauthenticated requests. Defaults
	// 600 and RequestsPerMinute.
	RequestsPerMinute int
	Burst             int
	// PageTimeout bounds the work of one view of the web page, which reads
	// every application's branches from Git. Default 10s.
	PageTimeout time.Duration
	// ConsoleOIDC, when set, adds single sign-on to the web console.
	ConsoleOIDC *console.OIDC
	// Now is the clock (signature windows, rate limits, record ages).
	// Default time.Now.
	Now func() time.Time
}

// Pinger is a dependency whose health decides readiness.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the server works with.
type Deps struct {
	Engine *promotion.Engine
	Tokens *Tokens
	Store  Pinger
	Log    *zap.Logger
	// Metrics is the registry /metrics serves; a new one when nil.
	Metrics *prometheus.Registry
	// Idempotency keeps Idempotency-Key and webhook delivery records;
	// default Store when it is an IdempotencyStore.
	Idempotency IdempotencyStore
	// Hooks are the signed-webhook senders; none when nil.
	Hooks *Hooks
	// Webhooks counts the webhook deliveries received; none when nil.
	Webhooks WebhookObserver
}

// Server serves Ferry's HTTP API.
type Server struct {
	cfg     Config
	engine  *promotion.Engine
	tokens  *Tokens
	store   Pinger
	log     *zap.Logger
	metrics *metrics
	router  *gin.Engine
	idem    IdempotencyStore
	owner   string // names this process in the idempotency records it holds
	hooks   *Hooks
	limits  *limiters

	webhooks   WebhookObserver
	deliveries DeliveryStore
	events     EventRecorder
	dora       dora.Reader
}

// New builds the server and its routes.
func New(cfg Config, d Deps) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 10 * time.Minute
	}
	if cfg.IdempotencyTTL <= 0 {
		cfg.IdempotencyTTL = 24 * time.Hour
	}
	if cfg.IdempotencyLease <= 0 {
		cfg.IdempotencyLease = 3 * time.Second
	}
	if cfg.PageTimeout <= 0 {
		cfg.PageTimeout = 10 * time.Second
	}
	if cfg.RequestsPerMinute <= 0 {
		cfg.RequestsPerMinute = 600
	}
	if cfg.Burst <= 0 {
		cfg.Burst = cfg.RequestsPerMinute
	}
	if d.Metrics == nil {
		d.Metrics = prometheus.NewRegistry()
	}
	if is, ok := d.Store.(IdempotencyStore); ok && d.Idempotency == nil {
		d.Idempotency = is
	}
	s := &Server{cfg: cfg, engine: d.Engine, tokens: d.Tokens, store: d.Store, log: d.Log,
		metrics: newMetrics(d.Metrics), idem: d.Idempotency, owner: newOwner(), hooks: d.Hooks,
		limits: newLimiters(cfg.RequestsPerMinute, cfg.Burst), webhooks: d.Webhooks}
	if ds, ok := d.Store.(DeliveryStore); ok {
		s.deliveries = ds
	}
	if er, ok := d.Store.(EventRecorder); ok {
		s.events = er
	}
	if dr, ok := d.Store.(dora.Reader); ok {
		s.dora = dr
	}
	if d.Engine != nil {
		registerPipelineMetrics(d.Metrics, d.Engine)
	}
	s.router = s.routes(d.Metrics)
	return s
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.router }

// routes draws the router. Middleware runs in this order on every request:
//
//	requestID → recovery → access log + metrics → writeErrors → (per group) authenticate → handler
//
// authenticate (or verifyHook for signed webhooks) charges the request to
// the caller's rate limit; idempotency sits after it (records are scoped by
// caller) and writes the answers it records itself.
//
// writeErrors sits inside logging so the log records the final status, and
// outside auth so that auth failures become problem responses too.
func (s *Server) routes(reg *prometheus.Registry) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(requestID(), recovery(s.log), s.accessLog(), writeErrors(s.log))
	r.NoRoute(func(c *gin.Context) { writeProblem(c, http.StatusNotFound, "not_found", "no such endpoint") })
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed on this endpoint")
	})

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", s.serveMetrics(reg))
	r.GET("/openapi.yaml", s.openapi)
	con := gin.WrapH(s.console())
	r.GET("/", con)
	r.Any("/ui/*path", con)
	r.GET("/pulls/:repo/:number", con) // the built-in provider's pull requests

	v1 := r.Group("/api/v1", s.authenticate())
	v1.POST("/builds", s.require(scopeBuilds), s.idempotency(), s.postBuild)
	v1.POST("/release-sets", s.require(scopeBuilds), s.idempotency(), s.postSetRelease)
	v1.GET("/release-sets", s.require(scopeRead), s.listSetReleases)
	v1.GET("/release-sets/:id", s.require(scopeRead), s.getSetRelease)
	v1.POST("/release-sets/:id/promote", s.require(scopePromotions), s.promoteSetRelease)
	v1.GET("/releases", s.require(scopeRead), s.listReleases)
	v1.GET("/releases/:id", s.require(scopeRead), s.getRelease)
	v1.GET("/promotions", s.require(scopeRead), s.listPromotions)
	v1.GET("/promotions/:id", s.require(scopeRead), s.getPromotion)
	v1.POST("/promotions", s.require(scopePromotions), s.postPromotion)
	v1.POST("/promotions/:id/approve", s.require(scopePromotions), s.approvePromotion)
	v1.POST("/promotions/:id/cancel", s.require(scopePromotions), s.cancelPromotion)
	v1.POST("/statuses", s.require(scopeStatuses), s.postStatus)
	v1.GET("/applications", s.require(scopeRead), s.listApplications)
	v1.GET("/applications/:name", s.require(scopeRead), s.getApplication)
	v1.GET("/pins", s.require(scopeRead), s.listPins)
	v1.DELETE("/pins/:application/:environment", s.require(scopePromotions), s.deletePin)
	v1.GET("/deliveries", s.require(scopeRead), s.listDeliveries)
	v1.POST("/deliveries/:id/redeliver", s.require(scopePromotions), s.redeliver)
	v1.GET("/metrics/dora", s.require(scopeRead), s.getDora)
	r.POST("/api/v1/scm/:repo/webhook", s.countHook("scm"), s.scmWebhook)
	r.POST("/api/v1/hooks/:sender/builds", s.countHook("build"), s.verifyHook(), s.idempotency(), s.postBuild)
	return r
}
