package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/promotion"
)

// reindexActor is who restored a row, in ReportedBy and transitions.
const reindexActor = "reindex"

// trailerEntry is one promotion's trailer block in a commit message: a
// batch commit repeats the block once per promotion, in the order of the
// message body's "- app: ref → env (path)" lines.
type trailerEntry struct {
	release, promotion, image, sourceCommit, ciRun string
	// From the body line of the same position, when there is one.
	app, env, path, sourceRepo string
}

// parseEntries reads the Ferry trailer blocks of a commit message, in order;
// a block starts at each Ferry-Release trailer.
func parseEntries(message string) []trailerEntry {
	var out []trailerEntry
	var body []trailerEntry // from "- app: ref → env (path)" lines
	for _, line := range strings.Split(strings.ReplaceAll(message, "\r\n", "\n"), "\n") {
		if rest, ok := strings.CutPrefix(line, "- "); ok {
			if e, ok := parseBodyLine(rest); ok {
				body = append(body, e)
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, "  source: "); ok && len(body) > 0 {
			repo, _, _ := strings.Cut(rest, " ")
			body[len(body)-1].sourceRepo = repo
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		if key == promotion.TrailerRelease {
			out = append(out, trailerEntry{release: value})
			continue
		}
		if len(out) == 0 {
			continue
		}
		e := &out[len(out)-1]
		switch key {
		case promotion.TrailerPromotion:
			e.promotion = value
		case promotion.TrailerImage:
			e.image = value
		case promotion.TrailerSourceCommit:
			e.sourceCommit = value
		case promotion.TrailerCIRun:
			e.ciRun = value
		}
	}
	if len(body) == len(out) {
		for i := range out {
			out[i].app, out[i].env, out[i].path, out[i].sourceRepo = body[i].app, body[i].env, body[i].path, body[i].sourceRepo
		}
	}
	return out
}

// parseBodyLine reads "app: repo:tag@digest → env (path)".
func parseBodyLine(s string) (trailerEntry, bool) {
	app, rest, ok := strings.Cut(s, ": ")
	if !ok {
		return trailerEntry{}, false
	}
	_, rest, ok = strings.Cut(rest, " → ")
	if !ok || !strings.HasSuffix(rest, ")") {
		return trailerEntry{}, false
	}
	env, path, ok := strings.Cut(strings.TrimSuffix(rest, ")"), " (")
	if !ok {
		return trailerEntry{}, false
	}
	return trailerEntry{app: app, env: env, path: path}, true
}

// splitImage splits "repo:tag@digest".
func splitImage(ref string) (repo, tag, digest string, ok bool) {
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

// history is what reindex rebuilds from the commits of one repository.
type history struct {
	releases   map[string]promotion.Release
	promotions map[string][]promotion.Promotion // by release id
	// skipped says, trailer block by trailer block, what could not be
	// restored and why.
	skipped []string
}

// rebuild turns the commits of every branch holding targets into releases
// and promotions: each Ferry trailer block is one promotion, committed at
// its commit, or merged when a "Merge ferry/…" commit carries it (the
// built-in provider's merge). A pull-request environment's commit that no
// merge carries was an older push to a pull request merged later with a
// newer release: superseded. With a Git host's provider (builtin false) the
// host's merge commit carries no trailers, so such commits count as merged.
func rebuild(ts []target, branches []branchCommits, builtin bool) history {
	h := history{releases: map[string]promotion.Release{}, promotions: map[string][]promotion.Promotion{}}
	type seen struct {
		p      promotion.Promotion
		when   time.Time
		merged bool
	}
	byID := map[string]*seen{}
	var order []string
	for _, bc := range branches {
		for _, c := range bc.commits {
			mergedFrom := mergeBranch(c.Message)
			for _, e := range parseEntries(c.Message) {
				if e.promotion == "" || e.release == "" {
					h.skipped = append(h.skipped, fmt.Sprintf("commit %.8s: a Ferry-Release %q without Ferry-Promotion", c.SHA, e.release))
					continue
				}
				repo, tag, digest, ok := splitImage(e.image)
				if !ok {
					h.skipped = append(h.skipped, fmt.Sprintf("commit %.8s: promotion %s has no readable Ferry-Image %q", c.SHA, e.promotion, e.image))
					continue
				}
				t, ok := matchTarget(ts, bc.branch, repo, e)
				if !ok {
					h.skipped = append(h.skipped, fmt.Sprintf("commit %.8s: promotion %s (%s) matches no target of the pipeline on branch %s", c.SHA, e.promotion, e.image, bc.branch))
					continue
				}
				r := promotion.Release{
					ID: e.release, Application: t.app.Name, Repository: repo, Tag: tag, Digest: digest,
					SourceRepo: e.sourceRepo, SourceCommit: e.sourceCommit, CIRunURL: e.ciRun,
					ReportedBy: reindexActor, CreatedAt: c.When.UTC(),
				}
				if old, ok := h.releases[r.ID]; !ok || r.CreatedAt.Before(old.CreatedAt) {
					h.releases[r.ID] = r
				}
				s := byID[e.promotion]
				if s == nil {
					s = &seen{p: promotion.Promotion{
						ID: e.promotion, ReleaseID: r.ID, Application: t.app.Name, Environment: t.env.Name,
						State: promotion.StateCommitted, Actor: reindexActor,
					}}
					byID[e.promotion] = s
					order = append(order, e.promotion)
				}
				if mergedFrom != "" {
					s.merged = true
					s.p.MergeSHA, s.p.PRBranch = c.SHA, mergedFrom
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
		}
		p.Note = fmt.Sprintf("restored by ferry reindex from commit %s", firstOf(p.MergeSHA, p.CommitSHA))
		h.promotions[p.ReleaseID] = append(h.promotions[p.ReleaseID], p)
	}
	return h
}

// mergeBranch returns the ferry/ branch a built-in merge commit merged
// ("Merge ferry/app/env: …"), or "".
func mergeBranch(message string) string {
	rest, ok := strings.CutPrefix(message, "Merge "+gitrepo.OwnBranchPrefix)
	if !ok {
		return ""
	}
	branch, _, ok := strings.Cut(rest, ": ")
	if !ok || strings.ContainsAny(branch, " \n") {
		return ""
	}
	return gitrepo.OwnBranchPrefix + branch
}

// matchTarget finds the target a trailer block wrote: on branch, of the
// application whose image is repo, at the path (and environment) the
// message body names; without a body line, the one target of that
// application on branch.
func matchTarget(ts []target, branch, repo string, e trailerEntry) (target, bool) {
	var cands []target
	for _, t := range ts {
		if t.branch == branch && t.app.Image == repo {
			cands = append(cands, t)
		}
	}
	if e.path != "" {
		cands = slices.DeleteFunc(cands, func(t target) bool { return t.path != e.path })
		if len(cands) > 1 {
			cands = slices.DeleteFunc(cands, func(t target) bool { return t.env.Name != e.env })
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
