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

// promoteSet runs "ferry promote --set": the whole set release moves (or
// rolls back) into the environment as one commit or pull request.
func promoteSet(cf clientFlags, out outputFlag, set string, req api.PromotionRequest, stdout, stderr io.Writer) int {
	if req.Environment == "" || req.Release == "" || req.Application != "" || req.DryRun {
		fmt.Fprintln(stderr, "ferry promote: --set needs --environment and --release (a set release id), without --application or --dry-run")
		return 2
	}
	c := cf.client(30 * time.Second)
	ctx := context.Background()
	var sr api.SetRelease
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/release-sets/"+url.PathEscape(req.Release), nil, nil, &sr); err != nil {
		fmt.Fprintf(stderr, "ferry promote: %v\n", err)
		return exitCode(err)
	}
	if sr.Set != set {
		fmt.Fprintf(stderr, "ferry promote: %s is a release of set %q, not %q\n", sr.ID, sr.Set, set)
		return 1
	}
	body := api.SetPromotionRequest{Environment: req.Environment, Force: req.Force, Reason: req.Reason}
	if _, err := c.do(ctx, http.MethodPost, "/api/v1/release-sets/"+url.PathEscape(sr.ID)+"/promote", body, nil, &sr); err != nil {
		fmt.Fprintf(stderr, "ferry promote: %v\n", err)
		return exitCode(err)
	}
	if out.json() {
		return writeJSON(stdout, sr)
	}
	fmt.Fprintf(stdout, "release set %s (%s) → %s: %d promotions\n", sr.Set, sr.ID, req.Environment, len(sr.Promotions))
	printSetPromotions(stdout, sr.Promotions)
	return 0
}

func newSetsCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		cf    clientFlags
		out   outputFlag
		set   string
		limit int
	)
	cmd := &cobra.Command{
		Use:   "sets [SET_RELEASE_ID]",
		Short: "List release sets' releases, or show one with its promotions",
		Long: `Without an argument, list set releases, newest first (--set filters by set):
those CI reported at once ("by <token>") and those Ferry formed from members
reported one by one once each completed in the set's entry environment
("formed from members"). With a set release id, show its members' releases
and every promotion of it.`,
		Example: `  ferry sets --set shop
  ferry sets set_01955b2e-41aa-7e8f-9a0b-1c2d3e4f5a70`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c := cf.client(30 * time.Second)
			ctx := context.Background()
			if len(args) == 1 {
				var sr api.SetRelease
				if _, err := c.do(ctx, http.MethodGet, "/api/v1/release-sets/"+url.PathEscape(args[0]), nil, nil, &sr); err != nil {
					fmt.Fprintf(stderr, "ferry sets: %v\n", err)
					return exit(exitCode(err))
				}
				if out.json() {
					return exit(writeJSON(stdout, sr))
				}
				if sr.Formed == "members" {
					fmt.Fprintf(stdout, "release set %s (%s), formed from its members' releases at %s\n", sr.Set, sr.ID, sr.CreatedAt.Format(time.RFC3339))
				} else {
					fmt.Fprintf(stdout, "release set %s (%s), reported by %s at %s\n", sr.Set, sr.ID, sr.ReportedBy, sr.CreatedAt.Format(time.RFC3339))
				}
				for _, m := range sr.Members {
					ref := m.ReleaseID
					if m.Release != nil {
						ref = m.Release.Reference + " (release " + m.ReleaseID + ")"
					}
					fmt.Fprintf(stdout, "  %s: %s\n", m.Application, ref)
				}
				fmt.Fprintln(stdout, "promotions:")
				printSetPromotions(stdout, sr.Promotions)
				return nil
			}
			q := url.Values{}
			if set != "" {
				q.Set("set", set)
			}
			q.Set("limit", fmt.Sprint(limit))
			var list api.SetReleaseList
			if _, err := c.do(ctx, http.MethodGet, "/api/v1/release-sets?"+q.Encode(), nil, nil, &list); err != nil {
				fmt.Fprintf(stderr, "ferry sets: %v\n", err)
				return exit(exitCode(err))
			}
			if out.json() {
				return exit(writeJSON(stdout, list))
			}
			for _, sr := range list.Items {
				by := "by " + sr.ReportedBy
				if sr.Formed == "members" {
					by = "formed from members"
				}
				fmt.Fprintf(stdout, "%s  %s  %s  %d members  %s\n", sr.ID, sr.Set, sr.CreatedAt.Format(time.RFC3339), len(sr.Members), by)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&set, "set", "", "only releases of this set")
	cmd.Flags().IntVar(&limit, "limit", 50, "how many set releases (1..500)")
	cf.register(cmd, "read")
	out.register(cmd, false)
	return cmd
}
