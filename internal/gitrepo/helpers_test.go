package gitrepo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"
)

// gitEnv makes the git CLI ignore the machine's configuration.
var gitEnv = []string{
	"GIT_CONFIG_NOSYSTEM=1",
	"GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_AUTHOR_NAME=Human", "GIT_AUTHOR_EMAIL=human@example.com",
	"GIT_COMMITTER_NAME=Human", "GIT_COMMITTER_EMAIL=human@example.com",
	"GIT_TERMINAL_PROMPT=0",
}

// git runs the git CLI in dir and returns its trimmed output.
func git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := gitErr(dir, args...)
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func gitErr(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// newBare makes a bare repository whose branch main holds files (a value
// starting with "symlink:" makes a symbolic link to the rest; "exec:" an
// executable file) and returns its path.
func newBare(tb testing.TB, files map[string]string) string {
	tb.Helper()
	bare := filepath.Join(tb.TempDir(), "env.git")
	git(tb, "", "init", "-q", "--bare", "-b", "main", bare)
	work := tb.TempDir()
	git(tb, work, "init", "-q", "-b", "main")
	writeFiles(tb, work, files)
	git(tb, work, "add", "-A")
	git(tb, work, "commit", "-q", "-m", "Initial environments")
	git(tb, work, "push", "-q", bare, "main")
	return bare
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
