// Command testsummary reads `go test -json` on its standard input and prints
// what a person needs from a test run: the output of failing tests, one line
// per package, build errors, and then every skipped test with its reason. With
// CI=true it exits non-zero when any test skipped, unless allowedSkips lists
// it: in CI everything must run (a skipped store suite looks green but proves
// nothing).
//
// Usage: go test -json ./... | go run ./test/testsummary
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	s, err := summarise(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testsummary: %v\n", err)
		os.Exit(2)
	}
	os.Exit(s.exitCode(os.Getenv("CI") == "true", os.Stdout))
}

// exitCode prints the closing summary to w and says how the run ended: 1 when
// a test or build failed, or (in CI) a test skipped that allowedSkips does not
// list; 0 otherwise.
func (s *summary) exitCode(ci bool, w io.Writer) int {
	code := 0
	if len(s.skips) > 0 {
		fmt.Fprintf(w, "\n%d skipped test(s):\n", len(s.skips))
		for _, sk := range s.skips {
			note := ""
			if _, ok := allowedSkips[sk.id()]; ok {
				note = " (allowed in CI)"
			} else if ci {
				note = " (not allowed in CI)"
				code = 1
			}
			fmt.Fprintf(w, "  SKIP %s%s: %s\n", sk.id(), note, sk.reason)
		}
	}
	if s.failedPkgs > 0 {
		fmt.Fprintf(w, "\nFAIL: %d test(s) failed, in %d package(s)\n", s.failedTests, s.failedPkgs)
		code = 1
	}
	if code != 0 && ci && s.failedPkgs == 0 {
		fmt.Fprintln(w, "\nCI=true: every test must run; fix what made it skip or list it in test/testsummary/allowed.go with the reason")
	}
	return code
}
