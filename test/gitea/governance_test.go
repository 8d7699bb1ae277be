package gitea

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestOutsiderApprovalDoesNotCount: a user without write access may review
// a public repository; Gitea records the approval as not official, and it
// must not count.
func TestOutsiderApprovalDoesNotCount(t *testing.T) {
	s := newStack(t, stackOptions{})
	_, stage, pr := s.openPR("1.0.0")
	mark := s.hooks.mark()
	s.approve(outsider, pr.Number, pr.Head.SHA)
	s.settle("pull_request_review_approved", mark)
	s.mustNotCount(stage.ID, outsider, false)
	if s.pull(pr.Number).Merged {
		t.Fatal("merged on an outsider's approval")
	}
	s.approve(alice, pr.Number, pr.Head.SHA)
	if p := s.awaitID(stage.ID, "merged"); !slices.Equal(p.Approvers, []string{alice}) {
		t.Errorf("merged with approvers %v, want only %s", p.Approvers, alice)
	}
}

// TestRequesterApprovalDoesNotCount: bob's Ferry token forces a release
// into prod; bob's approval on Gitea is the requester's (and the forcer's)
// own and must not count: prod still needs two other people.
func TestRequesterApprovalDoesNotCount(t *testing.T) {
	s := newStack(t, stackOptions{})
	rel := s.build("1.0.0")
	asked := s.promote(bobToken, rel, "prod", true)
	prod := s.awaitID(asked.ID, "pr-open")
	if prod.RequestedBy != bob || !prod.Forced {
		t.Fatalf("prod promotion requested by %q forced %v, want bob, forced", prod.RequestedBy, prod.Forced)
	}
	pr := s.pull(prod.PRNumber)
	s.approve(alice, pr.Number, pr.Head.SHA)
	mark := s.hooks.mark()
	s.approve(bob, pr.Number, pr.Head.SHA)
	s.settle("pull_request_review_approved", mark)
	s.mustNotCount(prod.ID, bob, true)
	if s.pull(pr.Number).Merged {
		t.Fatal("prod merged on the requester's own approval")
	}
	s.approve(carol, pr.Number, pr.Head.SHA)
	if p := s.awaitID(prod.ID, "merged"); !slices.Equal(p.Approvers, []string{alice, carol}) {
		t.Errorf("prod merged with approvers %v, want alice and carol", p.Approvers)
	}
}

// TestRequestChangesBlocksAutoMerge: a writer's REQUEST_CHANGES holds the
// pull request despite another writer's approval, until it is dismissed.
func TestRequestChangesBlocksAutoMerge(t *testing.T) {
	s := newStack(t, stackOptions{})
	_, stage, pr := s.openPR("1.0.0")
	st, rejection := s.review(bob, pr.Number, "REQUEST_CHANGES", pr.Head.SHA)
	if st != http.StatusOK {
		t.Fatalf("bob requesting changes: %d", st)
	}
	mark := s.hooks.mark()
	s.approve(alice, pr.Number, pr.Head.SHA)
	s.settle("pull_request_review_approved", mark)
	if p := s.promotion(stage.ID); p.State != "pr-open" || s.pull(pr.Number).Merged {
		t.Fatalf("auto-merged over bob's request for changes: %s %q approvers %v", p.State, p.Reason, p.Approvers)
	}
	s.must(admin, http.MethodPost, s.repoPath(fmt.Sprintf("/pulls/%d/reviews/%d/dismissals", pr.Number, rejection)),
		map[string]any{"message": "addressed"}, nil, http.StatusOK)
	// Dismissing a review sends no webhook Ferry listens to: CI reporting
	// green on the head wakes it.
	s.status(pr.Head.SHA, "success")
	s.awaitID(stage.ID, "merged")
}

// TestRollbackClosesStalePullRequest: 1.1.0's stage pull request is open
// when dev is rolled back to 1.0.0; the 1.1.0 pull request is closed with a
// comment and its promotion superseded, so nobody can approve the
// rolled-back release into stage.
func TestRollbackClosesStalePullRequest(t *testing.T) {
	s := newStack(t, stackOptions{})
	rel1, stage1, pr1 := s.openPR("1.0.0")
	s.approve(alice, pr1.Number, pr1.Head.SHA)
	s.awaitID(stage1.ID, "merged")
	rel2, stage2, pr2 := s.openPR("1.1.0")
	back := s.promote(managerToken, rel1, "dev", false)
	s.awaitID(back.ID, "committed")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && s.pull(pr2.Number).State == "open" {
		time.Sleep(200 * time.Millisecond)
	}
	stale := 0
	for _, p := range s.pulls("open") {
		if strings.Contains(p.Title, "← 1.1.0 ") {
			stale++
		}
	}
	tally.add(func(c *counts) { c.stale += stale })
	if stale > 0 {
		t.Errorf("%d pull request(s) of the rolled-back 1.1.0 still open 30s after the rollback", stale)
	}
	if p := s.promotion(stage2.ID); p.State != "superseded" && p.State != "rejected" {
		t.Errorf("1.1.0's stage promotion is %s (%s) after the rollback", p.State, p.Reason)
	}
	if s.pull(pr2.Number).State == "closed" && !s.commentedBy(pr2.Number, bot) {
		t.Errorf("Ferry closed #%d without saying why", pr2.Number)
	}
	if live := s.livePromotions(rel2); live > 0 {
		t.Errorf("%d live promotions of the rolled-back 1.1.0", live)
	}
}

// TestClosedByHandRejectedWithCloser: carol closes the pull request; the
// promotion is rejected and says who closed it.
func TestClosedByHandRejectedWithCloser(t *testing.T) {
	s := newStack(t, stackOptions{})
	_, stage, pr := s.openPR("1.0.0")
	s.closeByHand(carol, pr.Number)
	p := s.awaitID(stage.ID, "rejected")
	if !strings.Contains(p.Reason, "closed without merging by "+carol) {
		t.Errorf("rejected: %q, want it to name %s", p.Reason, carol)
	}
}

// TestFreshPullRequestsSurviveBranchHandling: after each merge the next
// release opens a new pull request on a branch of its own; none of them may
// be closed by Ferry's own branch handling (Gitea closes every open pull
// request of a deleted branch, a moment later), and a merged pull
// request's branch is deleted once it is merged.
func TestFreshPullRequestsSurviveBranchHandling(t *testing.T) {
	s := newStack(t, stackOptions{})
	seen := map[string]bool{}
	for i, tag := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		_, stage, pr := s.openPR(tag)
		if seen[pr.Head.Ref] {
			t.Fatalf("release %d (%s): pull request #%d reuses branch %s", i+1, tag, pr.Number, pr.Head.Ref)
		}
		seen[pr.Head.Ref] = true
		time.Sleep(3 * time.Second) // Gitea closes a deleted branch's pull requests asynchronously
		if got := s.pull(pr.Number); got.State != "open" {
			t.Fatalf("release %d (%s): pull request #%d is %s 3s after Ferry opened it", i+1, tag, pr.Number, got.State)
		}
		s.approve(alice, pr.Number, pr.Head.SHA)
		s.awaitID(stage.ID, "merged")
		deadline := time.Now().Add(10 * time.Second)
		for {
			st, _, err := host.raw(admin, http.MethodGet, s.repoPath("/branches/"+pr.Head.Ref), nil)
			if err == nil && st == http.StatusNotFound {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("release %d (%s): branch %s of merged pull request #%d still there (%d %v)", i+1, tag, pr.Head.Ref, pr.Number, st, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// livePromotions counts the promotions of release not yet finished.
func (s *stack) livePromotions(release string) int {
	n := 0
	for _, env := range []string{"stage", "prod"} {
		for _, p := range s.promotionsOf(release, env) {
			switch p.State {
			case "pending", "waiting", "pr-open":
				n++
			}
		}
	}
	return n
}

// TestBranchProtectionSaysWhy: while Gitea's protection of main refuses the
// merge (two approvals required, one given), the promotion says that the
// host does not let it merge, not that it is merging.
func TestBranchProtectionSaysWhy(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.must(admin, http.MethodPost, s.repoPath("/branch_protections"),
		map[string]any{"rule_name": "main", "enable_push": true, "required_approvals": 2}, nil, http.StatusCreated)
	_, stage, pr := s.openPR("1.0.0")
	mark := s.hooks.mark()
	s.approve(alice, pr.Number, pr.Head.SHA)
	s.settle("pull_request_review_approved", mark)
	p := s.promotion(stage.ID)
	why := strings.ToLower(p.Reason)
	if p.State != "pr-open" || strings.HasPrefix(why, "approved;") || !(strings.Contains(why, "protect") || strings.Contains(why, "mergeable")) {
		t.Errorf("Gitea's protection refuses the merge; the promotion says: %s %q", p.State, p.Reason)
	}
}
