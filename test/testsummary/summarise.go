package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json), build events included.
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail
	Test       string
	Output     string
}

// skip is a test that did not run, and what it said about why.
type skip struct {
	pkg, test, reason string
}

func (s skip) id() string { return s.pkg + "." + s.test }

// summary is what summarise learnt from the whole stream.
type summary struct {
	skips       []skip
	failedTests int
	failedPkgs  int // packages that failed, including those that did not build
}

// summarise copies to w the output a person reads (failing tests in full,
// package lines, build errors, anything that is not JSON) and returns the
// skips and failures it saw. Passing tests' output is dropped, as plain
// `go test` does.
func summarise(r io.Reader, w io.Writer) (*summary, error) {
	s := &summary{}
	held := map[string]*strings.Builder{} // output of running tests, by package and test
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(w, "%s\n", line) // e.g. the go command's own errors
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch {
		case e.Action == "build-output":
			fmt.Fprint(w, e.Output)
		case e.Action == "build-fail":
			// The package's own "fail" event follows and is counted there.
		case e.Test == "" && e.Action == "output":
			if e.Output != "PASS\n" && e.Output != "FAIL\n" {
				fmt.Fprint(w, e.Output)
			}
		case e.Test == "" && e.Action == "fail":
			s.failedPkgs++
		case e.Test == "":
			// A package's start, pass or "no test files" skip: nothing to report.
		case e.Action == "output":
			b := held[key]
			if b == nil {
				b = &strings.Builder{}
				held[key] = b
			}
			b.WriteString(e.Output)
		case e.Action == "fail":
			s.failedTests++
			if b := held[key]; b != nil {
				fmt.Fprint(w, b.String())
			}
			delete(held, key)
		case e.Action == "skip":
			reason := ""
			if b := held[key]; b != nil {
				reason = skipReason(b.String())
			}
			s.skips = append(s.skips, skip{pkg: e.Package, test: e.Test, reason: reason})
			delete(held, key)
		case e.Action == "pass":
			delete(held, key)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading go test -json: %w", err)
	}
	return s, nil
}

// skipReason keeps what a skipped test logged, without the framework's own
// "=== RUN" and "--- SKIP" lines.
func skipReason(out string) string {
	var parts []string
	for _, l := range strings.Split(out, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " | ")
}
