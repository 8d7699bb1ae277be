package api

import "time"

// DoraReport answers GET /api/v1/metrics/dora: an application's (or a
// release set's) DORA metrics over [from, to), overall and per environment.
type DoraReport struct {
	// Application or Set: what was measured (the other is empty).
	Application string    `json:"application,omitempty"`
	Set         string    `json:"set,omitempty"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	// BucketSeconds is the width of each environment's buckets.
	BucketSeconds int64             `json:"bucket_seconds"`
	Overall       DoraTotals        `json:"overall"`
	Environments  []DoraEnvironment `json:"environments"`
}

// DoraEnvironment is the metrics of the application in one environment.
type DoraEnvironment struct {
	Environment string     `json:"environment"`
	Totals      DoraTotals `json:"totals"`
	// Buckets cover the window from From, one per bucket, empty or not.
	Buckets []DoraBucket `json:"buckets"`
}

// DoraBucket is the deployments of one bucket of the window.
type DoraBucket struct {
	Start  time.Time  `json:"start"`
	Totals DoraTotals `json:"totals"`
}

// DoraTotals are the DORA metrics of a set of deployments.
type DoraTotals struct {
	Deployments       int     `json:"deployments"`
	DeploymentsPerDay float64 `json:"deployments_per_day"`
	// LeadTimeSeconds is the mean lead time for changes (0 without
	// deployments), measured from the source commit where CI sent
	// source_committed_at, else from the build report: the counts say how
	// many of each, LeadTimeMeasuredFrom says it in one word.
	LeadTimeSeconds           float64 `json:"lead_time_seconds"`
	LeadTimeMeasuredFrom      string  `json:"lead_time_measured_from,omitempty"`
	LeadTimesFromSourceCommit int     `json:"lead_times_from_source_commit"`
	LeadTimesFromReport       int     `json:"lead_times_from_report"`
	FailedChanges             int     `json:"failed_changes"`
	ChangeFailureRate         float64 `json:"change_failure_rate"`
	TimeToRestoreSeconds      float64 `json:"time_to_restore_seconds"`
}
