package gitrepo

import (
	"context"
	"strings"
	"testing"
)

func TestMergeParentAndDeleteBranch(t *testing.T) {
	ctx := context.Background()
	bare := newBare(t, map[string]string{"envs/prod/app.yaml": "tag: 1\n", "other.yaml": "x: 1\n"})
	r := openRepo(t, Config{URL: bare})

	// A pull-request branch with Ferry's edit.
	pr, err := r.Commit(ctx, "ferry/app/prod", setFiles("app: prod ← 2", map[string]string{"envs/prod/app.yaml": "tag: 2\n"}), FromBranch("main"))
	if err != nil || !pr.Changed {
		t.Fatalf("commit to PR branch: %+v, %v", pr, err)
	}
	// Someone changes main meanwhile, so a fast-forward is impossible.
	human := humanPush(t, bare, "main", map[string]string{"other.yaml": "x: 2\n"}, "human change")

	// Merge: the edit re-applied on main's head, the PR head as second parent.
	m, err := r.Commit(ctx, "main", setFiles("Merge ferry/app/prod", map[string]string{"envs/prod/app.yaml": "tag: 2\n"}), MergeParent("ferry/app/prod"))
	if err != nil || !m.Changed {
		t.Fatalf("merge: %+v, %v", m, err)
	}
	if got := git(t, bare, "rev-parse", m.SHA+"^1"); got != human {
		t.Errorf("first parent = %s, want main's head %s", got, human)
	}
	if got := git(t, bare, "rev-parse", m.SHA+"^2"); got != pr.SHA {
		t.Errorf("second parent = %s, want the PR head %s", got, pr.SHA)
	}
	if got := git(t, bare, "show", "main:envs/prod/app.yaml"); got != "tag: 2" {
		t.Errorf("merged file = %q", got)
	}
	if got := git(t, bare, "show", "main:other.yaml"); got != "x: 2" {
		t.Errorf("the human change was lost: %q", got)
	}
	fsck(t, bare)

	// Merging a branch that does not exist is refused, and nothing is pushed.
	if _, err := r.Commit(ctx, "main", setFiles("m", map[string]string{"a": "b"}), MergeParent("ferry/none/prod")); err == nil {
		t.Error("merging a missing branch succeeded")
	}
	if got := git(t, bare, "rev-parse", "main"); got != m.SHA {
		t.Errorf("main moved to %s", got)
	}

	// Ferry deletes its own branch, and only its own.
	if err := r.DeleteBranch(ctx, "ferry/app/prod"); err != nil {
		t.Fatalf("DeleteBranch: %v", err)
	}
	if out, err := gitErr(bare, "rev-parse", "--verify", "refs/heads/ferry/app/prod"); err == nil {
		t.Errorf("branch still there: %s", out)
	}
	if err := r.DeleteBranch(ctx, "ferry/app/prod"); err != nil {
		t.Errorf("deleting a missing branch: %v", err)
	}
	if err := r.DeleteBranch(ctx, "main"); err == nil || !strings.Contains(err.Error(), "only branches under ferry/") {
		t.Errorf("deleting main: %v", err)
	}
	// A new PR branch starts from main again.
	again, err := r.Commit(ctx, "ferry/app/prod", setFiles("app: prod ← 3", map[string]string{"envs/prod/app.yaml": "tag: 3\n"}), FromBranch("main"))
	if err != nil {
		t.Fatal(err)
	}
	if got := git(t, bare, "rev-parse", again.SHA+"^"); got != m.SHA {
		t.Errorf("new PR branch starts at %s, want main %s", got, m.SHA)
	}
}
