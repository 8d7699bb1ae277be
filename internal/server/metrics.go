package server

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ferryhq/ferry/internal/derrors"
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
