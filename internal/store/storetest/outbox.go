package storetest

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

func testOutbox(t *testing.T, open func(*testing.T) Store) {
	t.Parallel()
	ctx := context.Background()
	now := at(100)
	const lease = time.Minute
	everywhere := func(store.Event) []string { return []string{"ops-webhook", "slack"} }

	// setup stores a release with one promotion, then moves it to
	// committed: three events (the report accepted, pending, committed)
	// recorded with the changes.
	setup := func(t *testing.T) (Store, promotion.Promotion) {
		s := open(t)
		r := rel("rel-1", "payments", "v1", at(0))
		p := prom("prm-1", r, "dev", promotion.StatePending, at(1))
		mustCreateRelease(t, s, r, p)
		p.State, p.UpdatedAt = promotion.StateCommitted, at(2)
		if err := s.UpdatePromotion(ctx, "", p); err != nil {
			t.Fatalf("UpdatePromotion() = %v", err)
		}
		// A change of reason alone is no event.
		p.Reason, p.UpdatedAt = "noted", at(3)
		if err := s.UpdatePromotion(ctx, "", p); err != nil {
			t.Fatalf("UpdatePromotion() = %v", err)
		}
		return s, p
	}
	dispatch := func(t *testing.T, s Store, route store.Router) int {
		t.Helper()
		n, err := s.DispatchEvents(ctx, now, 100, route)
		if err != nil {
			t.Fatalf("DispatchEvents() = %v", err)
		}
		return n
	}
	claim := func(t *testing.T, s Store, owner string, when time.Time) []store.Delivery {
		t.Helper()
		ds, err := s.ClaimDeliveries(ctx, owner, when, lease, 100)
		if err != nil {
			t.Fatalf("ClaimDeliveries(%s) = %v", owner, err)
		}
		return ds
	}

	t.Run("each state change is one event, dispatched once to each routed destination", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(t)
		if n := dispatch(t, s, everywhere); n != 3 {
			t.Fatalf("dispatched %d events, want 3 (report.accepted, pending, committed)", n)
		}
		if n := dispatch(t, s, everywhere); n != 0 {
			t.Errorf("dispatched %d events again, want 0", n)
		}
		ds := claim(t, s, "sender-a", now)
		if len(ds) != 6 {
			t.Fatalf("claimed %d deliveries, want 6 (3 events × 2 destinations)", len(ds))
		}
		var kinds []string
		for _, d := range ds {
			env := "dev"
			if d.Event.Kind == store.EventReportAccepted {
				env = "" // a report names no environment
				if d.Event.Detail.ReleaseID != "rel-1" || d.Event.Detail.Tag != "v1" {
					t.Errorf("report.accepted detail %+v", d.Event.Detail)
				}
			}
			if d.ID != store.DeliveryID(d.Event.ID, d.Destination) || d.Attempts != 1 || d.LeaseOwner != "sender-a" || d.Event.PromotionID != "prm-1" ||
				d.Event.Application != "payments" || d.Event.Environment != env {
				t.Errorf("delivery %+v", d)
			}
			kinds = append(kinds, string(d.Event.Kind)+"→"+d.Destination)
		}
		sort.Strings(kinds)
		equal(t, "deliveries", kinds, []string{"committed→ops-webhook", "committed→slack", "pending→ops-webhook", "pending→slack",
			"report.accepted→ops-webhook", "report.accepted→slack"})
		if again := claim(t, s, "sender-b", now); len(again) != 0 {
			t.Errorf("a second sender claimed %d leased deliveries", len(again))
		}
		// The lease runs out: another sender takes them over, as attempt 2.
		over := claim(t, s, "sender-b", now.Add(lease))
		if len(over) != 6 || over[0].Attempts != 2 {
			t.Fatalf("after the lease: %d deliveries, attempts %d", len(over), over[0].Attempts)
		}
		if err := s.FinishDelivery(ctx, "sender-a", over[0].ID, now, store.Outcome{State: store.DeliveryDelivered}); !errors.Is(err, derrors.ErrConflict) {
			t.Errorf("FinishDelivery by the old holder = %v, want ErrConflict", err)
		}
	})

	t.Run("a new waiting reason and new approvers are events; a repeat is none", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r := rel("rel-1", "payments", "v1", at(0))
		p := prom("prm-1", r, "prod", promotion.StatePending, at(1))
		mustCreateRelease(t, s, r, p)
		steps := []struct {
			state     promotion.State
			reason    string
			approvers []string
		}{
			{promotion.StateWaiting, "soak: 1h in stage", nil},
			{promotion.StateWaiting, "soak: 1h in stage", nil}, // looked at again: nothing new
			{promotion.StateWaiting, "approvals: 0 of 2", nil},
			{promotion.StatePROpen, "", nil},
			{promotion.StatePROpen, "", []string{"alice"}},
			{promotion.StatePROpen, "", []string{"alice"}},
			{promotion.StatePROpen, "", []string{"alice", "bob"}},
		}
		for i, st := range steps {
			p.State, p.Reason, p.Approvers, p.UpdatedAt = st.state, st.reason, st.approvers, at(2+i)
			if err := s.UpdatePromotion(ctx, "", p); err != nil {
				t.Fatalf("UpdatePromotion(%d) = %v", i, err)
			}
		}
		if err := s.RecordEvent(ctx, store.Event{Application: "payments", Kind: store.EventReportRefused, At: at(20), Actor: "ci",
			Reason: "digest_mismatch: the registry serves another digest", Detail: store.EventDetail{Tag: "v2", Image: "ghcr.io/acme/payments"}}); err != nil {
			t.Fatalf("RecordEvent(refused) = %v", err)
		}
		var got []string
		dispatch(t, s, func(ev store.Event) []string {
			got = append(got, ev.Kind+"|"+ev.PromotionID+"|"+ev.Environment+"|"+ev.Actor+"|"+ev.Reason+"|"+strings.Join(ev.Detail.Approvers, ",")+"|"+ev.Detail.Tag)
			return nil
		})
		equal(t, "events", got, []string{
			"report.accepted|prm-1||" + r.ReportedBy + "|||v1",
			"pending|prm-1|prod|" + store.DefaultActor + "|||",
			"waiting|prm-1|prod|" + store.DefaultActor + "|soak: 1h in stage||",
			"waiting|prm-1|prod|" + store.DefaultActor + "|approvals: 0 of 2||",
			"pr-open|prm-1|prod|" + store.DefaultActor + "|||",
			"approved|prm-1|prod|alice||alice|",
			"approved|prm-1|prod|bob||bob|",
			"report.refused|||ci|digest_mismatch: the registry serves another digest||v2",
		})
	})

	t.Run("an event routed nowhere is dropped", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(t)
		dispatch(t, s, func(store.Event) []string { return nil })
		if ds := claim(t, s, "sender-a", now); len(ds) != 0 {
			t.Errorf("claimed %d deliveries", len(ds))
		}
	})

	t.Run("retry, dead letter, list and redeliver with the same id", func(t *testing.T) {
		t.Parallel()
		s, _ := setup(t)
		dispatch(t, s, func(ev store.Event) []string {
			if ev.Kind == string(promotion.StateCommitted) {
				return []string{"slack"}
			}
			return nil
		})
		d := claim(t, s, "sender-a", now)[0]
		retryAt := now.Add(30 * time.Second)
		if err := s.FinishDelivery(ctx, "sender-a", d.ID, now, store.Outcome{State: store.DeliveryPending, NextAttemptAt: retryAt, Error: "503 from the destination"}); err != nil {
			t.Fatalf("FinishDelivery(retry) = %v", err)
		}
		if ds := claim(t, s, "sender-a", now.Add(time.Second)); len(ds) != 0 {
			t.Fatalf("claimed before its retry time: %+v", ds)
		}
		d = claim(t, s, "sender-a", retryAt)[0]
		if d.Attempts != 2 || d.LastError != "503 from the destination" {
			t.Errorf("retried delivery: attempts %d, last error %q", d.Attempts, d.LastError)
		}
		// A claim beyond the limit (the one before was cut short by a
		// stop) is recorded as the attempts allowed, not the claims.
		if err := s.FinishDelivery(ctx, "sender-a", d.ID, retryAt, store.Outcome{State: store.DeliveryDead, Error: "gave up after 2 attempts", Attempts: 1}); err != nil {
			t.Fatalf("FinishDelivery(dead) = %v", err)
		}
		dead, err := s.ListDeliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if err != nil || len(dead) != 1 || dead[0].ID != d.ID || dead[0].LastError != "gave up after 2 attempts" || dead[0].Attempts != 1 {
			t.Fatalf("ListDeliveries(dead) = %+v, %v", dead, err)
		}
		if ds := claim(t, s, "sender-a", retryAt.Add(time.Hour)); len(ds) != 0 {
			t.Fatalf("a dead delivery was claimed: %+v", ds)
		}
		re, err := s.Redeliver(ctx, d.ID, retryAt)
		if err != nil || re.ID != d.ID || re.State != store.DeliveryPending || re.Attempts != 0 {
			t.Fatalf("Redeliver() = %+v, %v", re, err)
		}
		d2 := claim(t, s, "sender-b", retryAt)[0]
		if d2.ID != d.ID {
			t.Errorf("redelivery id %s, want %s", d2.ID, d.ID)
		}
		if err := s.FinishDelivery(ctx, "sender-b", d2.ID, retryAt, store.Outcome{State: store.DeliveryDelivered}); err != nil {
			t.Fatalf("FinishDelivery(delivered) = %v", err)
		}
		got, err := s.GetDelivery(ctx, d.ID)
		if err != nil || got.State != store.DeliveryDelivered || got.LeaseOwner != "" {
			t.Errorf("GetDelivery() = %+v, %v", got, err)
		}
		if _, err := s.Redeliver(ctx, "dlv_missing", now); !errors.Is(err, derrors.ErrNotFound) {
			t.Errorf("Redeliver(missing) = %v, want ErrNotFound", err)
		}
	})

	t.Run("concurrent senders never hold the same delivery", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		r := rel("rel-1", "payments", "v1", at(0))
		var ps []promotion.Promotion
		for i := range 20 {
			ps = append(ps, prom("prm-"+string(rune('a'+i)), r, "env-"+string(rune('a'+i)), promotion.StatePending, at(i)))
		}
		mustCreateRelease(t, s, r, ps...)
		dispatch(t, s, everywhere)
		var mu sync.Mutex
		seen := map[string]string{}
		var wg sync.WaitGroup
		for _, owner := range []string{"a", "b", "c", "d"} {
			wg.Go(func() {
				for {
					ds, err := s.ClaimDeliveries(ctx, owner, now, lease, 3)
					if err != nil {
						t.Errorf("ClaimDeliveries(%s) = %v", owner, err)
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						if prev, ok := seen[d.ID]; ok {
							t.Errorf("%s claimed by %s and %s", d.ID, prev, owner)
						}
						seen[d.ID] = owner
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 42 {
			t.Errorf("claimed %d deliveries, want 42 (21 events: the report and 20 promotions, × 2)", len(seen))
		}
	})
}
