package promotion

import "time"

// DeploymentObserver hears of each promotion that changed what runs in an
// environment, with its lead time for changes: from the release's source
// commit (fromCommit) or, when CI did not say when that was made, from the
// build report. internal/telemetry implements it.
type DeploymentObserver interface {
	ObserveDeployment(environment string, lead time.Duration, fromCommit bool)
}

// observeDeployment tells the observer of p, which reached its environment
// at now with release rel; a no-op promotion changed nothing and is none.
// The store's DORA query measures the same way (store.DoraBuckets).
func (e *Engine) observeDeployment(p Promotion, rel Release, now time.Time) {
	if e.deployments == nil || p.Noop {
		return
	}
	start, fromCommit := rel.CreatedAt, false
	if !rel.SourceCommittedAt.IsZero() {
		start, fromCommit = rel.SourceCommittedAt, true
	}
	e.deployments.ObserveDeployment(p.Environment, now.Sub(start), fromCommit)
}
