// Command ferry is Ferry's server and its command-line client.
//
//	ferry serve [--config ferry-server.yaml | --dev]
//	ferry notify   report a build (for CI)
//	ferry promote  promote or roll back a release
//	ferry approve  approve a built-in pull request
//	ferry cancel   cancel a promotion
//	ferry history  promotion history
//	ferry status   what runs where
//	ferry edit     set an image in a YAML file, as Ferry would
//	ferry reindex  rebuild the store from the repositories' commit trailers
//	ferry completion bash|zsh|fish|powershell
//	ferry version
//
// The command line is built on cobra/pflag, as kubectl, flux, argocd and helm
// are: flags may follow positional arguments, and shell completion comes
// with it.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exitError ends a command with an exit status; it has already said why.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// exit turns a command's documented exit status into cobra's error.
func exit(code int) error {
	if code == 0 {
		return nil
	}
	return exitError(code)
}

// run runs the ferry command line with args and returns the exit status:
// 0 done, 1 refused or failed, 2 usage, 3 Ferry unreachable or
// unavailable, 4 notify --wait ended before the commit.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	if len(args) == 0 {
		root.SetOut(stderr)
		_ = root.Usage()
		return 2
	}
	cmd, err := root.ExecuteC()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return int(ee)
	}
	// Usage errors: unknown command or flag, wrong number of arguments.
	fmt.Fprintf(stderr, "%s: %v\nusage: %s\nRun \"%s --help\" for more.\n", cmd.CommandPath(), err, cmd.UseLine(), cmd.CommandPath())
	return 2
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ferry",
		Short: "Ferry moves digest-pinned images from CI into an environment repository",
		Long: `Ferry moves digest-pinned images from CI into an environment repository.

Client commands read FERRY_SERVER (default http://127.0.0.1:8080), FERRY_TOKEN
and FERRY_CACERT.`,
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate(versionLine() + "\n")
	root.AddGroup(&cobra.Group{ID: "server", Title: "Server:"}, &cobra.Group{ID: "client", Title: "Client:"})
	for _, c := range []*cobra.Command{newServeCmd(stdout, stderr), newReindexCmd(stdout, stderr), newEditCmd(stdout, stderr)} {
		c.GroupID = "server"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newNotifyCmd(stdout, stderr), newPromoteCmd(stdout, stderr),
		newDecideCmd("approve", stdout, stderr), newDecideCmd("cancel", stdout, stderr),
		newUnpinCmd(stdout, stderr), newPinsCmd(stdout, stderr),
		newHistoryCmd(stdout, stderr), newStatusCmd(stdout, stderr), newDoraCmd(stdout, stderr),
		newSetsCmd(stdout, stderr)} {
		c.GroupID = "client"
		root.AddCommand(c)
	}
	root.AddCommand(newVersionCmd(stdout))
	return root
}
