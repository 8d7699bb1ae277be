package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// leadTimeBuckets span a change that reaches dev minutes after its commit
// to one that waits a month for prod.
var leadTimeBuckets = []float64{
	60, 5 * 60, 15 * 60, 3600, 4 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400,
}

// newLeadTime defines the DORA lead-time histogram. Environments come from
// the pipelines and measured_from has two values, so the labels are bounded.
func newLeadTime() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ferry_dora_lead_time_seconds",
		Help: "Lead time for changes of each deployment (a promotion that changed what runs), by environment and " +
			"measured_from: commit (the source commit time CI reported) or report (the build report). " +
			"Its _count is the deployments, for deployment frequency.",
		Buckets: leadTimeBuckets,
	}, []string{"environment", "measured_from"})
}

// ObserveDeployment implements promotion.DeploymentObserver.
func (r *Recorder) ObserveDeployment(environment string, lead time.Duration, fromCommit bool) {
	from := "report"
	if fromCommit {
		from = "commit"
	}
	r.leadTime.WithLabelValues(environment, from).Observe(max(lead.Seconds(), 0))
}
