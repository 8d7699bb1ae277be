package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
)

func TestCommitRetriesAfterConcurrentPush(t *testing.T) {
	t.Parallel()
	bare := newBare(t, envFiles())
	r := openRepo(t, Config{URL: bare})

	var heads []string
	var human string
	res, err := r.Commit(context.Background(), "main", func(s Snapshot) (Change, error) {
		heads = append(heads, s.Head())
		old, err := s.ReadFile("envs/dev/app/kustomization.yaml")
		if err != nil {
			return Change{}, err
		}
		if len(heads) == 1 {
			// A person pushes between Ferry's fetch and its push, to the same file.
			human = humanPush(t, bare, "main", map[string]string{
				"envs/dev/app/kustomization.yaml": "# human note\n" + kustomization,
			}, "Human edit")
		}
		return Change{Message: "Ferry edit\n", Files: map[string][]byte{
			"envs/dev/app/kustomization.yaml": []byte(strings.Replace(string(old), "1.0.0", "2.0.0", 1)),
		}}, nil
	})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if res.Attempts != 2 || len(heads) != 2 || heads[1] != human {
		t.Fatalf("attempts = %d, build saw heads %v, human pushed %s", res.Attempts, heads, human)
	}
	if _, err := gitErr(bare, "merge-base", "--is-ancestor", human, "main"); err != nil {
		t.Errorf("human commit %s is not an ancestor of main: %v", human, err)
	}
	if got := git(t, bare, "rev-parse", "main^"); got != human {
		t.Errorf("Ferry's parent = %s, want the human commit %s", got, human)
	}
	want := "# human note\n" + strings.Replace(kustomization, "1.0.0", "2.0.0", 1)
	if got := git(t, bare, "show", "main:envs/dev/app/kustomization.yaml"); got+"\n" != want {
		t.Errorf("file = %q, want both edits %q", got, want)
	}
	// Nothing was rewritten: the reflog-free check is the ancestry above,
	// plus a linear history of exactly three commits.
	if got := git(t, bare, "rev-list", "--count", "main"); got != "3" {
		t.Errorf("history has %s commits, want 3", got)
	}
	fsck(t, bare)
}

func TestCommitGivesUpWithConflict(t *testing.T) {
	t.Parallel()
	bare := newBare(t, envFiles())
	r := openRepo(t, Config{URL: bare, MaxAttempts: 3})
	calls := 0
	var last string
	_, err := r.Commit(context.Background(), "main", func(s Snapshot) (Change, error) {
		calls++
		last = humanPush(t, bare, "main", map[string]string{"human.txt": fmt.Sprint(calls)}, "Human")
		return Change{Message: "Ferry\n", Files: map[string][]byte{"ferry.yaml": []byte("changed\n")}}, nil
	})
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	if de, ok := derrors.As(err); !ok || de.Kind != derrors.Conflict || de.Code != CodeConflict {
		t.Errorf("domain error = %+v", de)
	}
	if calls != 3 {
		t.Errorf("build called %d times, want 3", calls)
	}
	if got := git(t, bare, "rev-parse", "main"); got != last {
		t.Errorf("remote main = %s, want the last human commit %s", got, last)
	}
}

func TestCommitRetriesAfterServerSideRace(t *testing.T) {
	t.Parallel()
	bare := newBare(t, envFiles())
	hook := `#!/bin/sh
# Outside the push quarantine, so that the racing commit is really stored.
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
if [ ! -e raced ]; then
	touch raced
	old=$(git rev-parse refs/heads/main)
	new=$(echo "Racing human" | git commit-tree "$old^{tree}" -p "$old")
	git update-ref refs/heads/main "$new" "$old"
fi
`
	writeFiles(t, bare, map[string]string{"hooks/pre-receive": "exec:" + hook})
	r := openRepo(t, Config{URL: bare})
	calls := 0
	res, err := r.Commit(context.Background(), "main", func(Snapshot) (Change, error) {
		calls++
		return Change{Message: "Ferry\n", Files: map[string][]byte{"ferry.yaml": []byte("raced\n")}}, nil
	})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if calls != 2 || res.Attempts != 2 {
		t.Errorf("build called %d times, %d attempts; want 2", calls, res.Attempts)
	}
	if got := git(t, bare, "log", "-1", "--format=%s", "main^"); got != "Racing human" {
		t.Errorf("parent of Ferry's commit is %q, want the racing commit", got)
	}
	if got := git(t, bare, "rev-parse", "main"); got != res.SHA {
		t.Errorf("main = %s, want %s", got, res.SHA)
	}
	fsck(t, bare)
}

func TestCommitRefusedByServer(t *testing.T) {
	t.Parallel()
	bare := newBare(t, envFiles())
	head := git(t, bare, "rev-parse", "main")
	writeFiles(t, bare, map[string]string{"hooks/pre-receive": "exec:#!/bin/sh\necho 'policy says no' >&2\nexit 1\n"})
	r := openRepo(t, Config{URL: bare})
	calls := 0
	_, err := r.Commit(context.Background(), "main", func(Snapshot) (Change, error) {
		calls++
		return Change{Message: "Ferry\n", Files: map[string][]byte{"ferry.yaml": []byte("refused\n")}}, nil
	})
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrConflict) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if de, ok := derrors.As(err); !ok || de.Kind != derrors.Unavailable || de.Code != CodeUnavailable {
		t.Errorf("domain error = %+v", de)
	}
	if calls != 1 {
		t.Errorf("build called %d times, want 1", calls)
	}
	if got := git(t, bare, "rev-parse", "main"); got != head {
		t.Errorf("remote moved to %s", got)
	}
}
