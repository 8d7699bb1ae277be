package e2e

import (
	"os"
	"testing"

	"github.com/ferryhq/ferry/deploy/examples"
)

func examplesFS(p string) ([]byte, error) { return examples.EnvRepo.ReadFile("env-repo/" + p) }

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
