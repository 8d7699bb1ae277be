package gitlab

import (
	"context"
	"errors"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// IsMember reports whether user is an active member of group (its full
// path, e.g. "acme/release-managers"), directly or through an ancestor
// group: GET /groups/:id/members/all?query=<user>, matched exactly on the
// username (the query also matches names). The engine caches the answer.
// A group that does not exist, or that the token cannot see, has no
// members.
func (p *Provider) IsMember(ctx context.Context, group, user string) (bool, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	opt := &gl.ListGroupMembersOptions{Query: gl.Ptr(user), ListOptions: gl.ListOptions{PerPage: 100}}
	for {
		members, resp, err := p.client.Groups.ListAllGroupMembers(group, opt, gl.WithContext(ctx))
		if err != nil {
			err = fail(err, "reading whether %s is in group %s", user, group)
			if errors.Is(err, derrors.ErrNotFound) {
				return false, nil
			}
			return false, err
		}
		for _, m := range members {
			if m.Username == user {
				return m.State == "" || m.State == "active", nil
			}
		}
		if resp.NextPage == 0 {
			return false, nil
		}
		opt.Page = resp.NextPage
	}
}

var _ promotion.Members = (*Provider)(nil)
