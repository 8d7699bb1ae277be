package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"
)

func versionLine() string {
	return fmt.Sprintf("ferry %s (%s, %s/%s)", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print Ferry's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if out.json() {
				return exit(writeJSON(stdout, map[string]string{"version": version, "go": runtime.Version(),
					"os": runtime.GOOS, "arch": runtime.GOARCH}))
			}
			fmt.Fprintln(stdout, versionLine())
			return nil
		},
	}
	out.register(cmd, false)
	return cmd
}
