package promotion_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// TestApplicationStatus reads what each environment's target holds from the
// branch head and links it to the known release.
func TestApplicationStatus(t *testing.T) {
	f := newFixture(t, setup{})
	r := f.report("payments", "1.5.0")
	pending := f.report("payments", "1.6.0") // stays in flight: the worker is not running yet
	ctx := context.Background()

	st, err := f.eng.ApplicationStatus(ctx, "payments")
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "payments" || st.Image != f.image("payments") || st.Repository != "envs" {
		t.Errorf("summary = %+v", st.AppSummary)
	}
	if !slices.Equal(st.AppSummary.Environments, []string{"dev", "stage", "prod"}) {
		t.Errorf("environments = %q", st.AppSummary.Environments)
	}
	if len(st.Environments) != 3 {
		t.Fatalf("%d environment statuses, want 3", len(st.Environments))
	}
	for _, es := range st.Environments {
		if es.Err != "" || es.Current.Tag != "1.4.0" || es.Current.Digest != "" || es.Release != nil || es.Head != f.head() {
			t.Errorf("%s before any commit: %+v", es.Env.Name, es)
		}
		if want := "envs/" + es.Env.Name + "/payments/kustomization.yaml"; es.Target.Path != want || es.Target.Branch != "main" {
			t.Errorf("%s target = %+v, want %s on main", es.Env.Name, es.Target, want)
		}
	}
	dev := st.Environments[0]
	if len(dev.InFlight) != 2 {
		t.Errorf("dev in flight = %d promotions, want 2 (1.5.0, 1.6.0)", len(dev.InFlight))
	}

	// Commit 1.5.0 alone: 1.6.0's promotion is set aside first.
	p := f.promotion(pending.Promotion.ID)
	p.State, p.Reason = promotion.StateFailed, "set aside by the test"
	if err := f.store.UpdatePromotion(ctx, "", p); err != nil {
		t.Fatal(err)
	}
	f.run()
	f.wait(r.Promotion.ID)

	st, err = f.eng.ApplicationStatus(ctx, "payments")
	if err != nil {
		t.Fatal(err)
	}
	dev = st.Environments[0]
	if dev.Current.Repository != f.image("payments") || dev.Current.Tag != "1.5.0" || dev.Current.Digest != r.Release.Digest {
		t.Errorf("dev holds %+v, want 1.5.0@%s", dev.Current, r.Release.Digest)
	}
	if dev.Release == nil || dev.Release.ID != r.Release.ID {
		t.Errorf("dev release = %+v, want %s", dev.Release, r.Release.ID)
	}
	if len(dev.InFlight) != 0 || dev.Head != f.head() {
		t.Errorf("dev in flight %d head %s, want none at %s", len(dev.InFlight), dev.Head, f.head())
	}
	if stage := st.Environments[1]; stage.Current.Tag != "1.4.0" || stage.Release != nil {
		t.Errorf("stage = %+v, want untouched 1.4.0", stage.Current)
	}

	// A target that cannot be read is reported per environment.
	f.humanPush("Remove prod payments", map[string]string{"envs/prod/payments/kustomization.yaml": ""})
	st, err = f.eng.ApplicationStatus(ctx, "payments")
	if err != nil {
		t.Fatal(err)
	}
	if prod := st.Environments[2]; !strings.Contains(prod.Err, "envs/prod/payments/kustomization.yaml does not exist on branch main") {
		t.Errorf("prod error = %q", prod.Err)
	}

	if _, err := f.eng.ApplicationStatus(ctx, "billing"); derrors.KindOf(err) != derrors.NotFound {
		t.Errorf("unknown application: %v, want not found", err)
	}
}

// TestApplications lists every application of the pipeline in its order.
func TestApplications(t *testing.T) {
	f := newFixture(t, setup{})
	if err := f.eng.Ready(context.Background()); err == nil {
		t.Error("Ready before the pipeline was read: nil, want an error")
	}
	apps := f.eng.Applications(context.Background())
	var names []string
	for _, a := range apps {
		names = append(names, a.Name)
		if a.Image != f.image(a.Name) || a.Repository != "envs" || !slices.Equal(a.Environments, []string{"dev", "stage", "prod"}) {
			t.Errorf("%s = %+v", a.Name, a)
		}
	}
	if want := []string{"payments", "checkout", "notifier"}; !slices.Equal(names, want) {
		t.Errorf("applications = %q, want %q", names, want)
	}
	if err := f.eng.Ready(context.Background()); err != nil {
		t.Errorf("Ready after the pipeline was read: %v", err)
	}
}
