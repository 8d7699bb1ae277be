package builtin_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/gitrepo/gittest"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/builtin"
	"github.com/ferryhq/ferry/internal/store/sqlite"
)

const head = "ferry/payments/prod"

// env is a real bare repository with main and a pushed pull-request branch,
// and the provider on a real SQLite store.
type env struct {
	bare string
	git  *gitrepo.Repo
	prov *builtin.Provider
}

func newEnv(t *testing.T) *env {
	t.Helper()
	work := t.TempDir()
	gittest.WriteFile(t, work, "prod/values.yaml", "tag: v1\nother: a\n")
	bare := gittest.NewBare(t, work, "first")
	g, err := gitrepo.Open(gitrepo.Config{URL: bare, Timeout: 5 * time.Second}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{bare: bare, git: g, prov: builtin.New("envs", g, st, "https://ferry.example", zaptest.NewLogger(t))}
	e.push(t, "tag: v2\nother: a\n")
	return e
}

// push writes values.yaml on the pull-request branch, as the engine does.
func (e *env) push(t *testing.T, values string) string {
	t.Helper()
	res, err := e.git.Commit(context.Background(), head, func(gitrepo.Snapshot) (gitrepo.Change, error) {
		return gitrepo.Change{Message: "payments: prod ← v2", Files: map[string][]byte{"prod/values.yaml": []byte(values)}}, nil
	}, gitrepo.FromBranch("main"))
	if err != nil {
		t.Fatal(err)
	}
	return res.SHA
}

func (e *env) ensure(t *testing.T) promotion.PR {
	t.Helper()
	pr, err := e.prov.Ensure(context.Background(), promotion.PRSpec{Head: head, Base: "main", Title: "t"})
	if err != nil {
		t.Fatalf("Ensure() = %v", err)
	}
	return pr
}

// setTag is the engine's edit: the tag line, whatever else the file holds.
var setTag = promotion.Edit{Message: "Merge " + head + ": payments: prod ← v2", Apply: func(s gitrepo.Snapshot) (map[string][]byte, error) {
	b, err := s.ReadFile("prod/values.yaml")
	if err != nil {
		return nil, err
	}
	out := slices.Concat([]byte("tag: v2\n"), b[len("tag: v1\n"):])
	if string(out) == string(b) {
		return nil, nil
	}
	return map[string][]byte{"prod/values.yaml": out}, nil
}}

func TestEnsureNumbersAndApprovals(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	pr := e.ensure(t)
	if pr.Number != 1 || pr.URL != "https://ferry.example/pulls/envs/1" || pr.State != promotion.PROpen || pr.HeadSHA == "" {
		t.Fatalf("first Ensure = %+v", pr)
	}
	for _, who := range []string{"alice", "bob", "alice"} {
		if _, err := e.prov.Approve(ctx, 1, who); err != nil {
			t.Fatalf("Approve(%s) = %v", who, err)
		}
	}
	before := time.Now()
	got, _ := e.prov.Get(ctx, 1)
	if !slices.Equal(got.Approvers, []string{"alice", "bob"}) {
		t.Errorf("approvers = %v, want [alice bob] (each once)", got.Approvers)
	}
	// Each approval says when it was given: alice's first one, then bob's.
	if len(got.Approvals) != 2 || got.Approvals[0].At.IsZero() || got.Approvals[1].At.Before(got.Approvals[0].At) || got.Approvals[1].At.After(before) {
		t.Errorf("approvals %+v, want alice's then bob's, each with its time", got.Approvals)
	}
	// A new push to the open pull request keeps its number; the approvals
	// were of the old head.
	e.push(t, "tag: v3\nother: a\n")
	again := e.ensure(t)
	if again.Number != 1 || again.HeadSHA == pr.HeadSHA || len(again.Approvers) != 0 {
		t.Errorf("Ensure after a push = #%d head %.8s approvers %v; want #1, a new head, no approvers", again.Number, again.HeadSHA, again.Approvers)
	}
	if err := e.prov.Close(ctx, 1, "cancelled"); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if got, _ := e.prov.Get(ctx, 1); got.State != promotion.PRClosed {
		t.Errorf("after Close: %s, want closed", got.State)
	}
	if out, err := gittest.GitErr(e.bare, "rev-parse", "--verify", "refs/heads/"+head); err == nil {
		t.Errorf("branch %s still exists after Close: %s", head, out)
	}
	var de *derrors.Error
	if _, err := e.prov.Approve(ctx, 1, "carol"); !errors.As(err, &de) || de.Code != "not_approvable" {
		t.Errorf("Approve(closed) = %v, want not_approvable", err)
	}
	e.push(t, "tag: v2\nother: a\n")
	if next := e.ensure(t); next.Number != 2 {
		t.Errorf("the next pull request is #%d, want #2", next.Number)
	}
}

func TestMergeEdit(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		edit    promotion.Edit
		wantErr bool
	}{
		{name: "merge commit makes the edit again on the base", edit: setTag},
		{name: "an edit that cannot be made writes nothing", edit: promotion.Edit{Apply: func(gitrepo.Snapshot) (map[string][]byte, error) {
			return nil, errors.New("target file gone")
		}}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			pr := e.ensure(t)
			// Someone changes another line of the file on main meanwhile: the
			// merge keeps it, as a re-applied edit does.
			work := t.TempDir()
			gittest.Git(t, "", "clone", "-q", e.bare, work)
			gittest.WriteFile(t, work, "prod/values.yaml", "tag: v1\nother: b\n")
			gittest.Git(t, work, "commit", "-qam", "other: b")
			gittest.Git(t, work, "push", "-q", "origin", "main")
			if _, err := e.prov.Approve(ctx, pr.Number, "alice"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.prov.Merge(ctx, pr.Number, pr.HeadSHA); err == nil {
				t.Error("Merge() without the edit = nil, want it refused")
			}
			merged, err := e.prov.MergeEdit(ctx, pr.Number, pr.HeadSHA, tc.edit)
			if tc.wantErr {
				if err == nil {
					t.Fatal("MergeEdit() = nil, want the edit's error")
				}
				if got, _ := e.prov.Get(ctx, pr.Number); got.State != promotion.PROpen {
					t.Errorf("after a failed merge: %s, want open", got.State)
				}
				return
			}
			if err != nil {
				t.Fatalf("MergeEdit() = %v", err)
			}
			if merged.State != promotion.PRMerged || merged.MergedBy != "alice" || merged.MergeSHA == "" {
				t.Fatalf("merged = %+v", merged)
			}
			if got := gittest.Git(t, e.bare, "show", "main:prod/values.yaml"); got != "tag: v2\nother: b" {
				t.Errorf("main after the merge:\n%s\nwant the edit and the other change", got)
			}
			if msg := gittest.Git(t, e.bare, "log", "-1", "--format=%s", "main"); msg != "Merge "+head+": payments: prod ← v2" {
				t.Errorf("merge subject %q", msg)
			}
			if parents := gittest.Git(t, e.bare, "log", "-1", "--format=%P", "main"); len(parents) != 81 || parents[41:] != pr.HeadSHA {
				t.Errorf("merge parents %q, want main's head and the pull request's head %s", parents, pr.HeadSHA)
			}
			if _, err := gittest.GitErr(e.bare, "rev-parse", "--verify", "refs/heads/"+head); err == nil {
				t.Errorf("branch %s still exists after the merge", head)
			}
			again, err := e.prov.MergeEdit(ctx, pr.Number, pr.HeadSHA, tc.edit)
			if err != nil || again.MergeSHA != merged.MergeSHA {
				t.Errorf("MergeEdit() again = %s, %v; want the same merge %s", again.MergeSHA, err, merged.MergeSHA)
			}
		})
	}
}
