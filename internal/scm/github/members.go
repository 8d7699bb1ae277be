package github

import (
	"context"
	"errors"
	"strings"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// IsMember reports whether user is an active member of team, a team slug of
// the repository's organisation ("release-managers") or of another one
// ("acme/release-managers"), asking GitHub
// (GET /orgs/{org}/teams/{team_slug}/memberships/{username}); the engine
// caches the answer. A pending invitation is no membership.
func (p *Provider) IsMember(ctx context.Context, team, user string) (bool, error) {
	org, slug, ok := strings.Cut(team, "/")
	if !ok {
		org, slug = p.owner, team
	}
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	m, _, err := p.client.Teams.GetTeamMembershipBySlug(ctx, org, slug, user)
	if err != nil {
		err = fail(err, "reading %s's membership of team %s/%s", user, org, slug)
		// GitHub answers 404 for "no membership" (and for a team the token
		// cannot see: no member either way).
		if errors.Is(err, derrors.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return m.GetState() == "active", nil
}

var _ promotion.Members = (*Provider)(nil)
