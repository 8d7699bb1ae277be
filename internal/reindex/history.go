package reindex

import (
	"fmt"
	"slices"
	"time"

	"github.com/ferryhq/ferry/internal/commitmsg"
	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/promotion"
)

// target is one application's target in one environment of a pipeline.
type target struct {
	app    *config.Application
	env    config.Environment
	branch string
	path   string
}

// pipelineTargets lists every target of every application and environment,
// with repoBranch the repository's default branch.
func pipelineTargets(p *config.Pipeline, repoBranch string) []target {
	var ts []target
	for i := range p.Applications {
		a := &p.Applications[i]
		for _, env := range p.Environments {
			envBranch := env.Branch
			if envBranch == "" {
				envBranch = repoBranch
			}
			t := a.TargetFor(env.Name, envBranch)
			ts = append(ts, target{app: a, env: env, branch: t.Branch, path: t.Path})
		}
	}
	return ts
}

// branchCommits are the commits History visited on one branch.
type branchCommits struct {
	branch  string
	commits []gitrepo.CommitInfo
}

// rebuild turns the commits of every branch holding targets into releases
// and promotions: each Ferry trailer block is one promotion, committed at
// its commit, or merged when a "Merge ferry/…" commit carries it (the
// built-in provider's merge, which also says who approved and merged). A
// pull-request environment's commit that no merge carries was an older
// push to a pull request merged later with a newer release: superseded.
// With a Git host's provider (builtin false) the host's merge commit
// carries no trailers, so such commits count as merged.
func rebuild(ts []target, branches []branchCommits, builtin bool) History {
	h := History{Releases: map[string]promotion.Release{}, Promotions: map[string][]promotion.Promotion{}}
	type seen struct {
		p      promotion.Promotion
		when   time.Time
		merged bool
	}
	byID := map[string]*seen{}
	var order []string
	for _, bc := range branches {
		h.Commits += len(bc.commits)
		for _, c := range bc.commits {
			m := commitmsg.Parse(c.Message)
			for _, e := range m.Entries {
				if e.Promotion == "" || e.Release == "" {
					h.Skipped = append(h.Skipped, fmt.Sprintf("commit %.8s: a Ferry-Release %q without Ferry-Promotion", c.SHA, e.Release))
					continue
				}
				repo, tag, digest, ok := commitmsg.SplitImage(e.Image)
				if !ok {
					h.Skipped = append(h.Skipped, fmt.Sprintf("commit %.8s: promotion %s has no readable Ferry-Image %q", c.SHA, e.Promotion, e.Image))
					continue
				}
				t, ok := matchTarget(ts, bc.branch, repo, e)
				if !ok {
					h.Skipped = append(h.Skipped, fmt.Sprintf("commit %.8s: promotion %s (%s) matches no target of the pipeline on branch %s", c.SHA, e.Promotion, e.Image, bc.branch))
					continue
				}
				r := promotion.Release{
					ID: e.Release, Application: t.app.Name, Repository: repo, Tag: tag, Digest: digest,
					SourceRepo: e.SourceRepo, SourceCommit: e.SourceCommit, CIRunURL: e.CIRun,
					ReportedBy: Actor, CreatedAt: c.When.UTC(),
				}
				if old, ok := h.Releases[r.ID]; !ok || r.CreatedAt.Before(old.CreatedAt) {
					h.Releases[r.ID] = r
				}
				s := byID[e.Promotion]
				if s == nil {
					s = &seen{p: promotion.Promotion{
						ID: e.Promotion, ReleaseID: r.ID, Application: t.app.Name, Environment: t.env.Name,
						State: promotion.StateCommitted, Actor: Actor,
					}}
					byID[e.Promotion] = s
					order = append(order, e.Promotion)
				}
				s.p.RequestedBy = firstOf(s.p.RequestedBy, e.RequestedBy)
				if e.ForcedBy != "" {
					s.p.Forced = true
				}
				if m.Merged != "" {
					s.merged = true
					s.p.MergeSHA, s.p.PRBranch = c.SHA, m.Merged
					s.p.MergedBy, s.p.Approvers = e.MergedBy, e.ApprovedBy
					if s.p.CommitSHA == "" {
						s.p.CommitSHA = c.SHA
					}
				} else if s.p.CommitSHA == "" || s.p.CommitSHA == s.p.MergeSHA || c.When.Before(s.when) {
					s.p.CommitSHA = c.SHA
				}
				if s.when.IsZero() || c.When.Before(s.when) {
					s.when = c.When.UTC()
				}
				if t.env.Promotion == "pull-request" && s.p.PRBranch == "" {
					// Merged by the host without Ferry's merge subject: the
					// branch's id (its opener's) is not in the commit, so
					// the scheme's stem says it came by pull request.
					s.p.PRBranch = gitrepo.OwnBranchPrefix + t.app.Name + "/" + t.env.Name
				}
			}
		}
	}
	for _, id := range order {
		s := byID[id]
		p := s.p
		p.CreatedAt, p.UpdatedAt = s.when, s.when
		switch {
		case s.merged, p.PRBranch != "" && !builtin:
			p.State = promotion.StateMerged
		case p.PRBranch != "":
			p.State = promotion.StateSuperseded
			p.Reason = "superseded in the same pull request (restored by ferry reindex: a newer release was merged)"
			// Its pull request's branch is the one the next merged push
			// of its application and environment came through.
			var next *seen
			for _, oid := range order {
				o := byID[oid]
				if o.merged && o.p.Application == p.Application && o.p.Environment == p.Environment &&
					o.when.After(s.when) && (next == nil || o.when.Before(next.when)) {
					next = o
				}
			}
			if next != nil {
				p.PRBranch = next.p.PRBranch
			}
		}
		p.Note = fmt.Sprintf("restored by ferry reindex from commit %s", firstOf(p.MergeSHA, p.CommitSHA))
		h.Promotions[p.ReleaseID] = append(h.Promotions[p.ReleaseID], p)
	}
	return h
}

// matchTarget finds the target a trailer block wrote: on branch, of the
// application whose image is repo, at the path (and environment) the
// message body names; without a body line, the one target of that
// application on branch.
func matchTarget(ts []target, branch, repo string, e commitmsg.Entry) (target, bool) {
	var cands []target
	for _, t := range ts {
		if t.branch == branch && t.app.Image == repo {
			cands = append(cands, t)
		}
	}
	if e.Path != "" {
		cands = slices.DeleteFunc(cands, func(t target) bool { return t.path != e.Path })
		if len(cands) > 1 {
			cands = slices.DeleteFunc(cands, func(t target) bool { return t.env.Name != e.Environment })
		}
	}
	if len(cands) != 1 {
		return target{}, false
	}
	return cands[0], true
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
