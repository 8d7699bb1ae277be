package promotion_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// hostedPRs stands for a Git host's provider where only its presence
// matters: the engine must not call it.
type hostedPRs struct{ t *testing.T }

func (h hostedPRs) Ensure(context.Context, promotion.PRSpec) (promotion.PR, error) {
	h.t.Error("Ensure called")
	return promotion.PR{}, derrors.New(derrors.Unavailable, "unexpected", "unexpected call")
}

func (h hostedPRs) Get(context.Context, int) (promotion.PR, error) {
	h.t.Error("Get called")
	return promotion.PR{}, derrors.New(derrors.Unavailable, "unexpected", "unexpected call")
}

func (h hostedPRs) Merge(context.Context, int, string) (promotion.PR, error) {
	h.t.Error("Merge called")
	return promotion.PR{}, derrors.New(derrors.Unavailable, "unexpected", "unexpected call")
}

func (h hostedPRs) Close(context.Context, int, string) error {
	h.t.Error("Close called")
	return derrors.New(derrors.Unavailable, "unexpected", "unexpected call")
}

func (h hostedPRs) Parse(promotion.Headers, []byte) (promotion.Event, error) {
	return promotion.Event{Kind: promotion.EventIgnored}, nil
}

// TestCancelHostedOpenedMeanwhile: a cancel asked while a worker holds a
// pending promotion is judged on the state it would write over: if the
// worker opened the pull request on the Git host meanwhile, the cancel is
// refused (close it there) instead of rejecting a promotion whose pull
// request stays open.
func TestCancelHostedOpenedMeanwhile(t *testing.T) {
	f := newFixture(t, setup{providers: map[string]promotion.Provider{"envs": hostedPRs{t}}})
	ctx := context.Background()
	r := f.report("payments", "1.5.0")
	held := f.promotion(r.Promotion.ID)
	held.LeaseOwner, held.LeaseUntil = "other-worker", time.Now().Add(time.Minute)
	if err := f.store.UpdatePromotion(ctx, "", held); err != nil {
		t.Fatal(err)
	}

	type result struct {
		p   promotion.Promotion
		err error
	}
	got := make(chan result, 1)
	go func() {
		p, err := f.eng.Cancel(ctx, r.Promotion.ID, "rm", "")
		got <- result{p, err}
	}()
	// The cancel may or may not have read the promotion yet: either way
	// it must judge the state the worker leaves.
	time.Sleep(100 * time.Millisecond)
	opened := held
	opened.State, opened.PRNumber, opened.PRBranch = promotion.StatePROpen, 7, "ferry/payments/dev"
	opened.LeaseOwner, opened.LeaseUntil = "", time.Time{}
	if err := f.store.UpdatePromotion(ctx, "other-worker", opened); err != nil {
		t.Fatal(err)
	}

	res := <-got
	if de, ok := derrors.As(res.err); !ok || de.Code != "hosted_pull_request" {
		t.Fatalf("Cancel = %s, %v; want hosted_pull_request", res.p.State, res.err)
	}
	if p := f.promotion(r.Promotion.ID); p.State != promotion.StatePROpen {
		t.Errorf("promotion is %s (%s), want still pr-open", p.State, p.Reason)
	}
}
