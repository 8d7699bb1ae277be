package promotion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
)

// savingStore records what the worker saves. (The SQLite store cannot be
// used from inside the package: it imports it.)
type savingStore struct {
	Store
	saved []Promotion
}

func (s *savingStore) UpdatePromotion(_ context.Context, _ string, p Promotion) error {
	s.saved = append(s.saved, p)
	return nil
}

// TestRetryFailsPermanentErrors: an error that can never pass (a branch name
// Git refuses, kind Invalid, however deeply wrapped) fails the promotion with
// the reason at once; a transient one is retried with backoff. Before, a
// pipeline naming branch "HEAD" retried 70 times and more.
func TestRetryFailsPermanentErrors(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	st := &savingStore{}
	e := &Engine{store: st, log: zap.NewNop(), now: func() time.Time { return now }, cfg: Config{RetryMax: time.Minute}}
	bad := fmt.Errorf("writing to envs branch HEAD: %w",
		derrors.Wrap(errors.New("HEAD names the checked-out commit, not a branch"), derrors.Invalid, "invalid_branch", "%q is not a valid branch name", "HEAD"))
	e.retry(context.Background(), Promotion{ID: "p1", State: StatePending}, bad)
	down := derrors.Wrap(errors.New("connection refused"), derrors.Unavailable, "git_unavailable", "fetching main: the git server failed")
	e.retry(context.Background(), Promotion{ID: "p2", State: StatePending}, down)

	if len(st.saved) != 2 {
		t.Fatalf("saved %d promotions, want 2", len(st.saved))
	}
	p := st.saved[0]
	if p.State != StateFailed || p.Attempts != 0 || !p.NextAttemptAt.IsZero() || !strings.Contains(p.Reason, `"HEAD" is not a valid branch name`) {
		t.Errorf("permanent error: saved %+v, want failed with the reason, no attempt counted, no next attempt", p)
	}
	q := st.saved[1]
	if q.State != StatePending || q.Attempts != 1 || !q.NextAttemptAt.After(now) || !strings.Contains(q.Reason, "retrying in") {
		t.Errorf("transient error: saved %+v, want pending with a next attempt", q)
	}
}
