package github

import (
	"context"

	gh "github.com/google/go-github/v88/github"

	"github.com/ferryhq/ferry/internal/promotion"
)

// checks summarises both of GitHub's CI mechanisms on sha: commit statuses
// (the combined status) and check runs. Any failure fails; else anything
// unfinished is pending; else anything reported passes. A check that base
// requires but that nobody has reported yet is pending too, never
// "unknown": CI may not have registered it yet, and GitHub will not merge
// without it. missing names those checks.
func (p *Provider) checks(ctx context.Context, sha string, required []string) (sum promotion.Checks, missing []string, err error) {
	if sha == "" {
		return promotion.ChecksUnknown, nil, nil
	}
	var seen []promotion.Checks
	reported := map[string]bool{}
	combined, _, err := p.client.Repositories.GetCombinedStatus(ctx, p.owner, p.repo, sha, &gh.ListOptions{PerPage: 100})
	if err != nil {
		return "", nil, fail(err, "getting the combined status of %s", sha)
	}
	// With no statuses GitHub still says "pending"; that is "none reported".
	if combined.GetTotalCount() > 0 {
		seen = append(seen, statusState(combined.GetState()))
	}
	for _, s := range combined.Statuses {
		reported[s.GetContext()] = true
	}
	opts := &gh.ListCheckRunsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		runs, resp, err := p.client.Checks.ListCheckRunsForRef(ctx, p.owner, p.repo, sha, opts)
		if err != nil {
			return "", nil, fail(err, "listing check runs of %s", sha)
		}
		for _, r := range runs.CheckRuns {
			seen = append(seen, checkRun(r))
			reported[r.GetName()] = true
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	for _, name := range required {
		if !reported[name] {
			missing = append(missing, name)
			seen = append(seen, promotion.ChecksPending)
		}
	}
	return summarize(seen), missing, nil
}

func statusState(s string) promotion.Checks {
	switch s {
	case "success":
		return promotion.ChecksPassed
	case "pending":
		return promotion.ChecksPending
	}
	return promotion.ChecksFailed // failure, error
}

func checkRun(r *gh.CheckRun) promotion.Checks {
	if r.GetStatus() != "completed" {
		return promotion.ChecksPending // queued, in_progress, waiting, requested, pending
	}
	switch r.GetConclusion() {
	case "success", "neutral", "skipped":
		return promotion.ChecksPassed
	}
	return promotion.ChecksFailed // failure, cancelled, timed_out, action_required, stale, startup_failure
}

func summarize(all []promotion.Checks) promotion.Checks {
	out := promotion.ChecksUnknown
	for _, c := range all {
		switch {
		case c == promotion.ChecksFailed:
			return promotion.ChecksFailed
		case c == promotion.ChecksPending:
			out = promotion.ChecksPending
		case c == promotion.ChecksPassed && out == promotion.ChecksUnknown:
			out = promotion.ChecksPassed
		}
	}
	return out
}
