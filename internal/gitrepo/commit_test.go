package gitrepo

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const kustomization = `# managed by people and by Ferry
images:
  - name: ghcr.io/acme/app
    newTag: "1.0.0"   # keep this comment
`

func envFiles() map[string]string {
	return map[string]string{
		"ferry.yaml":                        "environments: [dev, stage]\n",
		"envs/dev/app/kustomization.yaml":   kustomization,
		"envs/stage/app/kustomization.yaml": kustomization,
		"envs/dev/other/values.yaml":        "image: {tag: old}\n",
		"scripts/deploy.sh":                 "exec:#!/bin/sh\necho deploy\n",
	}
}

func TestCommitModifiesOnlyTheGivenFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bare := newBare(t, envFiles())
	before := git(t, bare, "ls-tree", "-r", "main")
	oldHead := git(t, bare, "rev-parse", "main")
	r := openRepo(t, Config{URL: bare, Author: Signature{Name: "Ferry Bot", Email: "bot@ferry.example"}})

	edited := strings.Replace(kustomization, `"1.0.0"`, `"1.2.0@sha256:abc"`, 1)
	msg := "Promote app 1.2.0 to dev\n\nFerry-Release: rel-1\nFerry-Digest: sha256:abc\n"
	res, err := r.Commit(ctx, "main", func(s Snapshot) (Change, error) {
		if s.Head() != oldHead {
			t.Errorf("build saw head %s, want %s", s.Head(), oldHead)
		}
		return Change{Message: msg, Files: map[string][]byte{
			"envs/dev/app/kustomization.yaml": []byte(edited),
			"scripts/deploy.sh":               []byte("#!/bin/sh\necho deploy v2\n"),
		}}, nil
	})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if !res.Changed || res.Attempts != 1 {
		t.Errorf("Result = %+v, want Changed and 1 attempt", res)
	}
	if head := git(t, bare, "rev-parse", "main"); head != res.SHA {
		t.Fatalf("remote main = %s, Result.SHA = %s", head, res.SHA)
	}
	if got := git(t, bare, "rev-parse", "main^"); got != oldHead {
		t.Errorf("parent = %s, want %s", got, oldHead)
	}
	if got := git(t, bare, "show", "main:envs/dev/app/kustomization.yaml"); got+"\n" != edited {
		t.Errorf("file content = %q, want %q", got, edited)
	}

	// Only the two edited entries differ, and the executable keeps its mode.
	after := git(t, bare, "ls-tree", "-r", "main")
	bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
	if len(bl) != len(al) {
		t.Fatalf("ls-tree has %d entries after, %d before", len(al), len(bl))
	}
	var changed []string
	for i := range bl {
		if bl[i] != al[i] {
			changed = append(changed, al[i])
		}
	}
	if len(changed) != 2 || !strings.HasPrefix(changed[0], "100644 blob") || !strings.HasSuffix(changed[0], "envs/dev/app/kustomization.yaml") ||
		!strings.HasPrefix(changed[1], "100755 blob") || !strings.HasSuffix(changed[1], "scripts/deploy.sh") {
		t.Errorf("changed entries = %q", changed)
	}

	if got := git(t, bare, "log", "-1", "--format=%B", "main"); got+"\n" != msg {
		t.Errorf("message = %q, want %q", got, msg)
	}
	if got := git(t, bare, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "main"); got != "Ferry Bot <bot@ferry.example>|Ferry Bot <bot@ferry.example>" {
		t.Errorf("author|committer = %q", got)
	}
	if got := git(t, bare, "log", "-1", "--format=%(trailers:key=Ferry-Release,valueonly)", "main"); got != "rel-1" {
		t.Errorf("git sees trailer Ferry-Release = %q", got)
	}
	fsck(t, bare)

	if res.Head.Head() != res.SHA {
		t.Errorf("Result.Head.Head() = %s", res.Head.Head())
	}
	if b, err := res.Head.ReadFile("envs/dev/app/kustomization.yaml"); err != nil || string(b) != edited {
		t.Errorf("Result.Head.ReadFile = %q, %v", b, err)
	}
}

func TestCommitDefaultAuthor(t *testing.T) {
	t.Parallel()
	bare := newBare(t, envFiles())
	r := openRepo(t, Config{URL: "file://" + bare})
	if _, err := r.Commit(context.Background(), "main", setFiles("m\n", map[string]string{"ferry.yaml": "x\n"})); err != nil {
		t.Fatal(err)
	}
	if got := git(t, bare, "log", "-1", "--format=%an <%ae>", "main"); got != "Ferry <ferry@localhost>" {
		t.Errorf("author = %q", got)
	}
}

// TestCommitAddsFiles checks that trees Ferry builds are the very trees git
// builds for the same content: same hashes, so same entry order and modes.
func TestCommitAddsFiles(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"README.md": "env repo\n",
		"d/a.yaml":  "a\n",
		"d/a-b/x":   "x\n",
		"d/a/x":     "x\n",
		"d/a0":      "0\n",
		"d/sub/z/w": "w\n",
	}
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"new nested directory", map[string]string{"envs/prod/app/kustomization.yaml": kustomization}},
		{"new file at root", map[string]string{"0first": "1\n", "zz": "2\n"}},
		{"tricky names in an existing directory", map[string]string{
			"d/a.b":      "file between a-b/ and a.yaml\n",
			"d/a.b.yaml": "f\n",
			"d/a+":       "plus\n",
			"d/a/y":      "y in existing dir a/\n",
			"d/a-b/y":    "y in existing dir a-b/\n",
			"d/a-c/n":    "new dir a-c/\n",
			"d/a.c/n":    "new dir a.c/ sorting after a.b.yaml\n",
			"d/a0/n":     "", // refused below: a0 is a file
		}},
		{"deep new file under existing dirs", map[string]string{"d/sub/z/v/u": "u\n", "d/sub/y": "y\n"}},
		{"empty file", map[string]string{"d/empty": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bare := newBare(t, base)
			files := map[string]string{}
			for k, v := range tt.files {
				if k != "d/a0/n" {
					files[k] = v
				}
			}
			r := openRepo(t, Config{URL: bare})
			res, err := r.Commit(context.Background(), "main", setFiles("add\n", files))
			if err != nil {
				t.Fatalf("Commit: %v", err)
			}
			fsck(t, bare)

			// The same change made by git itself.
			work := t.TempDir()
			git(t, "", "clone", "-q", "file://"+bare, work)
			git(t, work, "checkout", "-q", "main^")
			writeFiles(t, work, files)
			git(t, work, "add", "-A")
			git(t, work, "commit", "-q", "-m", "add")
			want := git(t, work, "rev-parse", "HEAD^{tree}")
			if got := git(t, bare, "rev-parse", res.SHA+"^{tree}"); got != want {
				t.Errorf("tree = %s, git builds %s\nferry:\n%s\ngit:\n%s", got, want,
					git(t, bare, "ls-tree", "-r", "-t", res.SHA), git(t, work, "ls-tree", "-r", "-t", "HEAD"))
			}
			for k, v := range files {
				if got, err := res.Head.ReadFile(k); err != nil || string(got) != v {
					t.Errorf("ReadFile(%q) = %q, %v", k, got, err)
				}
			}

			if _, ok := tt.files["d/a0/n"]; ok {
				_, err := r.Commit(context.Background(), "main", setFiles("x\n", map[string]string{"d/a0/n": "n\n"}))
				if err == nil || !strings.Contains(err.Error(), "not a directory") {
					t.Errorf("writing under a file: err = %v", err)
				}
			}
		})
	}
}

func TestCommitRefusesConflictingPaths(t *testing.T) {
	t.Parallel()
	bare := newBare(t, map[string]string{"a/b": "x\n", "link": "symlink:a", "dir/f": "f\n"})
	head := git(t, bare, "rev-parse", "main")
	r := openRepo(t, Config{URL: bare})
	tests := []struct {
		name   string
		files  map[string]string
		unsafe bool
	}{
		{"dotdot", map[string]string{"../x": "x"}, true},
		{"absolute", map[string]string{"/etc/x": "x"}, true},
		{"through symlink", map[string]string{"link/b": "x"}, true},
		{"over symlink", map[string]string{"link": "x"}, true},
		{"into .git", map[string]string{".git/config": "x"}, true},
		{"unclean", map[string]string{"a//b": "x"}, true},
		{"over a directory", map[string]string{"dir": "x"}, false},
		{"file and dir at once", map[string]string{"n": "x", "n/m": "y"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Commit(context.Background(), "main", setFiles("m\n", tt.files))
			if err == nil {
				t.Fatal("Commit succeeded")
			}
			if got := errors.Is(err, ErrUnsafePath); got != tt.unsafe {
				t.Errorf("errors.Is(%v, ErrUnsafePath) = %v, want %v", err, got, tt.unsafe)
			}
		})
	}
	if got := git(t, bare, "rev-parse", "main"); got != head {
		t.Errorf("remote moved to %s", got)
	}
}

func TestCommitNoop(t *testing.T) {
	t.Parallel()
	bare := newBare(t, envFiles())
	head := git(t, bare, "rev-parse", "main")
	r := openRepo(t, Config{URL: bare})
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"no files", nil},
		{"identical content", map[string]string{"envs/dev/app/kustomization.yaml": kustomization, "ferry.yaml": "environments: [dev, stage]\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Commit(context.Background(), "main", setFiles("nothing\n", tt.files))
			if err != nil {
				t.Fatal(err)
			}
			if res.Changed || res.SHA != head || res.Attempts != 1 || res.Head.Head() != head {
				t.Errorf("Result = %+v, want unchanged at %s", res, head)
			}
			if got := git(t, bare, "rev-parse", "main"); got != head {
				t.Errorf("remote moved to %s", got)
			}
		})
	}
}

func TestCommitBuildErrorAborts(t *testing.T) {
	t.Parallel()
	bare := newBare(t, envFiles())
	head := git(t, bare, "rev-parse", "main")
	r := openRepo(t, Config{URL: bare})
	boom := errors.New("app not in ferry.yaml")
	_, err := r.Commit(context.Background(), "main", func(Snapshot) (Change, error) { return Change{}, boom })
	if err != boom {
		t.Errorf("err = %v, want the build error as is", err)
	}
	if got := git(t, bare, "rev-parse", "main"); got != head {
		t.Errorf("remote moved to %s", got)
	}
}

// TestCommitRetriesAfterServerSideRace covers the race the advertised refs
// cannot show: the branch moves after Ferry saw it and before the server
// updates it, so receive-pack itself refuses the update.
// TestCommitRefusedByServer: a push refused while the branch stays put is a
// failure of the server (503), not a conflict, and is not retried.
func TestCommitRefusesEmptyMessage(t *testing.T) {
	t.Parallel()
	bare := newBare(t, envFiles())
	r := openRepo(t, Config{URL: bare})
	if _, err := r.Commit(context.Background(), "main", setFiles(" \n", map[string]string{"ferry.yaml": "x\n"})); err == nil {
		t.Error("a commit with an empty message was pushed")
	}
}
