package promotion

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/manifest"
)

// prBody describes the promotion for reviewers.
func (e *Engine) prBody(ctx context.Context, it *item, env config.Environment, current manifest.Image, curErr error) string {
	r := it.rel
	var b strings.Builder
	fmt.Fprintf(&b, "Ferry promotes **%s** to **%s**", r.Application, env.Name)
	if env.From != "" {
		fmt.Fprintf(&b, " (from %s)", env.From)
	}
	b.WriteString(".\n\n| | tag | digest |\n|---|---|---|\n")
	var prev *Release
	if curErr == nil {
		fmt.Fprintf(&b, "| now | `%s` | `%s` |\n", orDash(current.Tag), orDash(current.Digest))
		if current.Digest != "" {
			if pr, err := e.store.FindReleaseByDigest(ctx, r.Application, current.Digest); err == nil {
				prev = &pr
			}
		}
	} else {
		fmt.Fprintf(&b, "| now | ? | could not read: %s |\n", curErr)
	}
	fmt.Fprintf(&b, "| after | `%s` | `%s` |\n\n", r.Tag, r.Digest)
	if r.SourceCommit != "" {
		switch {
		case prev != nil && prev.SourceCommit != "" && prev.SourceRepo == r.SourceRepo && isWebURL(r.SourceRepo):
			fmt.Fprintf(&b, "Source changes: [%.8s…%.8s](%s/compare/%s...%s)\n\n", prev.SourceCommit, r.SourceCommit,
				strings.TrimSuffix(strings.TrimSuffix(r.SourceRepo, "/"), ".git"), prev.SourceCommit, r.SourceCommit)
		case prev != nil && prev.SourceCommit != "":
			fmt.Fprintf(&b, "Source changes: %s %.12s → %.12s\n\n", r.SourceRepo, prev.SourceCommit, r.SourceCommit)
		default:
			fmt.Fprintf(&b, "Source: %s %s\n\n", r.SourceRepo, r.SourceCommit)
		}
	}
	if r.CIRunURL != "" {
		fmt.Fprintf(&b, "CI run: %s\n\n", r.CIRunURL)
	}
	if line := supplyChainLine(r, env); line != "" {
		fmt.Fprintf(&b, "Supply chain: %s\n\n", line)
	}
	fmt.Fprintf(&b, "Files changed: `%s` (%s)\n\n", it.target.Path, it.target.Kind)
	if it.p.Diff != "" {
		// A fence longer than any run of backticks in the diff, so that a
		// file's content cannot close it.
		fence := "```"
		for strings.Contains(it.p.Diff, fence) {
			fence += "`"
		}
		fmt.Fprintf(&b, "%sdiff\n%s%s\n\n", fence, it.p.Diff, fence)
	}
	if n := env.Gates.Approvals; n > 0 {
		fmt.Fprintf(&b, "Needs %d approval(s) from distinct people.", n)
		if env.Gates.AutoMerge {
			b.WriteString(" Ferry merges once approved and the checks pass.")
		}
		b.WriteString("\n\n")
	}
	b.WriteString(approvalsLine(it.p.Approvals, env.Gates.Approvals))
	fmt.Fprintf(&b, "---\nFerry promotion `%s`, release `%s`, requested by %s.\n", it.p.ID, r.ID, orSomeone(it.p.RequestedBy))
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func isWebURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
