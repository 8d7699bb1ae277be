package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryhq/ferry/api"
)

func newPromoteCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		cf  clientFlags
		out outputFlag
		req api.PromotionRequest
		set string
	)
	cmd := &cobra.Command{
		Use:   "promote (--application APP | --set SET) --environment ENV --release ID|DIGEST|TAG",
		Short: "Promote a release into an environment, or roll back to an older one",
		Long: `Ask Ferry to move a release into an environment. A release older than the one
running there is a rollback. --force skips the from chain (recorded).

A rollback pins the application in that environment at the release: automatic
promotions into it (the next CI build, the chain from the environment before)
wait with the reason "pinned by <who> at <time>: <reason>" until someone runs
"ferry unpin", and environments promoted from it take only the pinned release.
--rollback pins a release that is not older. Promoting explicitly into a pinned
environment goes through and moves the pin to that release.`,
		Example: `  ferry promote --application payments --environment prod --release 1.4.2
  ferry promote --application payments --environment prod --release 1.4.1 --reason "roll back: 5xx"
  ferry promote --dry-run --application payments --environment prod --release 1.4.2
  ferry unpin payments prod --reason "1.4.4 fixes checkout"
  ferry promote --set shop --environment prod --release set_01955b2e-41aa-7e8f-9a0b-1c2d3e4f5a70 --reason "roll back the shop"`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if set != "" {
				return exit(promoteSet(cf, out, set, req, stdout, stderr))
			}
			if req.Application == "" || req.Environment == "" || req.Release == "" {
				fmt.Fprintln(stderr, "ferry promote: --application, --environment and --release are required")
				return exit(2)
			}
			c := cf.client(30 * time.Second)
			if req.DryRun {
				var pv api.Preview
				if _, err := c.do(context.Background(), http.MethodPost, "/api/v1/promotions", req, nil, &pv); err != nil {
					fmt.Fprintf(stderr, "ferry promote: %v\n", err)
					return exit(exitCode(err))
				}
				if out.json() {
					return exit(writeJSON(stdout, pv))
				}
				printPreview(stdout, pv)
				return nil
			}
			var p api.Promotion
			if _, err := c.do(context.Background(), http.MethodPost, "/api/v1/promotions", req, nil, &p); err != nil {
				fmt.Fprintf(stderr, "ferry promote: %v\n", err)
				return exit(exitCode(err))
			}
			if out.json() {
				return exit(writeJSON(stdout, p))
			}
			fmt.Fprintf(stdout, "promotion %s: %s → %s: %s\n", p.ID, p.Application, p.Environment, p.State)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&set, "set", "", "promote (or roll back) a whole release set: --release names a set release id")
	f.StringVar(&req.Application, "application", "", "application (required)")
	f.StringVar(&req.Environment, "environment", "", "environment to promote into (required)")
	f.StringVar(&req.Release, "release", "", "release id, digest or tag (required)")
	f.BoolVar(&req.Force, "force", false, "skip the from chain (recorded)")
	f.StringVar(&req.Reason, "reason", "", "why, recorded with the promotion")
	f.BoolVar(&req.DryRun, "dry-run", false, "show the diff, commit message and gates; record nothing")
	f.BoolVar(&req.Rollback, "rollback", false, "pin the environment at this release even if it is not older (see ferry unpin)")
	cf.register(cmd, "promotions:write")
	out.register(cmd, false)
	_ = cmd.RegisterFlagCompletionFunc("application", completeApplications(&cf))
	_ = cmd.RegisterFlagCompletionFunc("environment", completeEnvironments(&cf))
	return cmd
}

// printPromotion prints one promotion and its events.
func printPromotion(ctx context.Context, c *client, id string, out outputFlag, stdout, stderr io.Writer) int {
	var p api.Promotion
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/promotions/"+url.PathEscape(id), nil, nil, &p); err != nil {
		fmt.Fprintf(stderr, "ferry history: %v\n", err)
		return exitCode(err)
	}
	if out.json() {
		return writeJSON(stdout, p)
	}
	fmt.Fprintf(stdout, "promotion %s: %s → %s, %s\n", p.ID, p.Application, p.Environment, p.State)
	if p.Reason != "" {
		fmt.Fprintf(stdout, "reason    %s\n", p.Reason)
	}
	if p.Release != nil {
		fmt.Fprintf(stdout, "release   %s %s\n", p.Release.ID, p.Release.Reference)
	}
	if p.PRBranch != "" {
		fmt.Fprintf(stdout, "branch    %s %s\n", p.PRBranch, p.PRURL)
	}
	if len(p.Approvers) > 0 {
		fmt.Fprintf(stdout, "approvals %d: %s\n", len(p.Approvers), joinNames(p.Approvers))
	}
	if p.CommitSHA != "" {
		fmt.Fprintf(stdout, "commit    %s\n", p.CommitSHA)
	}
	if p.MergeSHA != "" {
		fmt.Fprintf(stdout, "merge     %s by %s\n", p.MergeSHA, p.MergedBy)
	}
	fmt.Fprintln(stdout)
	t := newTable(stdout, "WHEN (UTC)", "STATE", "BY", "REASON")
	for _, e := range p.Events {
		t.row(e.At.UTC().Format("2006-01-02 15:04:05"), e.State, e.Actor, e.Reason)
	}
	t.flush()
	return 0
}
