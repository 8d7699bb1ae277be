package api

import "time"

// Preview answers a dry run (dry_run: true) of POST /api/v1/promotions or
// /builds: what the promotion would do on the branch head now. Nothing was
// written to Git or the store.
type Preview struct {
	DryRun bool `json:"dry_run"`
	// Release is the release that would move; a build's preview carries a
	// verified release whose id is not kept.
	Release     Release `json:"release"`
	Application string  `json:"application"`
	Environment string  `json:"environment"`
	Repository  string  `json:"repository"`
	Branch      string  `json:"branch"`
	// Head is the branch head the edit was computed on.
	Head string `json:"head,omitempty"`
	// PullRequest is true when the environment promotes through pull requests.
	PullRequest bool `json:"pull_request"`
	// Files are the unified diffs of the files the edit changes.
	Files []FileDiff `json:"files"`
	// Message is the commit message Ferry would write; empty when nothing changes.
	Message string `json:"message,omitempty"`
	// Noop is true when the branch already has the image.
	Noop bool `json:"noop"`
	// Failure says why the edit would fail (a refused file).
	Failure string `json:"failure,omitempty"`
	// Held is true when a gate would hold the promotion (waiting); Reason
	// and Until say why and until when.
	Held   bool       `json:"held"`
	Reason string     `json:"reason,omitempty"`
	Until  *time.Time `json:"until,omitempty"`
	// Gates are each admission gate's decision, in order.
	Gates []GateOutcome `json:"gates"`
}

// FileDiff is one file's unified diff.
type FileDiff struct {
	Path string `json:"path"`
	Diff string `json:"diff"`
}

// GateOutcome is one gate's decision in a preview.
type GateOutcome struct {
	Gate   string     `json:"gate"`
	Open   bool       `json:"open"`
	Reason string     `json:"reason,omitempty"`
	Until  *time.Time `json:"until,omitempty"`
}

// BuildPreview answers a dry run of POST /api/v1/builds: one preview per
// first environment of the application's pipeline.
type BuildPreview struct {
	DryRun   bool      `json:"dry_run"`
	Previews []Preview `json:"previews"`
}

// SetReleasePreview answers a dry run of POST /api/v1/release-sets: one
// SetPreview per first environment of the set's pipeline.
type SetReleasePreview struct {
	DryRun   bool         `json:"dry_run"`
	Set      string       `json:"set"`
	Previews []SetPreview `json:"previews"`
}

// SetPreview is what a release set's promotion into one environment would
// do now: its members' edits in one commit (or pull request) on the branch
// head. Nothing was written to Git or the store.
type SetPreview struct {
	Environment string `json:"environment"`
	Repository  string `json:"repository"`
	Branch      string `json:"branch"`
	Head        string `json:"head,omitempty"`
	PullRequest bool   `json:"pull_request"`
	// Members are each member's preview (release, gates, file diffs), in
	// the set's order; a member's message is empty: the set has one.
	Members []Preview `json:"members"`
	// Message is the one commit message Ferry would write; empty when
	// nothing changes or the set would fail.
	Message string `json:"message,omitempty"`
	// Noop is true when the branch already has every member's image.
	Noop bool `json:"noop"`
	// Failure says why the whole set would fail (a member's refused file).
	Failure string `json:"failure,omitempty"`
	// Held is true when a gate would hold any member: the set waits as one.
	Held   bool       `json:"held"`
	Reason string     `json:"reason,omitempty"`
	Until  *time.Time `json:"until,omitempty"`
}
