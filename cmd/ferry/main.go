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
//	ferry version
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Ferry moves digest-pinned images from CI into an environment repository.

Usage:
  ferry serve    --config ferry-server.yaml   run the server
  ferry serve    --dev                        run on an embedded default (local registry and repo)
  ferry notify   --application APP --image REPO --tag TAG [--digest D] [--wait 2m]
  ferry promote  --application APP --environment ENV --release ID|DIGEST|TAG [--force] [--reason TEXT]
  ferry approve  PROMOTION       (built-in pull requests)
  ferry cancel   PROMOTION [--reason TEXT]
  ferry history  [--application APP] [--environment ENV] [--state STATE] [--limit N] | PROMOTION
  ferry status   [APP]
  ferry edit     --kind KIND FILE REPO:TAG@DIGEST
  ferry reindex  --config ferry-server.yaml   rebuild releases and promotions from the repos' commit trailers
  ferry version

Client commands read FERRY_SERVER (default http://127.0.0.1:8080) and FERRY_TOKEN.
Run "ferry COMMAND --help" for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	rest := args[1:]
	switch args[0] {
	case "serve":
		return runServe(rest, stdout, stderr)
	case "notify":
		return runNotify(rest, stdout, stderr)
	case "history":
		return runHistory(rest, stdout, stderr)
	case "status":
		return runStatus(rest, stdout, stderr)
	case "promote":
		return runPromote(rest, stdout, stderr)
	case "approve", "cancel":
		return runDecide(args[0], rest, stdout, stderr)
	case "edit":
		return runEdit(rest, stdout, stderr)
	case "reindex":
		return runReindex(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "ferry %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "ferry: unknown command %q\n\n%s", args[0], usage)
	return 2
}
