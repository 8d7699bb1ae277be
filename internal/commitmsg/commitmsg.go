// Package commitmsg writes and reads the messages of Ferry's commits: the
// subject, one body line per promotion and the Ferry-* trailers from which
// the store can be rebuilt and a crashed push recognised. It is the only
// place that knows the format; the engine writes with Format, crash
// recovery and reindex read with Parse.
//
// The format, for each promotion of a commit (a batch commit has several):
//
//	payments: dev ← 1.4.2 (sha256:f6cc0a1b)          subject (or "dev, stage ← 2 releases")
//
//	- payments: reg/acme/payments:1.4.2@sha256:… → dev (envs/dev/payments/kustomization.yaml)
//	  source: https://git.example.com/acme/payments 0123abc…
//
//	Ferry-Release: rel_…
//	Ferry-Promotion: prm_…
//	Ferry-Image: reg/acme/payments:1.4.2@sha256:…
//	Ferry-Source-Commit: 0123abc…
//	Ferry-CI-Run: https://ci.example.com/runs/7
//	Ferry-Requested-By: ci-payments
//	Ferry-Forced-By: alice
//	Ferry-Merged-By: bob
//	Ferry-Approved-By: bob
//
// A merge commit Ferry makes itself (the built-in provider's) prefixes the
// subject with "Merge ferry/<app>/<env>: ". Trailers are read as git
// interpret-trailers reads them: only from the message's last paragraph.
// Keys were only ever added, never renamed, so every commit Ferry wrote
// still parses.
package commitmsg

import "strings"

// Trailer keys. Each entry's block starts with KeyRelease.
const (
	KeyRelease      = "Ferry-Release"
	KeyPromotion    = "Ferry-Promotion"
	KeyImage        = "Ferry-Image"
	KeySourceCommit = "Ferry-Source-Commit"
	KeyCIRun        = "Ferry-CI-Run"
	// Since reindex restores who asked, forced, approved and merged.
	KeyRequestedBy = "Ferry-Requested-By"
	KeyForcedBy    = "Ferry-Forced-By"
	KeyMergedBy    = "Ferry-Merged-By"
	KeyApprovedBy  = "Ferry-Approved-By" // one trailer per approver, in order
)

// singles are the single-valued trailers of an entry, in the order Format
// writes them; required ones are written even when empty. Format and Parse
// both read this table, so a new trailer is one line here.
var singles = []struct {
	key      string
	required bool
	field    func(*Entry) *string
}{
	{KeyRelease, true, func(e *Entry) *string { return &e.Release }},
	{KeyPromotion, true, func(e *Entry) *string { return &e.Promotion }},
	{KeyImage, true, func(e *Entry) *string { return &e.Image }},
	{KeySourceCommit, false, func(e *Entry) *string { return &e.SourceCommit }},
	{KeyCIRun, false, func(e *Entry) *string { return &e.CIRun }},
	{KeyRequestedBy, false, func(e *Entry) *string { return &e.RequestedBy }},
	{KeyForcedBy, false, func(e *Entry) *string { return &e.ForcedBy }},
	{KeyMergedBy, false, func(e *Entry) *string { return &e.MergedBy }},
}

// Entry is one promotion as a commit message carries it. Values are single
// lines without surrounding spaces: trailers are one line each, and Parse
// trims what it reads.
type Entry struct {
	Release      string
	Promotion    string
	Image        string // digest-pinned reference "repo:tag@digest"
	SourceCommit string // optional
	CIRun        string // optional
	RequestedBy  string // optional: who asked (a token, a person, or "ferry")
	ForcedBy     string // optional: who skipped the from chain
	MergedBy     string // optional: on a merge commit, who merged
	ApprovedBy   []string

	// From the entry's body line ("- app: image → env (path)") and the
	// "source:" line under it.
	Application string
	Environment string
	Path        string
	SourceRepo  string // optional
}

// Message is a Ferry commit message as Parse reads it.
type Message struct {
	// Merged is the ferry/… branch of a merge commit ("Merge ferry/…: …"),
	// "" for a promotion commit.
	Merged  string
	Entries []Entry
}

// SplitImage splits a digest-pinned reference "repo:tag@digest"; ok is
// false unless all three parts are there.
func SplitImage(ref string) (repo, tag, digest string, ok bool) {
	at := strings.LastIndexByte(ref, '@')
	if at < 0 {
		return "", "", "", false
	}
	name, digest := ref[:at], ref[at+1:]
	colon := strings.LastIndexByte(name, ':')
	if colon < 0 || colon < strings.LastIndexByte(name, '/') {
		return "", "", "", false
	}
	return name[:colon], name[colon+1:], digest, name[:colon] != "" && name[colon+1:] != "" && digest != ""
}
