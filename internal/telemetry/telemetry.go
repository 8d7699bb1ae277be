// Package telemetry owns the Prometheus series an operator runs Ferry on:
// every one is defined and registered here, with a stable name and a
// bounded label set, and handed to the packages that observe them as the
// small observer interfaces they declare (gitrepo.Observer,
// outbound.Observer, an http.RoundTripper for the registry, a store
// reader for promotion gauges).
package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Recorder holds Ferry's operator series. Its methods are safe for
// concurrent use.
type Recorder struct {
	gitDuration    *prometheus.HistogramVec
	gitFailures    *prometheus.CounterVec
	registryDur    *prometheus.HistogramVec
	registryFail   *prometheus.CounterVec
	scmRequests    *prometheus.HistogramVec
	scmWaits       *prometheus.CounterVec
	scmWaitSeconds *prometheus.CounterVec
	webhooksIn     *prometheus.CounterVec
	deliveriesOut  *prometheus.CounterVec
	leadTime       *prometheus.HistogramVec
}

// networkBuckets span a local bare repository's few milliseconds to a
// hosted Git server's push of a large tree (tens of seconds, where the
// per-operation timeout of 30s lies).
var networkBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// New defines the series and registers them on reg.
func New(reg prometheus.Registerer) *Recorder {
	r := &Recorder{
		gitDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ferry_git_operation_duration_seconds",
			Help:    "Fetches and pushes of environment repositories by operation (fetch, push) and result (ok, error).",
			Buckets: networkBuckets,
		}, []string{"operation", "result"}),
		gitFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_git_operation_failures_total",
			Help: "Fetches and pushes of environment repositories that failed, by operation; a push beaten by another writer counts too.",
		}, []string{"operation"}),
		registryDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ferry_registry_request_duration_seconds",
			Help:    "HTTP requests to image registries by status code (or \"network\").",
			Buckets: networkBuckets,
		}, []string{"code"}),
		registryFail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_registry_request_failures_total",
			Help: "HTTP requests to image registries that failed: a status of 400 or more (401 challenges excepted) or \"network\".",
		}, []string{"code"}),
		scmRequests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ferry_scm_request_duration_seconds",
			Help:    "Pull-request API calls to Git hosts by host, operation (HTTP method) and result (status code, rate_limited or network).",
			Buckets: networkBuckets,
		}, []string{"host", "operation", "result"}),
		scmWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_scm_rate_limit_waits_total",
			Help: "Git host API calls held back by a rate limit, by host and reason (budget: Ferry's own; host_limit: the host said its limit is spent).",
		}, []string{"host", "reason"}),
		scmWaitSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_scm_rate_limit_wait_seconds_total",
			Help: "Time Git host API calls were held back by a rate limit, by host and reason.",
		}, []string{"host", "reason"}),
		webhooksIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_webhook_deliveries_received_total",
			Help: "Webhook deliveries received, by source (build: signed build reports; scm: Git host events) and result (accepted, or the problem code).",
		}, []string{"source", "result"}),
		deliveriesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_notification_deliveries_total",
			Help: "Attempts at outbound notification deliveries by channel (webhook, slack, teams) and result (delivered, retry, dead).",
		}, []string{"channel", "result"}),
		leadTime: newLeadTime(),
	}
	reg.MustRegister(r.gitDuration, r.gitFailures, r.registryDur, r.registryFail,
		r.scmRequests, r.scmWaits, r.scmWaitSeconds, r.webhooksIn, r.deliveriesOut, r.leadTime)
	return r
}
