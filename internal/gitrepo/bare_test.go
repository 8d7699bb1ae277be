package gitrepo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/ferryhq/ferry/internal/gitrepo/gittest"
)

// git, gitErr and gitEnv run the git CLI apart from the machine's
// configuration.
var (
	git    = gittest.Git
	gitErr = gittest.GitErr
	gitEnv = gittest.Env
)

// newBare makes a bare repository whose branch main holds files (a value
// starting with "symlink:" makes a symbolic link to the rest; "exec:" an
// executable file) and returns its path.
func newBare(tb testing.TB, files map[string]string) string {
	tb.Helper()
	work := tb.TempDir()
	writeFiles(tb, work, files)
	return gittest.NewBare(tb, work, "Initial environments")
}

func writeFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		var err error
		switch {
		case strings.HasPrefix(content, "symlink:"):
			err = os.Symlink(strings.TrimPrefix(content, "symlink:"), p)
		case strings.HasPrefix(content, "exec:"):
			err = os.WriteFile(p, []byte(strings.TrimPrefix(content, "exec:")), 0o755)
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// humanPush commits files to branch of bare from a separate clone, as a
// person would, and returns the new head.
func humanPush(tb testing.TB, bare, branch string, files map[string]string, msg string) string {
	tb.Helper()
	work := tb.TempDir()
	git(tb, "", "clone", "-q", "--depth", "1", "-b", branch, "file://"+bare, work)
	writeFiles(tb, work, files)
	git(tb, work, "add", "-A")
	git(tb, work, "commit", "-q", "-m", msg)
	git(tb, work, "push", "-q", "origin", branch)
	return git(tb, work, "rev-parse", "HEAD")
}

func openRepo(tb testing.TB, cfg Config) *Repo {
	tb.Helper()
	r, err := Open(cfg, zaptest.NewLogger(tb))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return r
}

// setFiles is a build function writing fixed files with a fixed message.
func setFiles(msg string, files map[string]string) func(Snapshot) (Change, error) {
	return func(Snapshot) (Change, error) {
		ch := Change{Message: msg, Files: map[string][]byte{}}
		for k, v := range files {
			ch.Files[k] = []byte(v)
		}
		return ch, nil
	}
}

func fsck(tb testing.TB, bare string) {
	tb.Helper()
	git(tb, bare, "fsck", "--strict", "--no-progress")
}
