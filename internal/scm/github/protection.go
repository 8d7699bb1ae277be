package github

import (
	"context"
	"errors"
	"slices"

	gh "github.com/google/go-github/v88/github"

	"github.com/ferryhq/ferry/internal/derrors"
)

// requiredChecks returns the names of the status checks that base requires
// before a merge, from its classic branch protection and from every active
// ruleset that applies to it. Both are readable with read access: "Get a
// branch" includes the protection's required checks, and "Get rules for a
// branch" lists the rules of active rulesets.
func (p *Provider) requiredChecks(ctx context.Context, base string) ([]string, error) {
	if base == "" {
		return nil, nil
	}
	var out []string
	b, _, err := p.client.Repositories.GetBranch(ctx, p.owner, p.repo, base, 1)
	if err != nil {
		return nil, fail(err, "reading the protection of branch %s", base)
	}
	if rsc := b.GetProtection().GetRequiredStatusChecks(); rsc != nil {
		if rsc.Contexts != nil {
			out = append(out, *rsc.Contexts...)
		}
		if rsc.Checks != nil {
			for _, c := range *rsc.Checks {
				out = append(out, c.Context)
			}
		}
	}
	opts := &gh.ListOptions{PerPage: 100}
	for {
		rules, resp, err := p.client.Repositories.ListRulesForBranch(ctx, p.owner, p.repo, base, opts)
		if err != nil {
			err = fail(err, "reading the rulesets of branch %s", base)
			// GitHub Enterprise Server before 3.9 has no rulesets.
			if errors.Is(err, derrors.ErrNotFound) {
				break
			}
			return nil, err
		}
		if rules != nil {
			for _, r := range rules.RequiredStatusChecks {
				for _, c := range r.Parameters.RequiredStatusChecks {
					out = append(out, c.Context)
				}
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
