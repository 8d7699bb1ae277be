package promotion

import (
	"context"
	"fmt"
	"strings"
)

// setPRBody describes a release set's promotion for reviewers: every member
// from → to with digests and a link to its source changes, then each
// member's diff.
func (e *Engine) setPRBody(ctx context.Context, w setWork, currents []setCurrent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Ferry promotes release set **%s** (%d applications) to **%s**", w.sr.Name, len(w.items), w.env.Name)
	if w.env.From != "" {
		fmt.Fprintf(&b, " (from %s)", w.env.From)
	}
	b.WriteString(" as one change.\n\n| application | from | to | source |\n|---|---|---|---|\n")
	for i, it := range w.items {
		r, cur := it.rel, currents[i]
		from := "? (could not read: " + fmt.Sprint(cur.err) + ")"
		var prev *Release
		if cur.err == nil {
			from = fmt.Sprintf("`%s` `%s`", orDash(cur.img.Tag), orDash(cur.img.Digest))
			if cur.img.Digest != "" {
				if pr, err := e.store.FindReleaseByDigest(ctx, r.Application, cur.img.Digest); err == nil {
					prev = &pr
				}
			}
		}
		to := fmt.Sprintf("`%s` `%s`", r.Tag, r.Digest)
		if cur.err == nil && cur.img.Digest == r.Digest && cur.img.Tag == r.Tag {
			to = "no change (already there)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.Application, from, to, sourceChanges(prev, r))
	}
	b.WriteString("\n")
	for _, it := range w.items {
		fmt.Fprintf(&b, "**%s**: `%s` (%s)", it.p.Application, it.target.Path, it.target.Kind)
		if it.rel.CIRunURL != "" {
			fmt.Fprintf(&b, ", CI run %s", it.rel.CIRunURL)
		}
		b.WriteString("\n\n")
		if it.p.Diff != "" {
			fence := "```"
			for strings.Contains(it.p.Diff, fence) {
				fence += "`"
			}
			fmt.Fprintf(&b, "%sdiff\n%s%s\n\n", fence, it.p.Diff, fence)
		}
	}
	if n := w.env.Gates.Approvals; n > 0 {
		fmt.Fprintf(&b, "Needs %d approval(s) from distinct people for the whole set.\n\n", n)
	}
	b.WriteString(approvalsLine(w.items[0].p.Approvals, w.env.Gates.Approvals))
	var ids []string
	for _, it := range w.items {
		ids = append(ids, "`"+it.p.ID+"`")
	}
	fmt.Fprintf(&b, "---\nFerry release set `%s`, promotions %s, requested by %s.\n", w.sr.ID, strings.Join(ids, ", "), orSomeone(w.items[0].p.RequestedBy))
	return b.String()
}

// sourceChanges links the source changes between the release running now
// (prev, if known) and r.
func sourceChanges(prev *Release, r Release) string {
	switch {
	case r.SourceCommit == "":
		return "–"
	case prev != nil && prev.SourceCommit != "" && prev.SourceCommit != r.SourceCommit && prev.SourceRepo == r.SourceRepo && isWebURL(r.SourceRepo):
		return fmt.Sprintf("[%.8s…%.8s](%s/compare/%s...%s)", prev.SourceCommit, r.SourceCommit,
			strings.TrimSuffix(strings.TrimSuffix(r.SourceRepo, "/"), ".git"), prev.SourceCommit, r.SourceCommit)
	case prev != nil && prev.SourceCommit != "" && prev.SourceCommit != r.SourceCommit:
		return fmt.Sprintf("%s %.12s → %.12s", r.SourceRepo, prev.SourceCommit, r.SourceCommit)
	default:
		return fmt.Sprintf("%s %.12s", r.SourceRepo, r.SourceCommit)
	}
}
