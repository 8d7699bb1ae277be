package gitrepo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOpenValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"absolute path", Config{URL: "/srv/git/env.git"}, true},
		{"file URL", Config{URL: "file:///srv/git/env.git"}, true},
		{"https", Config{URL: "https://git.example/acme/env.git", Auth: Auth{Token: "t0ken"}}, true},
		{"scp-like ssh", Config{URL: "git@git.example:acme/env.git"}, true},
		{"empty", Config{}, false},
		{"relative path", Config{URL: "env.git"}, false},
		{"unsupported scheme", Config{URL: "ftp://git.example/env.git"}, false},
		{"password in URL", Config{URL: "https://bot:hunter2secret@git.example/env.git"}, false},
		{"author with newline", Config{URL: "/x", Author: Signature{Name: "a\nb"}}, false},
		{"negative timeout", Config{URL: "/x", Timeout: -time.Second}, false},
		{"bad ssh key", Config{URL: "ssh://git@git.example/env.git", Auth: Auth{SSHKey: []byte("nope")}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.cfg, nil)
			if (err == nil) != tt.ok {
				t.Fatalf("Open error = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}

	r, err := Open(Config{URL: "https://git.example/env.git", Auth: Auth{Token: "t0ken"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.cfg.Timeout != DefaultTimeout || r.cfg.MaxAttempts != DefaultMaxAttempts || r.cfg.RecloneAfter != DefaultRecloneAfter ||
		r.cfg.Author != (Signature{"Ferry", "ferry@localhost"}) || r.cfg.Auth.Username != DefaultTokenUsername {
		t.Errorf("defaults not applied: %+v", r.cfg)
	}
}

func TestRecloneAfterCommits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bare := newBare(t, envFiles())
	r := openRepo(t, Config{URL: bare, RecloneAfter: 2})

	var first Snapshot
	clones := map[*clone]bool{}
	for i := 1; i <= 5; i++ {
		res, err := r.Commit(ctx, "main", setFiles(fmt.Sprintf("c%d\n", i), map[string]string{"ferry.yaml": fmt.Sprint(i)}))
		if err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
		if i == 1 {
			first = res.Head
		}
		clones[res.Head.(*snapshot).c] = true
		if got := git(t, bare, "rev-parse", "main"); got != res.SHA {
			t.Fatalf("commit %d: remote at %s, want %s", i, got, res.SHA)
		}
	}
	if len(clones) != 3 {
		t.Errorf("5 commits used %d clones, want 3 with RecloneAfter 2", len(clones))
	}
	if got := git(t, bare, "rev-list", "--count", "main"); got != "6" {
		t.Errorf("history has %s commits, want 6", got)
	}
	// A snapshot from a dropped clone still reads.
	if b, err := first.ReadFile("ferry.yaml"); err != nil || string(b) != "1" {
		t.Errorf("old snapshot ReadFile = %q, %v", b, err)
	}
	fsck(t, bare)
}

func TestConcurrentCommits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bare := newBare(t, envFiles())
	r := openRepo(t, Config{URL: bare})
	reader, err := r.Read(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}

	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := r.Commit(ctx, "main", setFiles(fmt.Sprintf("app%d\n", i), map[string]string{fmt.Sprintf("envs/dev/app%d.yaml", i): "v\n"}))
			errs <- err
		}()
		go func() { // readers of an older snapshot run alongside the writers
			defer wg.Done()
			_, err := reader.ReadFile("ferry.yaml")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := git(t, bare, "rev-list", "--count", "main"); got != fmt.Sprint(n+1) {
		t.Errorf("history has %s commits, want %d", got, n+1)
	}
	files := git(t, bare, "ls-tree", "-r", "--name-only", "main", "envs/dev/")
	for i := range n {
		if !strings.Contains(files, fmt.Sprintf("envs/dev/app%d.yaml", i)) {
			t.Errorf("app%d.yaml missing", i)
		}
	}
	fsck(t, bare)
}
