package gitea

import (
	"context"
	"errors"
	"strings"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// IsMember reports whether user is a member of team, a team of the
// repository's organisation ("release-managers") or of another one
// ("acme/release-managers"): Gitea names teams, so the team's id is found
// in the organisation's list (GET /orgs/{org}/teams), then the member asked
// for (GET /teams/{id}/members/{username}, 404 for no member). The engine
// caches the answer. A team that does not exist has no members. Gitea
// lets only the team's members and the organisation's owners read its
// members (403 for anyone else): the bot must be in the team.
func (p *Provider) IsMember(ctx context.Context, team, user string) (bool, error) {
	org, name, ok := strings.Cut(team, "/")
	if !ok {
		org, name = p.owner, team
	}
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	c, err := p.client(ctx)
	if err != nil {
		return false, err
	}
	id, err := teamID(c, org, name)
	if err != nil || id == 0 {
		return false, err
	}
	_, resp, err := c.GetTeamMember(id, user)
	if err != nil {
		err = fail(resp, err, "reading whether %s is in team %s/%s", user, org, name)
		if errors.Is(err, derrors.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// teamID returns the id of org's team name (Gitea compares team names
// without case), or 0 when org has none by that name.
func teamID(c *sdk.Client, org, name string) (int64, error) {
	opt := sdk.ListTeamsOptions{ListOptions: sdk.ListOptions{Page: 1, PageSize: 50}}
	for {
		teams, resp, err := c.ListOrgTeams(org, opt)
		if err != nil {
			err = fail(resp, err, "listing the teams of %s", org)
			if errors.Is(err, derrors.ErrNotFound) {
				return 0, nil
			}
			return 0, err
		}
		for _, t := range teams {
			if strings.EqualFold(t.Name, name) {
				return t.ID, nil
			}
		}
		if len(teams) < opt.PageSize {
			return 0, nil
		}
		opt.Page++
	}
}

var _ promotion.Members = (*Provider)(nil)
