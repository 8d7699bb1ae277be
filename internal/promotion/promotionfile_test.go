package promotion_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// TestPromotionFileIsTheEditedFileOnItsBranch reads back the file a
// committed promotion's diff names, as its branch holds it, and refuses a
// promotion that has no diff yet.
func TestPromotionFileIsTheEditedFileOnItsBranch(t *testing.T) {
	f := newFixture(t, setup{})
	r := f.report("payments", "1.5.0")
	if _, err := f.eng.PromotionFile(context.Background(), r.Promotion.ID); !isNotFound(err) {
		t.Fatalf("PromotionFile of a pending promotion: %v, want not found (no diff)", err)
	}
	f.run()
	p := f.wait(r.Promotion.ID)
	got, err := f.eng.PromotionFile(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != devPayments || got.Path != promotion.DiffPath(p.Diff) || got.Branch != "main" || got.Head != f.head() {
		t.Errorf("PromotionFile = %s on %s at %s; want %s on main at %s (diff names %q)",
			got.Path, got.Branch, got.Head, devPayments, f.head(), promotion.DiffPath(p.Diff))
	}
	if want := f.git("show", "main:"+devPayments) + "\n"; string(got.Content) != want && string(got.Content) != strings.TrimSuffix(want, "\n") {
		t.Errorf("content differs from git show main:%s:\n%s", devPayments, got.Content)
	}
	if !strings.Contains(string(got.Content), "1.5.0") {
		t.Errorf("content lacks the promoted tag:\n%s", got.Content)
	}
}

func isNotFound(err error) bool {
	de, ok := derrors.As(err)
	return ok && de.Kind == derrors.NotFound
}
