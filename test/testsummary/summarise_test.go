package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goTestJSON runs the real `go test -json` on a throwaway module holding src
// as its only test file, and returns what it printed.
func goTestJSON(t *testing.T, src string) []byte {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":       "module example.com/sample\n\ngo 1.26\n",
		"x_test.go":    src,
		"empty/doc.go": "package empty\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "test", "-json", "-count=1", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	out, _ := cmd.Output() // a failing test makes go test exit 1; the JSON is what matters
	return out
}

const sample = `package sample

import "testing"

func TestQuiet(t *testing.T) { t.Log("noise from a passing test") }

func TestNeedsDatabase(t *testing.T) { t.Skip("FERRY_TEST_POSTGRES_DSN not set") }

func TestBroken(t *testing.T) {
	t.Log("context before the failure")
	t.Error("boom")
}

func TestTable(t *testing.T) {
	t.Run("linux", func(t *testing.T) {})
	t.Run("plan9", func(t *testing.T) { t.Skip("not on this system") })
}
`

// TestSummaryShowsFailuresAndListsSkipsWithReasons: the output keeps a
// failing test's log, drops a passing test's, and ends with every skipped
// test (subtests too) and its reason; under CI=true any skip fails the run.
func TestSummaryShowsFailuresAndListsSkipsWithReasons(t *testing.T) {
	var out bytes.Buffer
	s, err := summarise(bytes.NewReader(goTestJSON(t, sample)), &out)
	if err != nil {
		t.Fatal(err)
	}
	code := s.exitCode(true, &out)
	got := out.String()
	for _, want := range []string{
		"context before the failure", "boom", "--- FAIL: TestBroken",
		"FAIL\texample.com/sample",
		"2 skipped test(s):",
		"SKIP example.com/sample.TestNeedsDatabase (not allowed in CI): x_test.go:7: FERRY_TEST_POSTGRES_DSN not set",
		"SKIP example.com/sample.TestTable/plan9 (not allowed in CI): x_test.go:16: not on this system",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "noise from a passing test") {
		t.Errorf("a passing test's log is printed:\n%s", got)
	}
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
}

// TestSkipFailsOnlyUnderCI: a run whose only blemish is a skip passes on a
// developer's machine (with the skip listed) and fails with CI=true, unless
// allowedSkips names the test.
func TestSkipFailsOnlyUnderCI(t *testing.T) {
	s := &summary{skips: []skip{{pkg: "example.com/p", test: "TestX", reason: "no database"}}}
	var out bytes.Buffer
	if code := s.exitCode(false, &out); code != 0 {
		t.Errorf("CI unset: exit code %d, want 0\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "SKIP example.com/p.TestX: no database") {
		t.Errorf("skip not listed:\n%s", out.String())
	}
	if code := s.exitCode(true, &out); code != 1 {
		t.Errorf("CI=true: exit code %d, want 1", code)
	}

	allowedSkips["example.com/p.TestX"] = "cannot run in CI because the test says so"
	defer delete(allowedSkips, "example.com/p.TestX")
	if code := s.exitCode(true, &out); code != 0 {
		t.Errorf("CI=true with the skip allowed: exit code %d, want 0", code)
	}
}

// TestBuildFailureIsShownAndFails: a package that does not compile prints
// the compiler's error and fails the run.
func TestBuildFailureIsShownAndFails(t *testing.T) {
	var out bytes.Buffer
	s, err := summarise(bytes.NewReader(goTestJSON(t, "package sample\n\nfunc broken() { undefined() }\n")), &out)
	if err != nil {
		t.Fatal(err)
	}
	if code := s.exitCode(false, &out); code != 1 {
		t.Errorf("exit code %d, want 1:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "undefined: undefined") {
		t.Errorf("compiler error not shown:\n%s", out.String())
	}
}
