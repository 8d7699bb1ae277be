package promotion_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

const pinPipeline = `environments:
  - name: dev
  - name: stage
    from: dev
    promotion: commit
  - name: prod
    from: stage
    promotion: commit
applications:
  - name: payments
    image: REGISTRY/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`

// through reports app:tag and waits until it is committed in every
// environment of pinPipeline.
func (f *fixture) through(tag string) promotion.Reported {
	f.t.Helper()
	r := f.report("payments", tag)
	for _, env := range []string{"dev", "stage", "prod"} {
		f.awaitState(r.Release.ID, env, promotion.StateCommitted)
	}
	return r
}

func (f *fixture) prodFile() string {
	return f.git("show", "main:envs/prod/payments/kustomization.yaml")
}

// TestRollbackPinsUntilUnpin: a rollback pins prod at the older release;
// the next build goes through dev and stage but waits before prod with
// the pin's reason, and unpinning lets it through.
func TestRollbackPinsUntilUnpin(t *testing.T) {
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": pinPipeline}})
	ctx := context.Background()
	f.run()
	good := f.through("1.0.0")
	f.through("1.0.1")

	rb, err := f.eng.Promote(ctx, promotion.PromoteRequest{Application: "payments", Environment: "prod",
		Release: "1.0.0", Reason: "1.0.1 breaks checkout"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if p := f.wait(rb.ID); p.State != promotion.StateCommitted {
		t.Fatalf("rollback: %s %s", p.State, p.Reason)
	}
	pins, err := f.eng.Pins(ctx, promotion.PinFilter{Application: "payments"})
	if err != nil || len(pins) != 1 {
		t.Fatalf("pins after the rollback = %+v, %v; want one", pins, err)
	}
	pin := pins[0]
	if pin.Environment != "prod" || pin.ReleaseID != good.Release.ID || pin.PromotionID != rb.ID || pin.PinnedBy != "alice" ||
		pin.Reason != "1.0.1 breaks checkout" || !pin.Active {
		t.Errorf("pin = %+v", pin)
	}

	next := f.report("payments", "1.0.2")
	f.awaitState(next.Release.ID, "stage", promotion.StateCommitted)
	held := f.awaitState(next.Release.ID, "prod", promotion.StateWaiting)
	want := "pinned by alice at " + pin.CreatedAt.Format(time.RFC3339) + ": 1.0.1 breaks checkout"
	if held.Reason != want {
		t.Errorf("held prod promotion's reason = %q, want %q", held.Reason, want)
	}
	time.Sleep(200 * time.Millisecond) // ten polls: it must stay held
	if p := f.promotion(held.ID); p.State != promotion.StateWaiting || !strings.Contains(f.prodFile(), good.Release.Digest) {
		t.Fatalf("the pinned prod moved: %s %s", p.State, p.Reason)
	}
	st, err := f.eng.ApplicationStatus(ctx, "payments")
	if err != nil {
		t.Fatal(err)
	}
	if prod := st.Environments[2]; prod.Pin == nil || prod.Pin.ID != pin.ID {
		t.Errorf("status of prod shows pin %+v, want %s", prod.Pin, pin.ID)
	}

	if _, err := f.eng.Unpin(ctx, "payments", "stage", "bob", ""); codeOf(err) != "not_pinned" {
		t.Errorf("Unpin of an unpinned environment = %v, want not_pinned", err)
	}
	ended, err := f.eng.Unpin(ctx, "payments", "prod", "bob", "fixed in 1.0.2")
	if err != nil {
		t.Fatal(err)
	}
	if ended.Active || ended.EndedBy != "bob" || ended.EndReason != "fixed in 1.0.2" {
		t.Errorf("ended pin = %+v", ended)
	}
	f.awaitState(next.Release.ID, "prod", promotion.StateCommitted)
	if !strings.Contains(f.prodFile(), next.Release.Digest) {
		t.Errorf("prod lacks 1.0.2 after unpin:\n%s", f.prodFile())
	}
	all, err := f.eng.Pins(ctx, promotion.PinFilter{Application: "payments", Ended: true})
	if err != nil || len(all) != 1 || all[0].Active {
		t.Errorf("pin history = %+v, %v", all, err)
	}
}

// TestExplicitPromotionMovesThePin: promoting a release explicitly into a
// pinned environment goes through and pins it there instead; the next
// automatic promotion waits on the new pin.
func TestExplicitPromotionMovesThePin(t *testing.T) {
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": pinPipeline}})
	ctx := context.Background()
	f.run()
	f.through("1.0.0")
	f.through("1.0.1")
	rb, err := f.eng.Promote(ctx, promotion.PromoteRequest{Application: "payments", Environment: "prod", Release: "1.0.0"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	f.wait(rb.ID)
	fix := f.report("payments", "1.0.2")
	f.awaitState(fix.Release.ID, "prod", promotion.StateWaiting)

	pv, err := f.eng.PreviewPromote(ctx, promotion.PromoteRequest{Application: "payments", Environment: "prod", Release: "1.0.2"}, "bob")
	if err != nil || pv.Held {
		t.Errorf("preview of an explicit promotion into the pinned prod: held %v (%s), %v", pv.Held, pv.Reason, err)
	}
	p, err := f.eng.Promote(ctx, promotion.PromoteRequest{Application: "payments", Environment: "prod", Release: "1.0.2"}, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.wait(p.ID); got.State != promotion.StateCommitted {
		t.Fatalf("explicit promotion: %s %s", got.State, got.Reason)
	}
	if !strings.Contains(f.prodFile(), fix.Release.Digest) {
		t.Errorf("prod lacks 1.0.2:\n%s", f.prodFile())
	}
	pins, err := f.eng.Pins(ctx, promotion.PinFilter{Application: "payments", Environment: "prod"})
	if err != nil || len(pins) != 1 || pins[0].ReleaseID != fix.Release.ID || pins[0].PinnedBy != "bob" ||
		pins[0].Reason != "promoted 1.0.2 explicitly" {
		t.Fatalf("pins after the explicit promotion = %+v, %v", pins, err)
	}
	later := f.report("payments", "1.0.3")
	if held := f.awaitState(later.Release.ID, "prod", promotion.StateWaiting); !strings.HasPrefix(held.Reason, "pinned by bob at ") {
		t.Errorf("1.0.3 into prod: %q", held.Reason)
	}
}

// TestPinnedEnvironmentIsTheSourceDownstream: stage rolled back to 1.0.0
// runs 1.0.0, so 1.0.1, which ran in stage before, does not go on to prod
// from it; the pinned release does.
func TestPinnedEnvironmentIsTheSourceDownstream(t *testing.T) {
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": pinPipeline}})
	ctx := context.Background()
	f.run()
	f.through("1.0.0")
	f.through("1.0.1")
	rb, err := f.eng.Promote(ctx, promotion.PromoteRequest{Application: "payments", Environment: "stage", Release: "1.0.0"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	f.wait(rb.ID)
	_, err = f.eng.Promote(ctx, promotion.PromoteRequest{Application: "payments", Environment: "prod", Release: "1.0.1"}, "alice")
	if de, ok := derrors.As(err); !ok || de.Code != "skips_environment" || !strings.Contains(de.Detail, "stage is pinned at 1.0.0") {
		t.Errorf("promoting 1.0.1 from the pinned stage = %v, want skips_environment naming the pin", err)
	}
	if _, err := f.eng.Promote(ctx, promotion.PromoteRequest{Application: "payments", Environment: "prod", Release: "1.0.0"}, "alice"); err != nil {
		t.Errorf("promoting the pinned release on from stage = %v", err)
	}
}

const healthPipeline = `environments:
  - name: dev
  - name: stage
    from: dev
    promotion: commit
    gates:
      health: {statuses: ["argocd/{app}-{from}"], timeout: 1h, onFailure: rollback}
applications:
  - name: payments
    image: REGISTRY/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`

// TestHealthRollbackPins: a red status fails the stage promotion and rolls
// dev back to the previous release, pinned there with a reason naming the
// health gate; the next build waits in dev until unpinned.
func TestHealthRollbackPins(t *testing.T) {
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": healthPipeline},
		cfg: promotion.Config{ReconcileInterval: 50 * time.Millisecond}})
	ctx := context.Background()
	f.run()
	status := func(sha, state string) {
		t.Helper()
		if err := f.store.AddStatus(ctx, store.CommitStatus{Repository: "envs", SHA: sha, Context: "argocd/payments-dev",
			State: state, Description: "sync " + state, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	good := f.report("payments", "1.0.0")
	status(f.wait(good.Promotion.ID).CommitSHA, promotion.StatusSuccess)
	f.awaitState(good.Release.ID, "stage", promotion.StateCommitted)

	bad := f.report("payments", "1.0.1")
	status(f.wait(bad.Promotion.ID).CommitSHA, promotion.StatusFailure)
	failed := f.awaitState(bad.Release.ID, "stage", promotion.StateFailed)
	eventually(t, "the automatic rollback", func() bool {
		_, err := f.store.GetPromotion(ctx, failed.ID+"-rollback")
		return err == nil
	})
	rb := f.wait(failed.ID + "-rollback")
	if rb.State != promotion.StateCommitted || rb.ReleaseID != good.Release.ID {
		t.Fatalf("rollback = %+v", rb)
	}
	pins, err := f.eng.Pins(ctx, promotion.PinFilter{Application: "payments", Environment: "dev"})
	if err != nil || len(pins) != 1 {
		t.Fatalf("pins = %+v, %v", pins, err)
	}
	if p := pins[0]; p.ReleaseID != good.Release.ID || p.PinnedBy != promotion.RollbackActor || p.PromotionID != rb.ID ||
		!strings.Contains(p.Reason, "the health gate of stage failed") || !strings.Contains(p.Reason, "sync failure") {
		t.Errorf("pin = %+v", p)
	}

	next := f.report("payments", "1.0.2")
	held := f.awaitState(next.Release.ID, "dev", promotion.StateWaiting)
	if !strings.HasPrefix(held.Reason, "pinned by ferry:rollback at ") {
		t.Errorf("1.0.2 into dev: %q", held.Reason)
	}
	if _, err := f.eng.Unpin(ctx, "payments", "dev", "alice", ""); err != nil {
		t.Fatal(err)
	}
	f.awaitState(next.Release.ID, "dev", promotion.StateCommitted)
}

// TestOnlyTheHealthGateRollsBack: with onFailure: rollback, a promotion
// another gate fails (the image lacks the signature stage requires) rolls
// nothing back and pins nothing.
func TestOnlyTheHealthGateRollsBack(t *testing.T) {
	key := newSigningKey(t)
	pipeline := strings.Replace(healthPipeline, "    gates:\n", "    gates:\n      signature: {keys: [{file: keys/release.pub}]}\n", 1)
	f := newFixture(t, setup{supplyChain: true, files: map[string]string{"ferry.yaml": pipeline, "keys/release.pub": key.pem},
		cfg: promotion.Config{ReconcileInterval: 50 * time.Millisecond}})
	ctx := context.Background()
	f.run()
	first := f.report("payments", "1.0.0")
	f.awaitState(first.Release.ID, "stage", promotion.StateFailed)
	second := f.report("payments", "1.0.1")
	failed := f.awaitState(second.Release.ID, "stage", promotion.StateFailed)
	if !strings.Contains(failed.Reason, "signature") {
		t.Errorf("stage failed with %q, want the signature gate's reason", failed.Reason)
	}
	time.Sleep(200 * time.Millisecond) // a rollback would be recorded by now
	if _, err := f.store.GetPromotion(ctx, failed.ID+"-rollback"); !errors.Is(err, derrors.ErrNotFound) {
		t.Errorf("a signature failure rolled dev back: %v", err)
	}
	if pins, err := f.eng.Pins(ctx, promotion.PinFilter{Ended: true}); err != nil || len(pins) != 0 {
		t.Errorf("pins = %+v, %v; want none", pins, err)
	}
}

func codeOf(err error) string {
	if de, ok := derrors.As(err); ok {
		return de.Code
	}
	return ""
}
