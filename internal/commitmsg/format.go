package commitmsg

import (
	"fmt"
	"slices"
	"strings"
)

// Format writes the message of a commit that carries entries: a subject
// saying what moves where, one body line per entry and one trailer block
// per entry, in the same order.
func Format(entries []Entry) string {
	var b strings.Builder
	if len(entries) == 1 {
		e := entries[0]
		_, tag, digest, _ := SplitImage(e.Image)
		fmt.Fprintf(&b, "%s: %s ← %s (%s)\n\n", e.Application, e.Environment, tag, ShortDigest(digest))
	} else {
		var envs []string
		for _, e := range entries {
			if !slices.Contains(envs, e.Environment) {
				envs = append(envs, e.Environment)
			}
		}
		slices.Sort(envs)
		fmt.Fprintf(&b, "%s ← %d releases\n\n", strings.Join(envs, ", "), len(entries))
	}
	for _, e := range entries {
		fmt.Fprintf(&b, "- %s: %s → %s (%s)\n", e.Application, e.Image, e.Environment, e.Path)
		if e.SourceRepo != "" || e.SourceCommit != "" {
			fmt.Fprintf(&b, "  source: %s %s\n", e.SourceRepo, e.SourceCommit)
		}
	}
	b.WriteString("\n")
	for _, e := range entries {
		for _, t := range singles {
			if v := *t.field(&e); v != "" || t.required {
				fmt.Fprintf(&b, "%s: %s\n", t.key, v)
			}
		}
		for _, a := range e.ApprovedBy {
			fmt.Fprintf(&b, "%s: %s\n", KeyApprovedBy, a)
		}
	}
	return b.String()
}

// FormatMerge writes the message of a merge commit of branch (a ferry/…
// branch) that brings entries into its base, with who approved and merged
// in their trailers. The built-in provider uses it; a Git host's merge
// (GitHub's commit_message, GitLab's merge_commit_message, Gitea's
// MergeMessageField) could carry the same message once the providers'
// Merge takes one.
func FormatMerge(branch string, entries []Entry) string {
	return "Merge " + branch + ": " + Format(entries)
}

// ShortDigest returns a digest's algorithm and first 8 hex characters
// ("sha256:f6cc0a1b"), for subjects and titles.
func ShortDigest(d string) string {
	if i := len("sha256:"); len(d) > i+8 && d[:i] == "sha256:" {
		return d[:i+8]
	}
	return d
}
