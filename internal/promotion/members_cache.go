package promotion

import (
	"context"
	"sync"
	"time"
)

// membersTTL is how long an answer about team membership is remembered.
// The reconciler looks at every open pull request each interval and asks
// once per uncounted approval and team; a minute bounds that to about one
// request per person and team per interval while a removed member stops
// counting within about one interval, the order of time hosts take to
// apply a change of membership everywhere.
const membersTTL = time.Minute

// memberCache remembers providers' answers about team membership for
// membersTTL, per repository. Its zero value is ready to use and it is
// safe for concurrent use.
type memberCache struct {
	mu   sync.Mutex
	seen map[[3]string]cachedMembership
}

type cachedMembership struct {
	in bool
	at time.Time
}

// of returns m with its answers cached under repo; nil for nil.
func (c *memberCache) of(repo string, m Members) Members {
	if m == nil {
		return nil
	}
	return cachedMembers{c: c, repo: repo, m: m}
}

type cachedMembers struct {
	c    *memberCache
	repo string
	m    Members
}

func (cm cachedMembers) IsMember(ctx context.Context, team, user string) (bool, error) {
	key := [3]string{cm.repo, team, user}
	now := time.Now()
	cm.c.mu.Lock()
	got, ok := cm.c.seen[key]
	cm.c.mu.Unlock()
	if ok && now.Sub(got.at) < membersTTL {
		return got.in, nil
	}
	in, err := cm.m.IsMember(ctx, team, user)
	if err != nil {
		return false, err
	}
	cm.c.mu.Lock()
	if cm.c.seen == nil {
		cm.c.seen = map[[3]string]cachedMembership{}
	}
	cm.c.seen[key] = cachedMembership{in: in, at: now}
	cm.c.mu.Unlock()
	return in, nil
}
