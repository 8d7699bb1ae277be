package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// outputFlag is -o/--output: a table (default), a wider table, or JSON for
// scripts.
type outputFlag struct{ format string }

func (o *outputFlag) register(cmd *cobra.Command, wide bool) {
	formats := []string{"json"}
	help := `output format: "json" for scripts`
	if wide {
		formats = append(formats, "wide")
		help = `output format: "wide" for every column, "json" for scripts`
	}
	cmd.Flags().StringVarP(&o.format, "output", "o", "", help)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if o.format != "" && !contains(formats, o.format) {
			return fmt.Errorf("--output must be one of %s, not %q", strings.Join(formats, ", "), o.format)
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

func (o *outputFlag) json() bool { return o.format == "json" }
func (o *outputFlag) wide() bool { return o.format == "wide" }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// writeJSON writes v indented; it returns the exit status.
func writeJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}

// table aligns tab-separated rows in columns, two spaces apart, with no
// trailing spaces (tabwriter pads a cell before an empty last one).
type table struct {
	buf bytes.Buffer
	tw  *tabwriter.Writer
	out io.Writer
}

func newTable(out io.Writer, header ...string) *table {
	t := &table{out: out}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 4, 2, ' ', 0)
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		// A tab or newline inside a cell would break the columns.
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() {
	_ = t.tw.Flush()
	for _, l := range strings.SplitAfter(t.buf.String(), "\n") {
		if l == "" {
			continue
		}
		fmt.Fprintln(t.out, strings.TrimRight(l, " \n"))
	}
	t.buf.Reset()
}

// short returns s cut to n bytes.
func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ellipsis returns s cut to n runes, marking the cut with "…".
func ellipsis(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
