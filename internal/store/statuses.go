package store

import (
	"context"
	"time"
)

// CommitStatus is a commit status posted to Ferry's API (POST
// /api/v1/statuses), for repositories whose Git server keeps none: the
// built-in provider reads them for the health gate. Every report is kept,
// as hosts keep them, so the gate can tell since when a state has held.
type CommitStatus struct {
	Repository  string
	SHA         string
	Context     string
	State       string // success, pending, failure or error
	Description string
	TargetURL   string
	CreatedAt   time.Time
}

// StatusStore keeps commit statuses posted to Ferry.
type StatusStore interface {
	// AddStatus stores one report.
	AddStatus(ctx context.Context, s CommitStatus) error
	// Statuses returns the reports on a commit of a repository, oldest
	// first.
	Statuses(ctx context.Context, repo, sha string) ([]CommitStatus, error)
}
