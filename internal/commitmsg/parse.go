package commitmsg

import (
	"strings"

	"github.com/ferryhq/ferry/internal/gitrepo"
)

// Parse reads a commit message: the merged branch of a Ferry merge commit,
// and one Entry per Ferry trailer block, in order. A block starts at each
// Ferry-Release trailer (or at a Ferry trailer its block already holds, so
// that no promotion id is lost in a hand-made message). Body lines fill in
// application, environment, path and source repository when there is one
// per entry. Any message parses; one without Ferry trailers has no entries.
func Parse(message string) Message {
	body, trailers := trailerBlock(message)
	var m Message
	if len(body) > 0 {
		m.Merged = mergedBranch(body[0])
	}
	var cur *Entry
	seen := map[string]bool{} // single-valued keys the current entry has
	for _, t := range trailers {
		field, ok := fieldOf(t.key)
		if !ok {
			continue
		}
		if cur == nil || t.key == KeyRelease || (field != nil && seen[t.key]) {
			m.Entries = append(m.Entries, Entry{})
			cur = &m.Entries[len(m.Entries)-1]
			clear(seen)
		}
		seen[t.key] = true
		if field == nil {
			cur.ApprovedBy = append(cur.ApprovedBy, t.value)
			continue
		}
		*field(cur) = t.value
	}
	if lines := bodyLines(body); len(lines) == len(m.Entries) {
		for i, l := range lines {
			e := &m.Entries[i]
			e.Application, e.Environment, e.Path, e.SourceRepo = l.Application, l.Environment, l.Path, l.SourceRepo
		}
	}
	return m
}

// fieldOf returns the accessor of a single-valued Ferry key, or nil for
// KeyApprovedBy; ok is false for any other key.
func fieldOf(key string) (field func(*Entry) *string, ok bool) {
	if key == KeyApprovedBy {
		return nil, true
	}
	for _, t := range singles {
		if t.key == key {
			return t.field, true
		}
	}
	return nil, false
}

// bodyLines reads the "- app: image → env (path)" lines after the subject,
// each with the repository of the "  source: repo commit" line under it.
func bodyLines(body []string) []Entry {
	var out []Entry
	for i, line := range body {
		if i == 0 {
			continue // the subject
		}
		if rest, ok := strings.CutPrefix(line, "- "); ok {
			if e, ok := parseBodyLine(rest); ok {
				out = append(out, e)
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, "  source: "); ok && len(out) > 0 {
			repo, _, _ := strings.Cut(rest, " ")
			out[len(out)-1].SourceRepo = repo
		}
	}
	return out
}

// parseBodyLine reads "app: repo:tag@digest → env (path)".
func parseBodyLine(s string) (Entry, bool) {
	app, rest, ok := strings.Cut(s, ": ")
	if !ok {
		return Entry{}, false
	}
	_, rest, ok = strings.Cut(rest, " → ")
	if !ok || !strings.HasSuffix(rest, ")") {
		return Entry{}, false
	}
	env, path, ok := strings.Cut(strings.TrimSuffix(rest, ")"), " (")
	if !ok {
		return Entry{}, false
	}
	return Entry{Application: app, Environment: env, Path: path}, true
}

// mergedBranch returns the branch a merge subject ("Merge ferry/app/env:
// …") names when it is one of Ferry's own (gitrepo.OwnBranchPrefix), or "".
func mergedBranch(subject string) string {
	rest, ok := strings.CutPrefix(subject, "Merge "+gitrepo.OwnBranchPrefix)
	if !ok {
		return ""
	}
	branch, _, ok := strings.Cut(rest, ": ")
	if !ok || strings.ContainsAny(branch, " \t") {
		return ""
	}
	return gitrepo.OwnBranchPrefix + branch
}
