package server

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

type metrics struct {
	requests *prometheus.HistogramVec
	builds   *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ferry_http_request_duration_seconds",
			Help:    "HTTP requests by method, route and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
		builds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_builds_total",
			Help: "Build reports by result: accepted, or the problem code.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.builds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// registerPipelineMetrics exports what the engine knows of its pipelines:
// a ferry.yaml that does not load is otherwise easy to miss, since Ferry
// goes on with the last good one.
func registerPipelineMetrics(reg *prometheus.Registry, e *promotion.Engine) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "ferry_pipeline_load_failures_total",
			Help: "Loads of a repository's pipeline (ferry.yaml) that failed; the last good pipeline stays in use.",
		}, func() float64 { return float64(e.PipelineLoadFailures()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ferry_pipelines_stale",
			Help: "Repositories whose newest pipeline (ferry.yaml) failed to load, so an older one is in use.",
		}, func() float64 {
			n := 0
			for _, p := range e.Pipelines() {
				if p.Stale() {
					n++
				}
			}
			return float64(n)
		}),
	)
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Observe(d.Seconds())
}

func (m *metrics) build(err error) {
	result := "accepted"
	if err != nil {
		result = "internal"
		if de, ok := derrors.As(err); ok {
			result = de.Code
		}
	}
	m.builds.WithLabelValues(result).Inc()
}

func (s *Server) serveMetrics(reg *prometheus.Registry) gin.HandlerFunc {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return func(c *gin.Context) { h.ServeHTTP(c.Writer, c.Request) }
}
