package promotion_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// healthAndSignaturePipeline: stage has a health gate that rolls dev back
// on failure, and a signature policy the unsigned test images never meet,
// so every promotion into stage fails at its supply-chain gate, not its
// health gate.
const healthAndSignaturePipeline = `environments:
  - name: dev
  - name: stage
    from: dev
    gates:
      signature: {keys: [{file: keys/ci.pub}]}
      health: {statuses: ["argocd/{app}-{from}"], timeout: 1h, onFailure: rollback}
applications:
  - name: payments
    image: REGISTRY/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`

// TestRollbackOnlyWhenTheHealthGateFails: onFailure: rollback belongs to
// the health gate; a promotion failed by another gate (here the signature
// policy) leaves the from environment as it is.
func TestRollbackOnlyWhenTheHealthGateFails(t *testing.T) {
	f := newFixture(t, setup{supplyChain: true, files: map[string]string{
		"ferry.yaml": healthAndSignaturePipeline, "keys/ci.pub": newSigningKey(t).pem,
	}})
	f.run()

	first := f.report("payments", "1.0.0")
	if p := f.wait(first.Promotion.ID); p.State != promotion.StateCommitted {
		t.Fatalf("1.0.0 into dev: %s %s", p.State, p.Reason)
	}
	second := f.report("payments", "2.0.0")
	if p := f.wait(second.Promotion.ID); p.State != promotion.StateCommitted {
		t.Fatalf("2.0.0 into dev: %s %s", p.State, p.Reason)
	}
	var stage promotion.Promotion
	eventually(t, "2.0.0 failing in stage", func() bool {
		ps := f.promotionsOf(second.Release.ID)["stage"]
		if len(ps) == 0 || ps[0].State != promotion.StateFailed {
			return false
		}
		stage = ps[0]
		return true
	})
	if !strings.Contains(stage.Reason, "signature") {
		t.Fatalf("stage failed with %q, want the signature policy's reason", stage.Reason)
	}
	// The worker finishes what it started on the failure before it stops.
	f.stop()
	if _, err := f.store.GetPromotion(context.Background(), stage.ID+"-rollback"); err == nil {
		t.Errorf("a failed signature policy rolled dev back (promotion %s-rollback exists)", stage.ID)
	}
	page, err := f.store.ListPromotions(context.Background(), promotion.PromotionFilter{Application: "payments", Environment: "dev", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range page.Items {
		if p.RequestedBy == promotion.RollbackActor {
			t.Errorf("automatic rollback %s into dev after a non-health failure: %s", p.ID, p.Note)
		}
	}
}

// TestHealthGateFailureRollsBackOnce: the counterpart, with the same
// pipeline minus the signature policy: a red status on the dev commit fails
// stage and rolls dev back to the previous release, once.
func TestHealthGateFailureRollsBackOnce(t *testing.T) {
	pipeline := strings.Replace(healthAndSignaturePipeline, "      signature: {keys: [{file: keys/ci.pub}]}\n", "", 1)
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": pipeline}})
	f.run()
	ctx := context.Background()

	first := f.report("payments", "1.0.0")
	f.wait(first.Promotion.ID)
	second := f.report("payments", "2.0.0")
	dev := f.wait(second.Promotion.ID)
	eventually(t, "2.0.0 waiting for health in stage", func() bool {
		ps := f.promotionsOf(second.Release.ID)["stage"]
		return len(ps) > 0 && ps[0].State == promotion.StateWaiting
	})
	if err := f.store.AddStatus(ctx, store.CommitStatus{Repository: "envs", SHA: dev.CommitSHA, Context: "argocd/payments-dev",
		State: promotion.StatusFailure, Description: "Degraded", CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.WakeFor(ctx, "envs", promotion.Event{Kind: promotion.EventChecks, HeadSHA: dev.CommitSHA}); err != nil {
		t.Fatal(err)
	}
	var stage promotion.Promotion
	eventually(t, "2.0.0 failing in stage", func() bool {
		ps := f.promotionsOf(second.Release.ID)["stage"]
		stage = ps[0]
		return stage.State == promotion.StateFailed
	})
	eventually(t, "the rollback of dev committed", func() bool {
		rb, err := f.store.GetPromotion(ctx, stage.ID+"-rollback")
		return err == nil && rb.State == promotion.StateCommitted
	})
	f.stop()
	rb := f.promotion(stage.ID + "-rollback")
	if rb.ReleaseID != first.Release.ID || rb.RequestedBy != promotion.RollbackActor {
		t.Errorf("rollback = %s by %s, want %s by %s", rb.ReleaseID, rb.RequestedBy, first.Release.ID, promotion.RollbackActor)
	}
	page, err := f.store.ListPromotions(ctx, promotion.PromotionFilter{Application: "payments", Environment: "dev", Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range page.Items {
		if p.RequestedBy == promotion.RollbackActor {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d automatic rollbacks into dev, want 1", n)
	}
}
