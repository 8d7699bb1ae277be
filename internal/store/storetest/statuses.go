package storetest

import (
	"context"
	"testing"

	"github.com/ferryhq/ferry/internal/store"
)

func testStatuses(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()

	t.Run("every report is kept, per repository and commit, oldest first", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		reports := []store.CommitStatus{
			{Repository: "env", SHA: "abc", Context: "argocd/payments-dev", State: "pending", CreatedAt: at(0)},
			{Repository: "env", SHA: "abc", Context: "argocd/payments-dev", State: "success", Description: "Healthy",
				TargetURL: "https://argocd.example/applications/payments-dev", CreatedAt: at(1)},
			{Repository: "other", SHA: "abc", Context: "argocd/payments-dev", State: "failure", CreatedAt: at(2)},
			{Repository: "env", SHA: "def", Context: "argocd/payments-dev", State: "error", CreatedAt: at(3)},
			{Repository: "env", SHA: "abc", Context: "argocd/payments-dev", State: "success", CreatedAt: at(4)},
		}
		for _, r := range reports {
			if err := s.AddStatus(ctx, r); err != nil {
				t.Fatalf("AddStatus(%+v) = %v", r, err)
			}
		}
		got, err := s.Statuses(ctx, "env", "abc")
		if err != nil {
			t.Fatal(err)
		}
		want := []store.CommitStatus{reports[0], reports[1], reports[4]}
		for i := range want {
			want[i].CreatedAt = store.Time(want[i].CreatedAt)
		}
		equal(t, "statuses of env abc", got, want)
		none, err := s.Statuses(ctx, "env", "unknown")
		if err != nil || len(none) != 0 {
			t.Errorf("statuses of an unknown commit = %v, %v; want none", none, err)
		}
	})

	t.Run("an unknown state is refused", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		if err := s.AddStatus(ctx, store.CommitStatus{Repository: "env", SHA: "abc", Context: "c", State: "green", CreatedAt: at(0)}); err == nil {
			t.Error("AddStatus with state green succeeded")
		}
	})
}
