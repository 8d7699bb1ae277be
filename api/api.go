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
	// SourceCommittedAt is when the source commit was made: DORA lead time
	// is measured from it (from the report when absent).
	SourceCommittedAt *time.Time `json:"source_committed_at,omitempty"`
	// Fixes marks a fix-forward: the id of the release it repairs. Its
	// deployment marks the one just before it, when of that release, as a
	// failed change.
	Fixes string `json:"fixes,omitempty"`
	// DryRun previews the promotion into the first environments and
	// records nothing (answer: BuildPreview).
	DryRun bool `json:"dry_run,omitempty"`
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
	// Verification is what the supply-chain check found when the build was
	// reported; absent when no environment of the pipeline asks for one.
	Verification *Verification `json:"verification,omitempty"`
	// SourceCommittedAt is when the source commit was made, as CI reported it.
	SourceCommittedAt *time.Time `json:"source_committed_at,omitempty"`
	// Fixes is the release this fix-forward release repairs.
	Fixes string `json:"fixes,omitempty"`
}

// Verification is a release's verified signatures and provenance.
type Verification struct {
	VerifiedAt time.Time `json:"verified_at"`
	// Signatures are the verified signers over the release's digest.
	Signatures []Signer `json:"signatures"`
	// Provenance is the verified SLSA provenance about the digest.
	Provenance []Provenance `json:"provenance"`
	// Rejected describes what was found but did not verify, one line each.
	Rejected []string `json:"rejected"`
}

// Signer is a keyless identity (identity and issuer) or a key
// ("sha256:<hex>" of its DER public key).
type Signer struct {
	Identity string `json:"identity,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	Key      string `json:"key,omitempty"`
}

// Provenance is one verified SLSA provenance statement.
type Provenance struct {
	Signer        Signer `json:"signer"`
	PredicateType string `json:"predicate_type"`
	Builder       string `json:"builder"`
	SourceRepo    string `json:"source_repo,omitempty"`
	SourceCommit  string `json:"source_commit,omitempty"`
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
	// Approvals are every approval the host (or Ferry's built-in review)
	// last reported on the pull request, counted or not, with why not.
	Approvals []Approval `json:"approvals,omitempty"`
	// Diff is the unified diff the promotion applied to its target file
	// (at most 16 KiB, truncated with a note), once committed.
	Diff string `json:"diff,omitempty"`
	// SetRelease is the set release the promotion moves with, if any.
	SetRelease string `json:"set_release,omitempty"`
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
	// DryRun previews the promotion and records nothing (answer: Preview).
	DryRun bool `json:"dry_run,omitempty"`
	// Rollback pins the environment at the release even when it is not
	// older than what runs there. A release older than what runs there
	// pins without it; an explicit promotion into a pinned environment
	// moves the pin to its release.
	Rollback bool `json:"rollback,omitempty"`
}

// Pin holds automatic promotions of an application into an environment
// (after a rollback) until someone unpins: GET /api/v1/pins, the status of
// each environment, DELETE /api/v1/pins/{application}/{environment}.
type Pin struct {
	ID          string `json:"id"`
	Application string `json:"application"`
	Environment string `json:"environment"`
	// ReleaseID and ReleaseTag name the release the environment is pinned
	// at: what runs there, and the only one that goes on from it.
	ReleaseID  string `json:"release_id"`
	ReleaseTag string `json:"release_tag,omitempty"`
	// PromotionID is the promotion (the rollback) that pinned, if any.
	PromotionID string    `json:"promotion_id,omitempty"`
	PinnedBy    string    `json:"pinned_by"`
	Reason      string    `json:"reason,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	// Held is the reason a promotion the pin holds shows: "pinned by
	// <who> at <time>: <reason>".
	Held   string `json:"held"`
	Active bool   `json:"active"`
	// EndedAt, EndedBy and EndReason say when, by whom and why a pin
	// ended (unpinned, or replaced by a newer pin).
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	EndedBy   string     `json:"ended_by,omitempty"`
	EndReason string     `json:"end_reason,omitempty"`
}

// PinList is the answer of GET /api/v1/pins, newest first.
type PinList struct {
	Items []Pin `json:"items"`
}

// UnpinRequest is the optional body of DELETE
// /api/v1/pins/{application}/{environment}.
type UnpinRequest struct {
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
	// PipelineWarning is set when the repository's newest ferry.yaml did not
	// load: "pipeline at <sha> failed to load: <file:line: reason>; using
	// <sha>". Promotions follow the pipeline in use.
	PipelineWarning string `json:"pipeline_warning,omitempty"`
}

// Application is what runs in each environment of one application, read
// from the environment repo, plus the promotions in flight.
type Application struct {
	Name         string              `json:"name"`
	Image        string              `json:"image"`
	Repository   string              `json:"repository"`
	Environments []EnvironmentStatus `json:"environments"`
	// PipelineWarning: see ApplicationSummary.
	PipelineWarning string `json:"pipeline_warning,omitempty"`
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
	// Pin is the environment's active pin, if any: automatic promotions
	// into it wait until someone unpins.
	Pin *Pin `json:"pin,omitempty"`
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
	// Errors are the parts of the request that failed, each with its own
	// code, e.g. every failing member of a refused release set.
	Errors []ProblemItem `json:"errors,omitempty"`
}

// ProblemItem is one failing part of a request.
type ProblemItem struct {
	// Name says which part: a release set member's application.
	Name   string `json:"name"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Delivery is one notification on its way to one destination
// (GET /api/v1/deliveries).
type Delivery struct {
	// ID is the same on every attempt and redelivery: receivers dedupe on it
	// (the webhook-id header of signed webhooks).
	ID          string `json:"id"`
	EventID     string `json:"event_id"`
	Event       string `json:"event"`
	PromotionID string `json:"promotion_id"`
	Application string `json:"application"`
	Environment string `json:"environment"`
	Destination string `json:"destination"`
	// State is pending, delivered or dead.
	State         string    `json:"state"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	LastError     string    `json:"last_error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// DeliveryList is a list of deliveries, newest first.
type DeliveryList struct {
	Items []Delivery `json:"items"`
}

// SetReleaseRequest is the body of POST /api/v1/release-sets: CI reporting
// every member of a release set at once. Every build is verified before
// anything is recorded; one failing member refuses the whole set.
type SetReleaseRequest struct {
	// Set is the set's name in the pipeline.
	Set string `json:"set"`
	// Builds has one build per member (application, image, tag, digest,
	// source…); dry_run is not taken per build.
	Builds []BuildRequest `json:"builds"`
	// DryRun verifies every member and previews the set's one commit (or
	// pull request) into its first environments, recording nothing
	// (answer: SetReleasePreview).
	DryRun bool `json:"dry_run,omitempty"`
}

// SetRelease is a release of a release set: one release per member.
type SetRelease struct {
	ID         string      `json:"id"`
	Set        string      `json:"set"`
	Members    []SetMember `json:"members"`
	ReportedBy string      `json:"reported_by"`
	CreatedAt  time.Time   `json:"created_at"`
	// Formed says how the set release came to be: "reported" (CI reported
	// the set at once) or "members" (Ferry formed it when its last member
	// completed in the set's entry environment, from each member's release
	// completed there; ReportedBy is then "ferry").
	Formed string `json:"formed"`
	// Promotions are the set release's promotions, newest first, included
	// when a single set release is fetched or created.
	Promotions []Promotion `json:"promotions,omitempty"`
}

// SetMember is one member of a set release.
type SetMember struct {
	Application string `json:"application"`
	ReleaseID   string `json:"release_id"`
	// Release is included when a single set release is fetched or created.
	Release *Release `json:"release,omitempty"`
}

// SetReleaseList is one page of set releases, newest first.
type SetReleaseList struct {
	Items      []SetRelease `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// SetPromotionRequest is the body of POST /api/v1/release-sets/{id}/promote:
// a release manager moving a whole set release into an environment, or
// rolling the set back to it.
type SetPromotionRequest struct {
	Environment string `json:"environment"`
	Force       bool   `json:"force,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// Approval is one approval of a promotion's pull request: whether it counts
// and, when it does not, why ("author of the pull request", "not in
// approvers", "stale: given on an older head", …).
type Approval struct {
	User    string `json:"user"`
	Counted bool   `json:"counted"`
	Reason  string `json:"reason,omitempty"`
	// At is when the host says the approval was given; absent when it does
	// not say (GitLab).
	At *time.Time `json:"at,omitempty"`
}
