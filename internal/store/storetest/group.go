package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// testConcurrentReports checks CreateRelease under a burst of concurrent
// callers, which the stores commit in groups: every call answered created
// is stored with its promotions, a call that fails stores nothing and fails
// no other, and duplicates of one image find the one stored release.
func testConcurrentReports(t *testing.T, open func(*testing.T) Store) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	taken := rel("rel-taken", "taken", "v1", at(0))
	mustCreateRelease(t, s, taken, prom("prm-taken", taken, "dev", promotion.StatePending, at(0)))

	const n = 120
	type answer struct {
		got     promotion.Release
		created bool
		err     error
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rel(fmt.Sprintf("rel-%03d", i), fmt.Sprintf("app-%02d", i%40), fmt.Sprintf("v%d", i), at(i))
			p := prom(fmt.Sprintf("prm-%03d", i), r, "dev", promotion.StatePending, at(i))
			switch {
			case i%10 == 3:
				// Its promotion's id is taken: the release must not be stored either.
				p.ID = "prm-taken"
			case i%10 == 7:
				// The same image as release i-1: it finds that one (or that one
				// finds it), whichever commits first.
				r = rel(fmt.Sprintf("rel-%03d", i), fmt.Sprintf("app-%02d", (i-1)%40), fmt.Sprintf("v%d", i-1), at(i))
				p = prom(fmt.Sprintf("prm-%03d", i), r, "dev", promotion.StatePending, at(i))
			}
			got, created, err := s.CreateRelease(ctx, r, []promotion.Promotion{p})
			answers[i] = answer{got, created, err}
		}()
	}
	wg.Wait()

	for i, a := range answers {
		id := fmt.Sprintf("rel-%03d", i)
		switch {
		case i%10 == 3:
			if !errors.Is(a.err, derrors.ErrConflict) {
				t.Errorf("%s with a taken promotion id: err = %v, want ErrConflict", id, a.err)
			}
			if _, err := s.GetRelease(ctx, id); !errors.Is(err, derrors.ErrNotFound) {
				t.Errorf("%s failed but GetRelease = %v, want not found", id, err)
			}
		case i%10 == 6 || i%10 == 7:
			if a.err != nil {
				t.Errorf("%s: err = %v", id, a.err)
				continue
			}
			other := answers[i-1]
			if i%10 == 6 {
				other = answers[i+1]
			}
			if a.created == other.created || (!a.created && a.got.ID != other.got.ID) {
				t.Errorf("%s and its duplicate: created %v/%v, ids %s/%s; want one created, the other finding it",
					id, a.created, other.created, a.got.ID, other.got.ID)
			}
		default:
			if a.err != nil || !a.created || a.got.ID != id {
				t.Errorf("%s: created %v, id %s, err %v; want created", id, a.created, a.got.ID, a.err)
				continue
			}
		}
		if a.err == nil && a.created {
			if _, err := s.GetRelease(ctx, id); err != nil {
				t.Errorf("%s answered created but GetRelease = %v", id, err)
			}
			if _, err := s.GetPromotion(ctx, fmt.Sprintf("prm-%03d", i)); err != nil {
				t.Errorf("%s answered created but its promotion: %v", id, err)
			}
		}
	}
	if got := mustGetPromotion(t, s, "prm-taken"); got.ReleaseID != taken.ID {
		t.Errorf("prm-taken now belongs to %s", got.ReleaseID)
	}
}
