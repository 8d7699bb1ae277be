package promotion_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// TestBuiltinApprovers: with the built-in provider an environment's
// approvers are Ferry identities by name; anyone else is refused with why
// (a team: entry admits nobody there), and each approval's reason says how
// many counted of how many are needed, "merging" only once enough.
func TestBuiltinApprovers(t *testing.T) {
	b, err := os.ReadFile("../../deploy/examples/env-repo/ferry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(string(b), "      approvals: 1\n",
		"      approvals: 2\n      approvers: [alice, bob, \"team:release-managers\"]\n", 1)
	yaml = strings.ReplaceAll(yaml, "registry.example.com", "REGISTRY")
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": yaml}})
	ctx := context.Background()
	f.run()
	r := f.report("payments", "1.0.0")
	open := f.awaitState(r.Release.ID, "stage", promotion.StatePROpen)

	_, err = f.eng.Approve(ctx, open.ID, "carol")
	if de, ok := derrors.As(err); !ok || de.Kind != derrors.Forbidden || !strings.Contains(de.Detail, "carol is not in the approvers of stage") ||
		!strings.Contains(de.Detail, "team: entries admit nobody") {
		t.Fatalf("Approve(carol) = %v, want forbidden: not in the approvers, teams admit nobody", err)
	}
	p, err := f.eng.Approve(ctx, open.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := "approved by alice: 1 of 2 approvals counted; waiting for more"; p.State != promotion.StatePROpen || p.Reason != want {
		t.Errorf("after alice: %s %q, want pr-open %q", p.State, p.Reason, want)
	}
	if _, err := f.eng.Approve(ctx, open.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	if p := f.awaitState(r.Release.ID, "stage", promotion.StateMerged); p.MergedBy != "bob" {
		t.Errorf("merged by %q, want bob", p.MergedBy)
	}
}
