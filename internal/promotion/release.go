// Package promotion is Ferry's engine: it records releases, moves them into
// environments as promotions, and drives each promotion through its states.
package promotion

import "time"

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
}

// ImageRef returns the digest-pinned reference "repo:tag@digest".
func (r Release) ImageRef() string {
	return r.Repository + ":" + r.Tag + "@" + r.Digest
}

// ShortDigest returns the first 8 hex characters of the digest, for messages.
func (r Release) ShortDigest() string {
	d := r.Digest
	if i := len("sha256:"); len(d) > i+8 && d[:i] == "sha256:" {
		return d[:i+8]
	}
	return d
}
