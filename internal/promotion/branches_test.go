package promotion_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/commitmsg"
	"github.com/ferryhq/ferry/internal/promotion"
)

const branchPipeline = `environments:
  - name: dev
  - name: stage
    from: dev
    promotion: commit
    branch: stage
  - name: prod
    from: stage
    promotion: pull-request
    branch: production
applications:
  - name: payments
    image: REGISTRY/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`

// TestEnvironmentsOnTheirOwnBranches: environments may live on branches of
// their own: dev on main, stage committed to branch stage, prod promoted by
// a pull request into branch production — each commit lands on its branch
// and nowhere else.
func TestEnvironmentsOnTheirOwnBranches(t *testing.T) {
	f := newFixture(t, setup{files: map[string]string{"ferry.yaml": branchPipeline}})
	f.git("branch", "stage", "main")
	f.git("branch", "production", "main")
	mainBefore := f.head()

	r := f.report("payments", "3.0.0")
	f.run()
	dev := f.wait(r.Promotion.ID)
	if dev.State != promotion.StateCommitted || f.git("rev-parse", "main") != dev.CommitSHA {
		t.Fatalf("dev: %s %s at %s", dev.State, dev.Reason, dev.CommitSHA)
	}
	stage := f.awaitState(r.Release.ID, "stage", promotion.StateCommitted)
	if got := f.git("rev-parse", "stage"); got != stage.CommitSHA || f.git("rev-parse", stage.CommitSHA+"^") != mainBefore {
		t.Errorf("stage commit %s, branch stage at %s; want it on stage, on top of the old main", stage.CommitSHA, got)
	}
	if f.git("rev-parse", "main") != dev.CommitSHA {
		t.Error("the stage promotion moved main")
	}

	prod := f.awaitState(r.Release.ID, "prod", promotion.StatePROpen)
	if !strings.HasPrefix(prod.PRBranch, "ferry/payments/prod.") || f.git("rev-parse", prod.PRBranch+"^") != mainBefore {
		t.Errorf("prod PR branch %s does not start at production's head", prod.PRBranch)
	}
	if _, err := f.eng.Approve(context.Background(), prod.ID, "rm"); err != nil {
		t.Fatal(err)
	}
	prod = f.awaitState(r.Release.ID, "prod", promotion.StateMerged)
	if got := f.git("rev-parse", "production"); got != prod.MergeSHA {
		t.Errorf("production at %s, merge %s", got, prod.MergeSHA)
	}
	// The merge commit says who approved and merged, as git reads it, so
	// that reindex can restore them.
	tr := f.trailers(prod.MergeSHA)
	if !slices.Equal(tr[commitmsg.KeyApprovedBy], []string{"rm"}) || !slices.Equal(tr[commitmsg.KeyMergedBy], []string{"rm"}) ||
		!slices.Equal(tr[commitmsg.KeyRequestedBy], []string{"ferry"}) || !slices.Equal(tr[commitmsg.KeyPromotion], []string{prod.ID}) {
		t.Errorf("merge commit trailers = %v", tr)
	}
	if file := f.git("show", "production:envs/prod/payments/kustomization.yaml"); !strings.Contains(file, r.Release.Digest) {
		t.Errorf("production's prod file lacks the release:\n%s", file)
	}
	if file := f.git("show", "main:envs/prod/payments/kustomization.yaml"); strings.Contains(file, r.Release.Digest) {
		t.Error("the prod promotion changed main too")
	}
}
