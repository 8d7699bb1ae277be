package promotion_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/commitmsg"
	"github.com/ferryhq/ferry/internal/promotion"
)

const devPayments = "envs/dev/payments/kustomization.yaml"

// TestReportedBuildIsCommitted follows one build from the report to its
// commit in the first environment.
func TestReportedBuildIsCommitted(t *testing.T) {
	f := newFixture(t, setup{})
	before := f.head()
	original := f.git("show", "main:"+devPayments)

	r := f.report("payments", "1.5.0")
	if r.Duplicate {
		t.Error("first report: Duplicate = true")
	}
	if r.Promotion.State != promotion.StatePending || r.Promotion.Environment != "dev" || r.Promotion.ReleaseID != r.Release.ID {
		t.Errorf("reported promotion = %+v, want pending into dev of release %s", r.Promotion, r.Release.ID)
	}
	// Recorded before the worker runs: the report alone is durable.
	rel, err := f.store.GetRelease(context.Background(), r.Release.ID)
	if err != nil {
		t.Fatalf("release not stored: %v", err)
	}
	if rel.Repository != f.image("payments") || rel.Tag != "1.5.0" || !strings.HasPrefix(rel.Digest, "sha256:") ||
		rel.SourceCommit != "0123456789abcdef0123456789abcdef01234567" || rel.ReportedBy != "ci" {
		t.Errorf("stored release = %+v", rel)
	}
	if p := f.promotion(r.Promotion.ID); p.State != promotion.StatePending {
		t.Errorf("stored promotion state before the worker = %s, want pending", p.State)
	}
	if got := f.head(); got != before {
		t.Fatalf("branch moved before the worker ran")
	}

	f.run()
	p := f.wait(r.Promotion.ID)
	if p.State != promotion.StateCommitted || p.Noop || p.Reason != "" {
		t.Fatalf("promotion = %s noop=%v reason=%q, want committed", p.State, p.Noop, p.Reason)
	}
	head := f.head()
	if p.CommitSHA != head {
		t.Errorf("CommitSHA = %s, want branch head %s", p.CommitSHA, head)
	}
	if parent := f.git("rev-parse", "main~1"); parent != before {
		t.Errorf("commit parent = %s, want the previous head %s", parent, before)
	}

	subject := f.git("log", "-1", "--format=%s", "main")
	if want := "payments: dev ← 1.5.0 (" + rel.Digest[:len("sha256:")+8] + ")"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
	tr := f.trailers("main")
	for k, want := range map[string]string{
		commitmsg.KeyRelease:      rel.ID,
		commitmsg.KeyPromotion:    p.ID,
		commitmsg.KeyImage:        f.image("payments") + ":1.5.0@" + rel.Digest,
		commitmsg.KeySourceCommit: "0123456789abcdef0123456789abcdef01234567",
		commitmsg.KeyCIRun:        "https://ci.example.com/acme/payments/runs/1.5.0",
	} {
		if got := tr[k]; len(got) != 1 || got[0] != want {
			t.Errorf("trailer %s = %q, want [%q]", k, got, want)
		}
	}

	// Who asked is written exactly when the promotion records one.
	if got := tr[commitmsg.KeyRequestedBy]; (p.RequestedBy == "" && got != nil) || (p.RequestedBy != "" && !slices.Equal(got, []string{p.RequestedBy})) {
		t.Errorf("trailer %s = %q, promotion requested by %q", commitmsg.KeyRequestedBy, got, p.RequestedBy)
	}
	if files := f.git("diff", "--name-only", before, "main"); files != devPayments {
		t.Errorf("files changed = %q, want only %s", files, devPayments)
	}
	want := strings.Replace(original, `    newTag: "1.4.0"`,
		`    newTag: "1.5.0"`+"\n    digest: "+rel.Digest, 1)
	if got := f.git("show", "main:"+devPayments); got != want {
		t.Errorf("%s after the commit:\n%s\nwant:\n%s", devPayments, got, want)
	}
}

// TestBatchOneCommit: promotions claimed together for one branch go out as
// one commit listing every release.
func TestBatchOneCommit(t *testing.T) {
	f := newFixture(t, setup{})
	before := f.head()
	var rs []promotion.Reported
	for _, b := range [][2]string{{"payments", "1.5.0"}, {"checkout", "2.1.0"}, {"notifier", "1.0.0"}} {
		rs = append(rs, f.report(b[0], b[1]))
	}
	f.run() // its first pass claims all three

	var sha string
	for _, r := range rs {
		p := f.wait(r.Promotion.ID)
		if p.State != promotion.StateCommitted || p.Noop {
			t.Fatalf("%s: %s noop=%v %s", r.Release.Application, p.State, p.Noop, p.Reason)
		}
		if sha == "" {
			sha = p.CommitSHA
		} else if p.CommitSHA != sha {
			t.Errorf("%s committed in %s, others in %s: want one commit", r.Release.Application, p.CommitSHA, sha)
		}
	}
	if n := f.git("rev-list", "--count", before+"..main"); n != "1" {
		t.Fatalf("%s new commits, want 1", n)
	}
	if sha != f.head() {
		t.Errorf("CommitSHA %s is not the head %s", sha, f.head())
	}
	tr := f.trailers("main")
	for _, r := range rs {
		if !slices.Contains(tr[commitmsg.KeyRelease], r.Release.ID) ||
			!slices.Contains(tr[commitmsg.KeyPromotion], r.Promotion.ID) ||
			!slices.Contains(tr[commitmsg.KeyImage], r.Release.ImageRef()) {
			t.Errorf("trailers %v lack release %s / promotion %s / image %s", tr, r.Release.ID, r.Promotion.ID, r.Release.ImageRef())
		}
	}
	if got := len(tr[commitmsg.KeyPromotion]); got != 3 {
		t.Errorf("%d Ferry-Promotion trailers, want 3", got)
	}
	files := strings.Fields(f.git("diff", "--name-only", before, "main"))
	want := []string{"apps/dev/notifier.yaml", "charts/checkout/values-dev.yaml", devPayments}
	if !slices.Equal(files, want) {
		t.Errorf("files changed = %q, want %q", files, want)
	}
	if subject := f.git("log", "-1", "--format=%s", "main"); subject != "dev ← 3 releases" {
		t.Errorf("subject = %q", subject)
	}
}

// TestBatchSupersedes: of two releases of one application in one batch, the
// newer is committed and the older recorded as superseded by it.
func TestBatchSupersedes(t *testing.T) {
	f := newFixture(t, setup{})
	before := f.head()
	older := f.report("payments", "1.5.0")
	newer := f.report("payments", "1.6.0")
	f.run()

	pn := f.wait(newer.Promotion.ID)
	if pn.State != promotion.StateCommitted || pn.CommitSHA != f.head() {
		t.Fatalf("newer: %s %s, want committed at head", pn.State, pn.CommitSHA)
	}
	po := f.wait(older.Promotion.ID)
	if po.State != promotion.StateSuperseded || po.CommitSHA != "" {
		t.Errorf("older: %s commit=%q, want superseded without a commit", po.State, po.CommitSHA)
	}
	if !strings.Contains(po.Reason, newer.Promotion.ID) || !strings.Contains(po.Reason, "1.6.0") {
		t.Errorf("older reason = %q, want it to name promotion %s (1.6.0)", po.Reason, newer.Promotion.ID)
	}
	if n := f.git("rev-list", "--count", before+"..main"); n != "1" {
		t.Errorf("%s new commits, want 1", n)
	}
	tr := f.trailers("main")
	if got := tr[commitmsg.KeyPromotion]; !slices.Equal(got, []string{newer.Promotion.ID}) {
		t.Errorf("Ferry-Promotion trailers = %q, want only the newer", got)
	}
	if got := f.git("show", "main:"+devPayments); !strings.Contains(got, `newTag: "1.6.0"`) ||
		!strings.Contains(got, "digest: "+newer.Release.Digest) {
		t.Errorf("file holds:\n%s\nwant 1.6.0@%s", got, newer.Release.Digest)
	}
}

// TestBatchWindowGathersArrivals: builds reported a little apart while the
// worker runs still go out as one commit, however the poll ticks fall.
func TestBatchWindowGathersArrivals(t *testing.T) {
	const window = time.Second
	f := newFixture(t, setup{cfg: promotion.Config{BatchWindow: window, PollInterval: 25 * time.Millisecond}})
	builds := [][2]string{{"payments", "1.5.0"}, {"checkout", "2.1.0"}, {"notifier", "1.0.0"}}
	for _, b := range builds {
		f.push("acme/"+b[0], b[1])
	}
	f.run()
	// A first build, so that the worker is past its start-up pass and
	// waits for work when the others arrive.
	if p := f.wait(f.report("checkout", "2.0.1").Promotion.ID); p.State != promotion.StateCommitted {
		t.Fatalf("first build: %s %s", p.State, p.Reason)
	}
	before := f.head()
	start := time.Now()
	var rs []promotion.Reported
	for i, b := range builds {
		if i > 0 {
			time.Sleep(60 * time.Millisecond) // more than two poll intervals
		}
		r, err := f.eng.ReportBuild(context.Background(), f.build(b[0], b[1]), ci)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	if took := time.Since(start); took > window/2 {
		t.Fatalf("reporting took %v, too long to test a %v window on this machine", took, window)
	}
	for _, r := range rs {
		if p := f.wait(r.Promotion.ID); p.State != promotion.StateCommitted {
			t.Fatalf("%s: %s %s", r.Release.Application, p.State, p.Reason)
		}
	}
	if n := f.git("rev-list", "--count", before+"..main"); n != "1" {
		t.Errorf("%s commits for three builds reported within the batch window, want 1", n)
	}
}

// TestAlreadySetIsNoop: a release the target already holds completes
// without a commit.
func TestAlreadySetIsNoop(t *testing.T) {
	f := newFixture(t, setup{})
	digest := f.push("acme/payments", "1.5.0")
	human := f.humanPush("Pin payments by hand", map[string]string{
		devPayments: strings.Replace(f.git("show", "main:"+devPayments), `newTag: "1.4.0"`,
			`newTag: "1.5.0"`+"\n    digest: "+digest, 1) + "\n",
	})
	count := f.commitCount()

	r, err := f.eng.ReportBuild(context.Background(), f.build("payments", "1.5.0"), ci)
	if err != nil {
		t.Fatal(err)
	}
	f.run()
	p := f.wait(r.Promotion.ID)
	if p.State != promotion.StateCommitted || !p.Noop {
		t.Fatalf("promotion = %s noop=%v (%s), want committed no-op", p.State, p.Noop, p.Reason)
	}
	if p.CommitSHA != human {
		t.Errorf("CommitSHA = %s, want the head that already held it, %s", p.CommitSHA, human)
	}
	if got := f.commitCount(); got != count || f.head() != human {
		t.Errorf("commits %s→%s, head %s: want no new commit", count, got, f.head())
	}

	// Asking again for the release that runs there is a no-op too.
	again := promotion.Promotion{ID: "prm_again", ReleaseID: r.Release.ID, Application: "payments",
		Environment: "dev", State: promotion.StatePending, NextAttemptAt: time.Now()}
	if err := f.store.CreatePromotion(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	f.eng.Kick()
	if p := f.wait(again.ID); p.State != promotion.StateCommitted || !p.Noop || p.CommitSHA != human {
		t.Errorf("second promotion = %s noop=%v commit=%s, want committed no-op at %s", p.State, p.Noop, p.CommitSHA, human)
	}
	if got := f.commitCount(); got != count {
		t.Errorf("commits %s→%s, want none", count, got)
	}
}
