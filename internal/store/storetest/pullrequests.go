package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/store"
)

func testPullRequests(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()
	pr := func(repo, head string) store.PullRequest {
		return store.PullRequest{Repository: repo, Head: head, Base: "main", HeadSHA: "sha-1", State: "open",
			CreatedAt: at(0), UpdatedAt: at(0)}
	}

	t.Run("numbers count per repository and are never reused", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var got []int
		for _, p := range []store.PullRequest{pr("env", "ferry/a/prod"), pr("env", "ferry/b/prod"), pr("other", "ferry/a/prod"), pr("env", "ferry/a/prod")} {
			c, err := s.CreatePullRequest(ctx, p)
			if err != nil {
				t.Fatalf("CreatePullRequest(%s %s) = %v", p.Repository, p.Head, err)
			}
			got = append(got, c.Number)
		}
		if want := []int{1, 2, 1, 3}; !slices.Equal(got, want) {
			t.Errorf("numbers = %v, want %v", got, want)
		}
		read, err := s.GetPullRequest(ctx, "env", 2)
		if err != nil {
			t.Fatalf("GetPullRequest(env, 2) = %v", err)
		}
		want := pr("env", "ferry/b/prod")
		want.Number, want.CreatedAt, want.UpdatedAt = 2, store.Time(at(0)), store.Time(at(0))
		equal(t, "read back", read, want)
		if _, err := s.GetPullRequest(ctx, "env", 4); !errors.Is(err, derrors.ErrNotFound) {
			t.Errorf("GetPullRequest(env, 4) = %v, want ErrNotFound", err)
		}
	})

	t.Run("the open one of a head is found until it ends", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		c, err := s.CreatePullRequest(ctx, pr("env", "ferry/a/prod"))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.OpenPullRequest(ctx, "env", "ferry/a/prod"); err != nil || got.Number != c.Number {
			t.Fatalf("OpenPullRequest() = #%d, %v; want #%d", got.Number, err, c.Number)
		}
		c.State, c.MergeSHA, c.MergedBy, c.HeadSHA, c.UpdatedAt = "merged", "sha-m", "alice", "sha-2", at(5)
		if err := s.UpdatePullRequest(ctx, c); err != nil {
			t.Fatalf("UpdatePullRequest() = %v", err)
		}
		if _, err := s.OpenPullRequest(ctx, "env", "ferry/a/prod"); !errors.Is(err, derrors.ErrNotFound) {
			t.Errorf("OpenPullRequest() after the merge = %v, want ErrNotFound", err)
		}
		got, err := s.GetPullRequest(ctx, "env", c.Number)
		if err != nil {
			t.Fatal(err)
		}
		c.UpdatedAt = store.Time(at(5))
		equal(t, "merged", got, c)
		c.Number = 9
		if err := s.UpdatePullRequest(ctx, c); !errors.Is(err, derrors.ErrNotFound) {
			t.Errorf("UpdatePullRequest(#9) = %v, want ErrNotFound", err)
		}
	})

	t.Run("approvals count once per person and head, in order", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		for i, a := range []struct {
			head, actor string
			added       bool
		}{
			{"sha-1", "bob", true}, {"sha-1", "alice", true}, {"sha-1", "bob", false}, {"sha-2", "bob", true},
		} {
			added, err := s.AddApproval(ctx, "env", 1, a.head, a.actor, at(i))
			if err != nil || added != a.added {
				t.Errorf("AddApproval(%s, %s) = %v, %v; want %v", a.head, a.actor, added, err, a.added)
			}
		}
		got, err := s.Approvals(ctx, "env", 1, "sha-1")
		if err != nil || len(got) != 2 || got[0].Actor != "bob" || got[1].Actor != "alice" {
			t.Errorf("Approvals(sha-1) = %v, %v; want [bob alice]", got, err)
		}
		// Each keeps the time of its first approval (bob's second is no
		// new approval).
		if len(got) == 2 && (!got[0].At.Equal(store.Time(at(0))) || !got[1].At.Equal(store.Time(at(1)))) {
			t.Errorf("Approvals(sha-1) at %v, %v; want %v, %v", got[0].At, got[1].At, at(0), at(1))
		}
		got, err = s.Approvals(ctx, "env", 1, "sha-3")
		if err != nil || len(got) != 0 {
			t.Errorf("Approvals(sha-3) = %v, %v; want none", got, err)
		}
	})
}
