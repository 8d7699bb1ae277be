package promotion

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
)

type statusList []Status

func (s statusList) CommitStatuses(context.Context, string) ([]Status, error) { return s, nil }

// TestHealthGate: the statuses named for stage must be success, for long
// enough, on the commit that brought the release into dev; red fails at
// once, and missing fails once the timeout has passed.
func TestHealthGate(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	arrived := now.Add(-5 * time.Minute)
	env := config.Environment{Name: "stage", From: "dev", Gates: config.Gates{Health: &config.Health{
		Statuses: []string{"argocd/{app}-{from}"}, For: config.Duration(2 * time.Minute), Timeout: config.Duration(10 * time.Minute)}}}
	st := func(state string, ago time.Duration) Status {
		return Status{Context: "argocd/payments-dev", State: state, Description: "sync " + state, TargetURL: "https://argo.example/app", UpdatedAt: now.Add(-ago)}
	}
	for _, tc := range []struct {
		name     string
		statuses statusList
		now      time.Time
		open     bool
		fail     bool
		until    time.Time
		reason   string // a part of it
	}{
		{name: "missing waits", until: now.Add(time.Minute), reason: `status "argocd/payments-dev" is missing on merge-sha (dev since 2026-12-03T11:55:00Z)`},
		{name: "pending waits", statuses: statusList{st(StatusPending, time.Minute)}, until: now.Add(time.Minute), reason: "is pending since 2026-12-03T11:59:00Z"},
		{name: "green but not for long enough", statuses: statusList{st(StatusSuccess, time.Minute)}, until: now.Add(time.Minute),
			reason: "is success since 2026-12-03T11:59:00Z; healthy for 2m0s at 2026-12-03T12:01:00Z"},
		{name: "green long enough opens", statuses: statusList{st(StatusSuccess, 2*time.Minute)}, open: true},
		{name: "repeated green counts from the first", statuses: statusList{st(StatusSuccess, 10*time.Second), st(StatusSuccess, 3*time.Minute)}, open: true},
		{name: "red after green fails", statuses: statusList{st(StatusSuccess, 3*time.Minute), st(StatusFailure, time.Second)}, fail: true,
			reason: `health: status "argocd/payments-dev" on merge-sha is failure since 2026-12-03T11:59:59Z: sync failure (https://argo.example/app)`},
		{name: "error fails", statuses: statusList{st(StatusError, time.Second)}, fail: true, reason: "is error since"},
		{name: "other contexts do not count", statuses: statusList{{Context: "ci", State: StatusSuccess, UpdatedAt: now.Add(-time.Hour)}}, until: now.Add(time.Minute), reason: "missing"},
		{name: "missing after the timeout fails", now: arrived.Add(10 * time.Minute), fail: true, reason: "health: timed out after 10m0s: status"},
		{name: "the wait ends at the timeout", now: arrived.Add(9*time.Minute + 30*time.Second), until: arrived.Add(10 * time.Minute), reason: "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := now
			if !tc.now.IsZero() {
				at = tc.now
			}
			g := healthGate{poll: time.Minute,
				arrival: func(_ context.Context, rel, e string) (Promotion, bool, error) {
					if rel != "rel_1" || e != "dev" {
						t.Errorf("arrival(%s, %s), want rel_1 in dev", rel, e)
					}
					return Promotion{CommitSHA: "branch-sha", MergeSHA: "merge-sha", UpdatedAt: arrived}, true, nil
				},
				statuses: func(context.Context, string) (CommitStatuses, bool) { return tc.statuses, true },
			}
			d, err := g.Evaluate(context.Background(), GateInput{Promotion: Promotion{ReleaseID: "rel_1", Application: "payments"}, Env: env, Now: at})
			if err != nil {
				t.Fatal(err)
			}
			if d.Open != tc.open || d.Fail != tc.fail || !d.Until.Equal(tc.until) || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("health = %+v, want open %v fail %v until %s reason containing %q", d, tc.open, tc.fail, tc.until, tc.reason)
			}
		})
	}
}

// TestHealthGateWithoutStatusReaderFails: a repository whose provider
// cannot read statuses fails the promotion instead of holding it for ever.
func TestHealthGateWithoutStatusReaderFails(t *testing.T) {
	g := healthGate{poll: time.Minute,
		arrival: func(context.Context, string, string) (Promotion, bool, error) {
			return Promotion{CommitSHA: "x"}, true, nil
		},
		statuses: func(context.Context, string) (CommitStatuses, bool) { return nil, false },
	}
	env := config.Environment{Name: "stage", From: "dev", Gates: config.Gates{Health: &config.Health{Statuses: []string{"a"}}}}
	d, err := g.Evaluate(context.Background(), GateInput{Env: env, Now: time.Now()})
	if err != nil || !d.Fail || !strings.Contains(d.Reason, "cannot read commit statuses") {
		t.Fatalf("health = %+v, %v", d, err)
	}
}
