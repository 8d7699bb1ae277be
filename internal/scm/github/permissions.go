package github

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

// permissionTTL is how long a reviewer's permission on the repository is
// remembered. The reconciler looks at every open PR each interval, and
// without a cache each look costs one request per reviewer against the
// hourly limit; a minute keeps a revoked write access counting for at most
// about one reconcile interval, which is also the order of time GitHub
// takes to apply a change of team membership everywhere.
const permissionTTL = time.Minute

// permissions caches whether users may write to the repository. Its zero
// value is ready to use and it is safe for concurrent use.
type permissions struct {
	mu   sync.Mutex
	seen map[string]permission
}

type permission struct {
	write bool
	at    time.Time
}

// canWrite reports whether user has write, maintain or admin permission on
// the repository, asking GitHub unless it answered within permissionTTL.
func (c *permissions) canWrite(ctx context.Context, p *Provider, user string) (bool, error) {
	now := time.Now()
	c.mu.Lock()
	got, ok := c.seen[user]
	c.mu.Unlock()
	if ok && now.Sub(got.at) < permissionTTL {
		return got.write, nil
	}
	level, _, err := p.client.Repositories.GetPermissionLevel(ctx, p.owner, p.repo, user)
	write := false
	if err != nil {
		err = fail(err, "reading %s's permission on %s/%s", user, p.owner, p.repo)
		// A user GitHub no longer knows (deleted since the review) cannot write.
		if !errors.Is(err, derrors.ErrNotFound) {
			return false, err
		}
	} else {
		write = writeRole(level.GetPermission(), level.GetRoleName())
	}
	c.mu.Lock()
	if c.seen == nil {
		c.seen = map[string]permission{}
	}
	c.seen[user] = permission{write: write, at: now}
	c.mu.Unlock()
	return write, nil
}

// writeRole reads GitHub's answer: "permission" is the legacy admin, write,
// read or none (maintain reads as write, triage as read); "role_name" also
// names custom roles, whose base permission is in "permission".
func writeRole(permission, role string) bool {
	switch permission {
	case "admin", "write":
		return true
	}
	switch role {
	case "admin", "maintain", "write":
		return true
	}
	return false
}
