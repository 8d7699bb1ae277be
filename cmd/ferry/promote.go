package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/ferryhq/ferry/api"
)

// runPromote asks for a release to move into an environment (a rollback
// when the release is older than what runs there).
func runPromote(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("promote", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serverURL := fs.String("server", "", "Ferry's URL (default $FERRY_SERVER)")
	token := fs.String("token", "", "API token with promotions:write (default $FERRY_TOKEN)")
	var req api.PromotionRequest
	fs.StringVar(&req.Application, "application", "", "application (required)")
	fs.StringVar(&req.Environment, "environment", "", "environment to promote into (required)")
	fs.StringVar(&req.Release, "release", "", "release id, digest or tag (required)")
	fs.BoolVar(&req.Force, "force", false, "skip the from chain (recorded)")
	fs.StringVar(&req.Reason, "reason", "", "why, recorded with the promotion")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if req.Application == "" || req.Environment == "" || req.Release == "" {
		fmt.Fprintln(stderr, "ferry promote: --application, --environment and --release are required")
		return 2
	}
	c := newClient(*serverURL, *token, 30*time.Second)
	var p api.Promotion
	if _, err := c.do(context.Background(), http.MethodPost, "/api/v1/promotions", req, nil, &p); err != nil {
		fmt.Fprintf(stderr, "ferry promote: %v\n", err)
		return exitCode(err)
	}
	fmt.Fprintf(stdout, "promotion %s: %s → %s: %s\n", p.ID, p.Application, p.Environment, p.State)
	return 0
}

// runDecide approves or cancels a promotion (built-in pull requests).
func runDecide(verb string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	serverURL := fs.String("server", "", "Ferry's URL (default $FERRY_SERVER)")
	token := fs.String("token", "", "API token with promotions:write (default $FERRY_TOKEN)")
	reason := fs.String("reason", "", "why (cancel)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "ferry %s: give one promotion id\n", verb)
		return 2
	}
	c := newClient(*serverURL, *token, 30*time.Second)
	var body any
	if verb == "cancel" && *reason != "" {
		body = api.CancelRequest{Reason: *reason}
	}
	var p api.Promotion
	path := "/api/v1/promotions/" + url.PathEscape(fs.Arg(0)) + "/" + verb
	if _, err := c.do(context.Background(), http.MethodPost, path, body, nil, &p); err != nil {
		fmt.Fprintf(stderr, "ferry %s: %v\n", verb, err)
		return exitCode(err)
	}
	fmt.Fprintf(stdout, "promotion %s: %s → %s: %s", p.ID, p.Application, p.Environment, p.State)
	if p.Reason != "" {
		fmt.Fprintf(stdout, " (%s)", p.Reason)
	}
	fmt.Fprintln(stdout)
	return 0
}

// printPromotion prints one promotion and its history.
func printPromotion(ctx context.Context, c *client, id string, stdout, stderr io.Writer) int {
	var p api.Promotion
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/promotions/"+url.PathEscape(id), nil, nil, &p); err != nil {
		fmt.Fprintf(stderr, "ferry history: %v\n", err)
		return exitCode(err)
	}
	fmt.Fprintf(stdout, "promotion %s: %s → %s, %s\n", p.ID, p.Application, p.Environment, p.State)
	if p.Release != nil {
		fmt.Fprintf(stdout, "release   %s %s\n", p.Release.ID, p.Release.Reference)
	}
	if p.PRBranch != "" {
		fmt.Fprintf(stdout, "branch    %s %s\n", p.PRBranch, p.PRURL)
	}
	if p.CommitSHA != "" {
		fmt.Fprintf(stdout, "commit    %s\n", p.CommitSHA)
	}
	if p.MergeSHA != "" {
		fmt.Fprintf(stdout, "merge     %s by %s\n", p.MergeSHA, p.MergedBy)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nWHEN (UTC)\tSTATE\tBY\tREASON")
	for _, e := range p.Events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.At.UTC().Format("2006-01-02 15:04:05"), e.State, e.Actor, e.Reason)
	}
	_ = tw.Flush()
	return 0
}
