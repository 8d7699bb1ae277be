// Command vulncheck reads govulncheck's JSON stream on stdin and fails when
// our code calls a vulnerable function of a module we can upgrade. Findings
// in the standard library are printed as warnings: they are fixed by a newer
// Go toolchain, not by this repository.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

type message struct {
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Package  string `json:"package"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

func main() {
	dec := json.NewDecoder(os.Stdin)
	called := map[string]string{} // osv → "module@version (fixed in …)"
	stdlib := map[string]string{}
	for {
		var m message
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "vulncheck: reading govulncheck output:", err)
			os.Exit(2)
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // imported or required but not called
		}
		t := f.Trace[0]
		line := fmt.Sprintf("%s %s@%s, fixed in %s", f.OSV, t.Module, t.Version, f.FixedVersion)
		if t.Module == "stdlib" || t.Module == "toolchain" {
			stdlib[f.OSV] = line
		} else {
			called[f.OSV] = line
		}
	}
	for _, l := range sorted(stdlib) {
		fmt.Println("warning: standard library:", l)
	}
	for _, l := range sorted(called) {
		fmt.Println("vulnerable:", l)
	}
	if len(called) > 0 {
		fmt.Printf("vulncheck: our code calls %d vulnerable dependencies: upgrade them\n", len(called))
		os.Exit(1)
	}
	fmt.Printf("vulncheck: no called vulnerability in our dependencies (%d in the Go standard library, fixed by a newer toolchain)\n", len(stdlib))
}

func sorted(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
