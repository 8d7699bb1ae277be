package gitea

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDevCommitAndStagePullRequest: a build lands on main by commit (dev),
// then Ferry opens the stage pull request on Gitea, authored by its bot,
// changing only the stage file.
func TestDevCommitAndStagePullRequest(t *testing.T) {
	s := newStack(t, stackOptions{})
	rel := s.build("1.0.0")
	dev := s.await(rel, "dev", "committed")
	var branch struct {
		Commit struct {
			ID string `json:"id"`
		} `json:"commit"`
	}
	s.must(admin, http.MethodGet, s.repoPath("/branches/main"), nil, &branch, http.StatusOK)
	if branch.Commit.ID != dev.CommitSHA {
		t.Errorf("Gitea's main is at %s, Ferry committed dev at %s", branch.Commit.ID, dev.CommitSHA)
	}
	stage, pr := s.prFor(rel)
	if !strings.HasPrefix(pr.Title, "payments: stage ← 1.0.0 (") {
		t.Errorf("title %q", pr.Title)
	}
	for _, want := range []string{"Ferry promotes **payments** to **stage** (from dev)", "Ferry promotion `" + stage.ID + "`", "Needs 1 approval(s)"} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("pull request body lacks %q:\n%s", want, pr.Body)
		}
	}
	var files []struct {
		Filename string `json:"filename"`
	}
	s.must(admin, http.MethodGet, s.repoPath(fmt.Sprintf("/pulls/%d/files", pr.Number)), nil, &files, http.StatusOK)
	if len(files) != 1 || files[0].Filename != "envs/stage/payments/kustomization.yaml" {
		t.Errorf("the pull request changes %+v", files)
	}
	if stage.PRURL != fmt.Sprintf("%s/%s/%s/pulls/%d", host.URL, org, s.name, pr.Number) {
		t.Errorf("pr_url %q", stage.PRURL)
	}
}

// TestWriterApprovalMerges: one approval by a writer merges the stage pull
// request with Ferry's token; stage then runs the release and the prod
// promotion starts.
func TestWriterApprovalMerges(t *testing.T) {
	s := newStack(t, stackOptions{})
	rel, stage, pr := s.openPR("1.0.0")
	s.approve(alice, pr.Number, pr.Head.SHA)
	merged := s.awaitID(stage.ID, "merged")
	got := s.pull(pr.Number)
	switch {
	case !got.Merged || got.MergedBy == nil || got.MergedBy.Login != bot:
		t.Errorf("Gitea: merged %v by %+v, want merged by %s", got.Merged, got.MergedBy, bot)
	case !slices.Equal(merged.Approvers, []string{alice}) || merged.MergedBy != "ferry":
		t.Errorf("promotion: approvers %v, merged by %q", merged.Approvers, merged.MergedBy)
	}
	if file := s.file("envs/stage/payments/kustomization.yaml"); !strings.Contains(file, "1.0.0") {
		t.Errorf("stage on main after the merge:\n%s", file)
	}
	prod := s.await(rel, "prod", "pr-open")
	if p := s.pull(prod.PRNumber); !strings.HasPrefix(p.Head.Ref, "ferry/payments/prod.") || p.Head.Ref != prod.PRBranch || p.State != "open" {
		t.Errorf("prod pull request #%d: %s %s", p.Number, p.Head.Ref, p.State)
	}
}

// TestTwoApprovals: prod needs two distinct approvers; one is not enough.
func TestTwoApprovals(t *testing.T) {
	s := newStack(t, stackOptions{})
	rel, stage, pr := s.openPR("1.0.0")
	s.approve(alice, pr.Number, pr.Head.SHA)
	s.awaitID(stage.ID, "merged")
	prod := s.await(rel, "prod", "pr-open")
	ppr := s.pull(prod.PRNumber)
	mark := s.hooks.mark()
	s.approve(alice, ppr.Number, ppr.Head.SHA)
	s.settle("pull_request_review_approved", mark)
	if p := s.promotion(prod.ID); p.State != "pr-open" || p.Reason != "waiting for approvals: 1 of 2" {
		t.Fatalf("after one approval: %s %q approvers %v", p.State, p.Reason, p.Approvers)
	}
	s.approve(bob, ppr.Number, ppr.Head.SHA)
	p := s.awaitID(prod.ID, "merged")
	if !slices.Equal(p.Approvers, []string{alice, bob}) {
		t.Errorf("prod merged with approvers %v", p.Approvers)
	}
	if file := s.file("envs/prod/payments/kustomization.yaml"); !strings.Contains(file, "1.0.0") {
		t.Errorf("prod on main after the merge:\n%s", file)
	}
}

// TestAuthorApprovalRefused: Ferry's bot authored the pull request; Gitea
// refuses its approval, and Ferry counts nothing.
func TestAuthorApprovalRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	_, stage, pr := s.openPR("1.0.0")
	st, _ := s.review(bot, pr.Number, "APPROVED", pr.Head.SHA)
	if st/100 != 4 {
		t.Errorf("Gitea answered %d to the author approving their own pull request, want 4xx", st)
	}
	time.Sleep(3 * time.Second)
	s.mustNotCount(stage.ID, bot, true)
	s.approve(alice, pr.Number, pr.Head.SHA)
	if p := s.awaitID(stage.ID, "merged"); !slices.Equal(p.Approvers, []string{alice}) {
		t.Errorf("merged with approvers %v", p.Approvers)
	}
}

// TestFailingStatusBlocksAutoMerge: an approved pull request whose head has
// a failing commit status stays open until the status passes.
func TestFailingStatusBlocksAutoMerge(t *testing.T) {
	s := newStack(t, stackOptions{})
	_, stage, pr := s.openPR("1.0.0")
	s.status(pr.Head.SHA, "failure")
	mark := s.hooks.mark()
	s.approve(alice, pr.Number, pr.Head.SHA)
	s.settle("pull_request_review_approved", mark)
	if p := s.promotion(stage.ID); p.State != "pr-open" || !strings.Contains(p.Reason, "checks failed") {
		t.Fatalf("approved with a failing check: %s %q", p.State, p.Reason)
	}
	if s.pull(pr.Number).Merged {
		t.Fatal("merged on Gitea with a failing check")
	}
	s.status(pr.Head.SHA, "success")
	s.awaitID(stage.ID, "merged")
}

// TestBranchProtectionRequiredApprovals: Gitea's protection of main asks for
// two approvals while the pipeline asks for one: Ferry does not get the
// merge through with one, and merges once Gitea's rule holds.
func TestBranchProtectionRequiredApprovals(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.must(admin, http.MethodPost, s.repoPath("/branch_protections"),
		map[string]any{"rule_name": "main", "enable_push": true, "required_approvals": 2}, nil, http.StatusCreated)
	_, stage, pr := s.openPR("1.0.0")
	mark := s.hooks.mark()
	s.approve(alice, pr.Number, pr.Head.SHA)
	s.settle("pull_request_review_approved", mark)
	if got := s.pull(pr.Number); got.Merged || got.State != "open" {
		t.Fatalf("merged past Gitea's branch protection: %s merged %v", got.State, got.Merged)
	}
	p := s.promotion(stage.ID)
	if p.State != "pr-open" || p.Reason == "" {
		t.Fatalf("after one of Gitea's two approvals: %s %q", p.State, p.Reason)
	}
	t.Logf("while Gitea's protection holds, Ferry says: %s", p.Reason)
	s.approve(bob, pr.Number, pr.Head.SHA)
	s.awaitID(stage.ID, "merged")
	if !s.pull(pr.Number).Merged {
		t.Error("promotion merged, the pull request is not")
	}
}

// TestNewerReleaseUpdatesOpenPullRequest: a newer release pushes to the
// same branch and the same pull request; the older promotion is superseded.
func TestNewerReleaseUpdatesOpenPullRequest(t *testing.T) {
	s := newStack(t, stackOptions{})
	_, first, pr := s.openPR("1.0.0")
	rel2 := s.build("1.1.0")
	second := s.await(rel2, "stage", "pr-open")
	if second.PRNumber != pr.Number {
		t.Fatalf("1.1.0 opened #%d, 1.0.0 had #%d", second.PRNumber, pr.Number)
	}
	got := s.pull(pr.Number)
	if got.Head.SHA != second.CommitSHA || !strings.HasPrefix(got.Title, "payments: stage ← 1.1.0 (") || got.State != "open" {
		t.Errorf("pull request after 1.1.0: %s at %s %q, Ferry pushed %s", got.State, got.Head.SHA, got.Title, second.CommitSHA)
	}
	if p := s.promotion(first.ID); p.State != "superseded" {
		t.Errorf("1.0.0's stage promotion is %s (%s), want superseded", p.State, p.Reason)
	}
	if open := s.pulls("open"); len(open) != 1 {
		t.Errorf("%d open pull requests, want 1", len(open))
	}
	s.approve(alice, pr.Number, got.Head.SHA)
	s.awaitID(second.ID, "merged")
	if file := s.file("envs/stage/payments/kustomization.yaml"); !strings.Contains(file, "1.1.0") {
		t.Errorf("stage on main after the merge:\n%s", file)
	}
}

// TestMergedByHandSeenByWebhook: a writer merges the pull request on Gitea
// without approvals; the webhook tells Ferry (the poll is a minute away).
func TestMergedByHandSeenByWebhook(t *testing.T) {
	s := newStack(t, stackOptions{})
	rel, stage, pr := s.openPR("1.0.0")
	s.mergeByHand(carol, pr.Number)
	if p := s.awaitID(stage.ID, "merged"); p.MergedBy != carol {
		t.Errorf("merged by %q, want %s", p.MergedBy, carol)
	}
	s.await(rel, "prod", "pr-open")
}

// TestMergedByHandSeenByPoll: without webhooks, the reconcile poll finds
// the merge.
func TestMergedByHandSeenByPoll(t *testing.T) {
	s := newStack(t, stackOptions{noWebhooks: true, reconcile: "2s"})
	rel, stage, pr := s.openPR("1.0.0")
	s.mergeByHand(carol, pr.Number)
	if p := s.awaitID(stage.ID, "merged"); p.MergedBy != carol {
		t.Errorf("merged by %q, want %s", p.MergedBy, carol)
	}
	s.await(rel, "prod", "pr-open")
}

// TestRestartWhilePullRequestOpen: Ferry is down when the approval comes
// (Gitea's delivery fails); after the restart it finds the approval on
// its first look and merges.
func TestRestartWhilePullRequestOpen(t *testing.T) {
	s := newStack(t, stackOptions{reconcile: "3s"})
	rel, stage, pr := s.openPR("1.0.0")
	s.f.Kill()
	mark := s.hooks.mark()
	s.approve(alice, pr.Number, pr.Head.SHA)
	if d := s.hooks.await(t, "pull_request_review_approved", mark); d.Status != http.StatusBadGateway {
		t.Fatalf("the approval's delivery reached a ferry that should be down: %d", d.Status)
	}
	s.f.Start(t)
	if p := s.awaitID(stage.ID, "merged"); !slices.Equal(p.Approvers, []string{alice}) {
		t.Errorf("merged with approvers %v", p.Approvers)
	}
	s.await(rel, "prod", "pr-open")
}

// TestRedeliveredWebhook: Gitea's deliveries sent again, unchanged, are
// acknowledged as duplicates and change nothing.
func TestRedeliveredWebhook(t *testing.T) {
	s := newStack(t, stackOptions{})
	rel, stage, pr := s.openPR("1.0.0")
	s.approve(alice, pr.Number, pr.Head.SHA)
	before := s.awaitID(stage.ID, "merged")
	prod := s.await(rel, "prod", "pr-open")
	time.Sleep(time.Second) // the merge's own delivery
	replayed := 0
	for _, d := range s.hooks.deliveries() {
		if d.Status != http.StatusAccepted {
			continue
		}
		st, body := s.hooks.forward("/api/v1/scm/envs/webhook", d.Header, d.Body)
		var a struct {
			Duplicate bool `json:"duplicate"`
		}
		if err := json.Unmarshal(body, &a); st != http.StatusAccepted || err != nil || !a.Duplicate {
			t.Errorf("%s delivery %s sent again: %d %s, want 202 duplicate", d.Type, d.Header.Get("X-Gitea-Delivery"), st, body)
		}
		replayed++
	}
	if replayed == 0 {
		t.Fatal("no delivery to send again")
	}
	time.Sleep(2 * time.Second)
	after := s.promotion(stage.ID)
	if after.State != "merged" || len(after.Events) != len(before.Events) || after.MergeSHA != before.MergeSHA {
		t.Errorf("after %d redeliveries: %s with %d events (was %d)", replayed, after.State, len(after.Events), len(before.Events))
	}
	if ps := s.promotionsOf(rel, "prod"); len(ps) != 1 || ps[0].ID != prod.ID {
		t.Errorf("%d prod promotions after redeliveries, want only %s", len(ps), prod.ID)
	}
}

// file returns a file of main as Gitea serves it.
func (s *stack) file(path string) string {
	s.t.Helper()
	st, body, err := host.raw(admin, http.MethodGet, s.repoPath("/raw/"+path+"?ref=main"), nil)
	if err != nil || st != http.StatusOK {
		s.t.Fatalf("reading %s on main: %d %v", path, st, err)
	}
	return string(body)
}
