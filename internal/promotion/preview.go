package promotion

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/config"
)

// Preview is what a promotion would do now, computed by the code path the
// real promotion takes (gates, applyTarget, the commit message) on the
// branch head, with nothing written to Git or the store.
type Preview struct {
	// Release is the release that would move; a build's preview has one
	// that is verified but not recorded (its id is not kept).
	Release Release
	// Promotion is the promotion as it would be recorded; it is not.
	Promotion  Promotion
	Repository string
	Branch     string
	// Head is the branch head the edit was computed on.
	Head string
	// PullRequest is true when the environment promotes through pull
	// requests: the edit would be committed on a pull-request branch.
	PullRequest bool
	// Files are the unified diffs of the files the edit changes.
	Files []FileDiff
	// Message is the commit message Ferry would write; "" when nothing changes.
	Message string
	// Noop is true when the branch already has the image.
	Noop bool
	// Failure says why the edit would fail (a refused file); "" when it would not.
	Failure string
	// Held is true when a gate would hold the promotion now; Reason and
	// Until are the gates' verdict (see decide).
	Held   bool
	Reason string
	Until  time.Time
	// Gates are each admission gate's own decision, in order.
	Gates []GateOutcome
}

// FileDiff is one file's unified diff.
type FileDiff struct {
	Path string
	Diff string
}

// GateOutcome is one gate's decision in a preview.
type GateOutcome struct {
	Gate   string
	Open   bool
	Reason string
	Until  time.Time
}

// PreviewPromote previews a manual promotion or rollback: it checks it as
// Promote does and computes what the worker would do with it.
func (e *Engine) PreviewPromote(ctx context.Context, req PromoteRequest, actor string) (Preview, error) {
	m, err := e.manualPromotion(ctx, req, actor)
	if err != nil {
		return Preview{}, err
	}
	return e.preview(ctx, m)
}

// PreviewBuild previews a build report: it verifies the build in its
// registry as ReportBuild does and previews its promotion into each first
// environment, recording neither the release nor the promotions.
func (e *Engine) PreviewBuild(ctx context.Context, b Build, who Actor) ([]Preview, error) {
	ref, err := e.checkBuild(ctx, b, who)
	if err != nil {
		return nil, err
	}
	digest, err := e.reg.Resolve(ctx, b.Image, b.Tag, b.Digest)
	if err != nil {
		return nil, err
	}
	now := e.now().UTC()
	rel := newRelease(b, digest, who, now)
	if err := e.verifyReport(ctx, ref.pipeline, &rel); err != nil {
		return nil, err
	}
	var out []Preview
	for _, env := range ref.pipeline.Firsts() {
		p := Promotion{ID: newID("prm"), ReleaseID: rel.ID, Application: rel.Application, Environment: env.Name,
			State: StatePending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		it := &item{p: p, rel: rel, app: ref.app, target: ref.app.TargetFor(env.Name, env.Branch)}
		pv, err := e.preview(ctx, manual{it: it, repo: ref.repo, env: env})
		if err != nil {
			return nil, err
		}
		out = append(out, pv)
	}
	return out, nil
}

// preview evaluates the admission gates and computes the edit on the head
// of the environment's branch.
func (e *Engine) preview(ctx context.Context, m manual) (Preview, error) {
	pvs, msg, err := e.previewEdit(ctx, m.repo, m.env, m.env.Branch, m.explicit, []*item{m.it})
	if err != nil {
		return Preview{}, err
	}
	pvs[0].Message = msg
	return pvs[0], nil
}

// previewEdit evaluates the admission gates for each item and computes
// their edits on the head of branch as commitGroup would write them in one
// commit: each item's edit applies over the items before it. It returns
// one preview per item and the commit message ("" when nothing changes).
func (e *Engine) previewEdit(ctx context.Context, repo *Repo, env config.Environment, branch string, explicit bool, items []*item) ([]Preview, string, error) {
	s, err := repo.Git.Read(ctx, branch)
	if err != nil {
		return nil, "", fmt.Errorf("reading %s branch %s: %w", repo.Name, branch, err)
	}
	files := map[string][]byte{}
	var changed []*item
	var out []Preview
	for _, it := range items {
		pv := Preview{Release: it.rel, Promotion: it.p, Repository: repo.Name, Branch: branch,
			PullRequest: env.Promotion == config.ModePullRequest, Head: s.Head()}
		in := e.gateInput(it.p, it.rel, env)
		in.Explicit = explicit
		for _, g := range e.admission {
			d, err := g.Evaluate(ctx, in)
			if err != nil {
				return nil, "", fmt.Errorf("evaluating gate %s: %w", g.Name(), err)
			}
			pv.Gates = append(pv.Gates, GateOutcome{Gate: g.Name(), Open: d.Open, Reason: d.Reason, Until: d.Until})
		}
		d, err := decide(ctx, e.admission, in)
		if err != nil {
			return nil, "", err
		}
		pv.Held, pv.Reason, pv.Until = !d.Open, d.Reason, d.Until
		edited, ch, err := e.applyTarget(s, files, it)
		switch {
		case err != nil:
			pv.Failure = err.Error()
		case !ch:
			pv.Noop = true
		default:
			pv.Files = append(pv.Files, FileDiff{Path: it.target.Path, Diff: editDiff(s, files, it.target.Path, edited)})
			files[it.target.Path] = edited
			changed = append(changed, it)
		}
		out = append(out, pv)
	}
	msg := ""
	if len(changed) > 0 {
		msg = commitMessage(changed)
	}
	return out, msg, nil
}
