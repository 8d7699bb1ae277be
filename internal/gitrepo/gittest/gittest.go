// Package gittest is test support for code that meets Git repositories:
// it runs the git CLI apart from the machine's configuration, seeds bare
// repositories, and writes out the example environment repository.
package gittest

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/deploy/examples"
)

// Env makes the git CLI ignore the machine's configuration, commit as
// "Human <human@example.com>" and never prompt; append it to a command's
// environment.
var Env = []string{
	"GIT_CONFIG_NOSYSTEM=1",
	"GIT_CONFIG_GLOBAL=/dev/null",
	"GIT_AUTHOR_NAME=Human", "GIT_AUTHOR_EMAIL=human@example.com",
	"GIT_COMMITTER_NAME=Human", "GIT_COMMITTER_EMAIL=human@example.com",
	"GIT_TERMINAL_PROMPT=0",
}

// Git runs the git CLI with Env in dir ("" for the current directory) and
// returns its output, trimmed of white space; it fails the test if git does.
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	out, err := GitErr(dir, args...)
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// GitErr runs the git CLI with Env in dir and returns its combined output,
// trimmed of white space, and its error.
func GitErr(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), Env...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// NewBare commits every file of the directory work, which must not be a
// repository yet, as the first commit of branch main with message msg,
// pushes it to a new bare repository and returns the bare repository's path.
func NewBare(tb testing.TB, work, msg string) string {
	tb.Helper()
	bare := filepath.Join(tb.TempDir(), "env.git")
	Git(tb, "", "init", "-q", "--bare", "-b", "main", bare)
	Git(tb, work, "init", "-q", "-b", "main")
	Git(tb, work, "add", "-A")
	Git(tb, work, "commit", "-q", "-m", msg)
	Git(tb, work, "push", "-q", bare, "main")
	return bare
}

// WriteExample writes the example environment repository
// (deploy/examples/env-repo) into dir, with "registry.example.com"
// replaced by regHost everywhere.
func WriteExample(tb testing.TB, dir, regHost string) {
	tb.Helper()
	err := fs.WalkDir(examples.EnvRepo, "env-repo", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := examples.EnvRepo.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "env-repo/")))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, []byte(strings.ReplaceAll(string(b), "registry.example.com", regHost)), 0o644)
	})
	if err != nil {
		tb.Fatalf("writing the example environment repository: %v", err)
	}
}

// WriteFile writes content to the file at the slash-separated path p below
// dir, making its directories.
func WriteFile(tb testing.TB, dir, p, content string) {
	tb.Helper()
	full := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		tb.Fatal(fmt.Errorf("writing %s: %w", p, err))
	}
}
