// Package promotion is Ferry's engine: it records releases, moves them into
// environments as promotions, and drives each promotion through its states.
package promotion

import (
	"time"

	"github.com/ferryhq/ferry/internal/commitmsg"
	"github.com/ferryhq/ferry/internal/supplychain"
)

// Release is a verified image of an application, as CI reported it.
type Release struct {
	ID          string
	Application string
	// Repository is the image repository without tag or digest,
	// e.g. "registry.example.com/acme/payments".
	Repository   string
	Tag          string
	Digest       string // "sha256:…", the digest the registry serves for Tag
	SourceRepo   string
	SourceCommit string
	SourceBranch string
	CIRunURL     string
	ReportedBy   string // name of the token that reported it
	CreatedAt    time.Time
	// Verification is what the supply-chain check found when the release
	// was reported; nil when no environment asked for one.
	Verification *supplychain.Facts
	// SourceCommittedAt is when the source commit was made, as CI reported
	// it; zero when it did not (lead time is then measured from CreatedAt).
	SourceCommittedAt time.Time
	// Fixes names the release a fix-forward release repairs; empty for an
	// ordinary release. Its deployment into an environment marks the
	// deployment just before it there, when that one is of the named
	// release, as a failed change.
	Fixes string
}

// ImageRef returns the digest-pinned reference "repo:tag@digest".
func (r Release) ImageRef() string {
	return r.Repository + ":" + r.Tag + "@" + r.Digest
}

// ShortDigest returns the first 8 hex characters of the digest, for messages.
func (r Release) ShortDigest() string {
	return commitmsg.ShortDigest(r.Digest)
}
