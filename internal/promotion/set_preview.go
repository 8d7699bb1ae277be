package promotion

import (
	"context"
	"strings"
	"time"
)

// SetPreview is what a release set's promotion into one of its first
// environments would do now: every member's edit on the branch head in
// the one commit (or pull request) the set would get, computed by the code
// the real promotion takes, with nothing written to Git or the store.
type SetPreview struct {
	Set         string
	Environment string
	Repository  string
	Branch      string
	Head        string
	PullRequest bool
	// Members are each member's preview (its release, gates and file
	// diffs), in the set's order; their Message is empty: the set has one.
	Members []Preview
	// Message is the one commit message Ferry would write; "" when nothing
	// changes or the set would fail.
	Message string
	// Noop is true when the branch already has every member's image.
	Noop bool
	// Failure says why the set would fail as a whole (a member's refused
	// file): nothing would be pushed.
	Failure string
	// Held is true when a gate would hold any member: the set waits as
	// one; Reason names each holding member, Until is the latest.
	Held   bool
	Reason string
	Until  time.Time
}

// PreviewSet previews a release set report: it verifies every member as
// ReportSet does (one failure refuses the set) and previews the set's
// promotion into each first environment, recording nothing.
func (e *Engine) PreviewSet(ctx context.Context, name string, builds []Build, who Actor) ([]SetPreview, error) {
	ref, sr, rels, err := e.verifySet(ctx, name, builds, who)
	if err != nil {
		return nil, err
	}
	ps := setEntryPromotions(ref, sr, rels, who, sr.CreatedAt)
	relOf := map[string]Release{}
	for _, r := range rels {
		relOf[r.Application] = r
	}
	var out []SetPreview
	for _, env := range ref.pipeline.Firsts() {
		var items []*item
		for _, p := range ps {
			if p.Environment != env.Name {
				continue
			}
			app, _ := ref.pipeline.Application(p.Application) // verifySet found it
			items = append(items, &item{p: p, rel: relOf[p.Application], app: app, target: app.TargetFor(env.Name, env.Branch)})
		}
		if len(items) == 0 {
			continue
		}
		branch := items[0].target.Branch
		pvs, msg, err := e.previewEdit(ctx, ref.repo, env, branch, false, items)
		if err != nil {
			return nil, err
		}
		sp := SetPreview{Set: name, Environment: env.Name, Repository: ref.repo.Name, Branch: branch,
			Head: pvs[0].Head, PullRequest: pvs[0].PullRequest, Members: pvs, Message: msg, Noop: msg == ""}
		outcomes := map[*item]*outcome{}
		var holds []string
		for i, it := range items {
			outcomes[it] = &outcome{failure: pvs[i].Failure, changed: len(pvs[i].Files) > 0}
			if pvs[i].Held {
				holds = append(holds, it.p.Application+": "+pvs[i].Reason)
				if pvs[i].Until.After(sp.Until) {
					sp.Until = pvs[i].Until
				}
			}
		}
		if setRefused(name, items, outcomes) {
			sp.Failure, sp.Message, sp.Noop = outcomes[items[0]].failure, "", false
		}
		if len(holds) > 0 {
			sp.Held, sp.Reason = true, "release set "+name+" waits for "+strings.Join(holds, "; ")
		}
		out = append(out, sp)
	}
	return out, nil
}
