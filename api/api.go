// Package api holds the Go types of Ferry's wire contract, described by
// openapi/ferry.yaml. Contract tests hold both to each other.
package api

import "time"

// BuildRequest is the body of POST /api/v1/builds: CI reporting an image.
type BuildRequest struct {
	Application string `json:"application"`
	// Image is the image repository without tag or digest.
	Image string `json:"image"`
	Tag   string `json:"tag"`
	// Digest, when given, must be what the registry serves for Tag.
	Digest       string `json:"digest,omitempty"`
	SourceRepo   string `json:"source_repo,omitempty"`
	SourceCommit string `json:"source_commit,omitempty"`
	SourceBranch string `json:"source_branch,omitempty"`
	CIRunURL     string `json:"ci_run_url,omitempty"`
}

// BuildResponse answers a build report.
type BuildResponse struct {
	Release   Release   `json:"release"`
	Promotion Promotion `json:"promotion"`
	// Duplicate is true when this release was reported before; nothing new was done.
	Duplicate bool `json:"duplicate"`
}

// Release is a verified image of an application.
type Release struct {
	ID          string `json:"id"`
	Application string `json:"application"`
	Image       string `json:"image"`
	Tag         string `json:"tag"`
	Digest      string `json:"digest"`
	// Reference is the pinned reference Ferry writes: image:tag@digest.
	Reference    string    `json:"reference"`
	SourceRepo   string    `json:"source_repo,omitempty"`
	SourceCommit string    `json:"source_commit,omitempty"`
	SourceBranch string    `json:"source_branch,omitempty"`
	CIRunURL     string    `json:"ci_run_url,omitempty"`
	ReportedBy   string    `json:"reported_by"`
	CreatedAt    time.Time `json:"created_at"`
}

// Promotion is a release moving into one environment.
type Promotion struct {
	ID            string     `json:"id"`
	ReleaseID     string     `json:"release_id"`
	Application   string     `json:"application"`
	Environment   string     `json:"environment"`
	State         string     `json:"state"`
	Reason        string     `json:"reason,omitempty"`
	CommitSHA     string     `json:"commit_sha,omitempty"`
	Noop          bool       `json:"noop"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	// RequestedBy is who asked: the reporting token, a release manager, or
	// "ferry" when the previous environment completed.
	RequestedBy string `json:"requested_by,omitempty"`
	// Forced is true when a release manager skipped the from chain.
	Forced bool `json:"forced"`
	// Pull-request promotions: the pull request, its branch, and the merge.
	PRNumber  int      `json:"pr_number,omitempty"`
	PRURL     string   `json:"pr_url,omitempty"`
	PRBranch  string   `json:"pr_branch,omitempty"`
	MergeSHA  string   `json:"merge_sha,omitempty"`
	MergedBy  string   `json:"merged_by,omitempty"`
	Approvers []string `json:"approvers,omitempty"`
	// Release is included when a single promotion is fetched.
	Release *Release `json:"release,omitempty"`
	// Events are the promotion's transitions, oldest first, included when a
	// single promotion is fetched.
	Events []Event `json:"events,omitempty"`
}

// Event is one transition in a promotion's life.
type Event struct {
	At     time.Time `json:"at"`
	State  string    `json:"state"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
}

// PromotionRequest is the body of POST /api/v1/promotions: a release
// manager moving a release into an environment, or rolling back to an
// older one.
type PromotionRequest struct {
	Application string `json:"application"`
	Environment string `json:"environment"`
	// Release is a release id, digest or tag of the application.
	Release string `json:"release"`
	// Force skips the from chain (recorded with who forced it).
	Force bool `json:"force,omitempty"`
	// Reason is recorded with the promotion.
	Reason string `json:"reason,omitempty"`
}

// CancelRequest is the optional body of POST /api/v1/promotions/{id}/cancel.
type CancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

// WebhookResponse answers a Git host's webhook delivery.
type WebhookResponse struct {
	Delivery string `json:"delivery,omitempty"`
	Kind     string `json:"kind"`
	// Duplicate is true when the delivery id was seen before.
	Duplicate bool `json:"duplicate"`
}

// ReleaseList is one page of releases, newest first.
type ReleaseList struct {
	Items      []Release `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// PromotionList is one page of promotions, newest first.
type PromotionList struct {
	Items      []Promotion `json:"items"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// ApplicationList lists the applications of every environment repo.
type ApplicationList struct {
	Items []ApplicationSummary `json:"items"`
}

// ApplicationSummary names an application and its environments.
type ApplicationSummary struct {
	Name         string   `json:"name"`
	Image        string   `json:"image"`
	Repository   string   `json:"repository"`
	Environments []string `json:"environments"`
}

// Application is what runs in each environment of one application, read
// from the environment repo, plus the promotions in flight.
type Application struct {
	Name         string              `json:"name"`
	Image        string              `json:"image"`
	Repository   string              `json:"repository"`
	Environments []EnvironmentStatus `json:"environments"`
}

// EnvironmentStatus is what one environment's target holds now.
type EnvironmentStatus struct {
	Name      string `json:"name"`
	From      string `json:"from,omitempty"`
	Promotion string `json:"promotion"`
	Branch    string `json:"branch"`
	Path      string `json:"path"`
	Kind      string `json:"kind"`
	// HeadCommit is the branch head the status was read from.
	HeadCommit string `json:"head_commit,omitempty"`
	// Current is the image the target holds; absent when it could not be read.
	Current *Image `json:"current,omitempty"`
	// ReleaseID is the known release matching Current, if any.
	ReleaseID string `json:"release_id,omitempty"`
	// Error says why Current could not be read.
	Error    string      `json:"error,omitempty"`
	InFlight []Promotion `json:"in_flight"`
}

// Image is an image reference split in parts.
type Image struct {
	Image  string `json:"image"`
	Tag    string `json:"tag,omitempty"`
	Digest string `json:"digest,omitempty"`
}

// Problem is an RFC 9457 problem details body, with Ferry's stable code.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Code is stable and machine-readable, e.g. "digest_mismatch".
	Code string `json:"code"`
}
