package gitrepo

import (
	"context"
	"errors"
	"io/fs"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
)

func TestReadFile(t *testing.T) {
	t.Parallel()
	bare := newBare(t, map[string]string{
		"envs/dev/app.yaml": "dev\n",
		"secret":            "do not read\n",
		"linkdir":           "symlink:envs",
		"linkfile":          "symlink:secret",
		"outside":           "symlink:../../etc/passwd",
	})
	r := openRepo(t, Config{URL: bare})
	s, err := r.Read(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	if s.Branch() != "main" || s.Head() != git(t, bare, "rev-parse", "main") {
		t.Errorf("snapshot of %q at %q", s.Branch(), s.Head())
	}
	if b, err := s.ReadFile("envs/dev/app.yaml"); err != nil || string(b) != "dev\n" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	tests := []struct {
		path string
		want error // nil: some other error
	}{
		{"..", ErrUnsafePath},
		{"../env.git/config", ErrUnsafePath},
		{"envs/../secret", ErrUnsafePath},
		{"/etc/passwd", ErrUnsafePath},
		{"./secret", ErrUnsafePath},
		{"", ErrUnsafePath},
		{".git/HEAD", ErrUnsafePath},
		{"linkfile", ErrUnsafePath},
		{"linkdir/dev/app.yaml", ErrUnsafePath},
		{"outside", ErrUnsafePath},
		{"missing.yaml", fs.ErrNotExist},
		{"envs/dev/missing.yaml", fs.ErrNotExist},
		{"secret/below-a-file", fs.ErrNotExist},
		{"envs/dev", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			b, err := s.ReadFile(tt.path)
			if err == nil {
				t.Fatalf("ReadFile(%q) = %q, want an error", tt.path, b)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("ReadFile(%q) error = %v, want %v", tt.path, err, tt.want)
			}
			if tt.want == nil && (errors.Is(err, ErrUnsafePath) || errors.Is(err, fs.ErrNotExist)) {
				t.Errorf("ReadFile(%q) error = %v", tt.path, err)
			}
		})
	}
}

func TestReadMissingBranch(t *testing.T) {
	t.Parallel()
	bare := newBare(t, envFiles())
	r := openRepo(t, Config{URL: bare})
	s, err := r.Read(context.Background(), "does-not-exist")
	if err != nil {
		t.Fatal(err)
	}
	if s.Head() != "" {
		t.Errorf("Head() = %q, want empty", s.Head())
	}
	if _, err := s.ReadFile("ferry.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile error = %v, want fs.ErrNotExist", err)
	}
	n := 0
	if err := s.Walk(10, func(CommitInfo) bool { n++; return true }); err != nil || n != 0 {
		t.Errorf("Walk visited %d, err %v", n, err)
	}

	_, err = r.Commit(context.Background(), "does-not-exist", setFiles("m\n", map[string]string{"x": "x"}))
	if de, ok := derrors.As(err); !ok || de.Kind != derrors.NotFound {
		t.Errorf("Commit to a missing branch without FromBranch: %v", err)
	}
	if _, err := r.Read(context.Background(), "bad..name"); err == nil {
		t.Error("Read accepted an invalid branch name")
	}
}

func TestCommitFromBranch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bare := newBare(t, envFiles())
	main := git(t, bare, "rev-parse", "main")
	r := openRepo(t, Config{URL: bare})

	// Nothing to change: the branch is not created.
	res, err := r.Commit(ctx, "ferry/app-prod", setFiles("m\n", map[string]string{"ferry.yaml": "environments: [dev, stage]\n"}), FromBranch("main"))
	if err != nil || res.Changed || res.SHA != main {
		t.Fatalf("no-op on a new branch: %+v, %v", res, err)
	}
	if _, err := gitErr(bare, "rev-parse", "--verify", "refs/heads/ferry/app-prod"); err == nil {
		t.Fatal("no-op created the branch")
	}

	res, err = r.Commit(ctx, "ferry/app-prod", func(s Snapshot) (Change, error) {
		if s.Branch() != "ferry/app-prod" || s.Head() != main {
			t.Errorf("build saw %q at %q, want the new branch at main's head", s.Branch(), s.Head())
		}
		return Change{Message: "Promote app to prod\n", Files: map[string][]byte{"envs/prod/app/kustomization.yaml": []byte(kustomization)}}, nil
	}, FromBranch("main"))
	if err != nil || !res.Changed {
		t.Fatalf("Commit: %+v, %v", res, err)
	}
	if got := git(t, bare, "rev-parse", "ferry/app-prod"); got != res.SHA {
		t.Errorf("branch at %s, want %s", got, res.SHA)
	}
	if got := git(t, bare, "rev-parse", "ferry/app-prod^"); got != main {
		t.Errorf("parent %s, want main %s", got, main)
	}
	if got := git(t, bare, "rev-parse", "main"); got != main {
		t.Errorf("main moved to %s", got)
	}

	// Once the branch exists, the base is ignored and the branch moves on.
	res2, err := r.Commit(ctx, "ferry/app-prod", setFiles("Newer release\n", map[string]string{"envs/prod/app/kustomization.yaml": "v2\n"}), FromBranch("main"))
	if err != nil {
		t.Fatal(err)
	}
	if got := git(t, bare, "rev-parse", "ferry/app-prod^"); got != res.SHA {
		t.Errorf("second commit's parent %s, want %s", got, res.SHA)
	}
	fsck(t, bare)

	// A fresh Repo reading the PR branch sees the second commit.
	s, err := openRepo(t, Config{URL: bare}).Read(ctx, "ferry/app-prod")
	if err != nil || s.Head() != res2.SHA {
		t.Fatalf("Read = %v, %v", s, err)
	}

	_, err = r.Commit(ctx, "other", setFiles("m\n", map[string]string{"x": "x"}), FromBranch("nope"))
	if de, ok := derrors.As(err); !ok || de.Kind != derrors.NotFound {
		t.Errorf("missing base: %v", err)
	}
}
