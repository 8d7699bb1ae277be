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

func newHistoryCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		cf                      clientFlags
		out                     outputFlag
		app, env, state, cursor string
		limit                   int
	)
	cmd := &cobra.Command{
		Use:   "history [PROMOTION]",
		Short: "List promotions, newest first, or show one promotion's events",
		Long: `List promotions, newest first by when they were created (AGE; -o wide shows
the times), or, given a promotion id, show that promotion and its events.
When more promotions match than --limit, the last line gives the --cursor
of the next page.`,
		Example: `  ferry history --application payments --environment prod
  ferry history --state pr-open
  ferry history --cursor CURSOR
  ferry history prm_0193… -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completePromotions(&cf, false),
		RunE: func(_ *cobra.Command, args []string) error {
			c := cf.client(30 * time.Second)
			if len(args) == 1 {
				return exit(printPromotion(context.Background(), c, args[0], out, stdout, stderr))
			}
			q := url.Values{}
			for k, v := range map[string]string{"application": app, "environment": env, "state": state, "cursor": cursor} {
				if v != "" {
					q.Set(k, v)
				}
			}
			q.Set("limit", fmt.Sprint(limit))
			return exit(listHistory(c, q, out, stdout, stderr))
		},
	}
	f := cmd.Flags()
	f.StringVar(&app, "application", "", "only this application")
	f.StringVar(&env, "environment", "", "only this environment")
	f.StringVar(&state, "state", "", "only promotions in this state (pending, waiting, committed, pr-open, merged, rejected, superseded, failed)")
	f.StringVar(&cursor, "cursor", "", "the page after this cursor (printed at the end of the previous page)")
	f.IntVar(&limit, "limit", 20, "how many (1 to 500)")
	cf.register(cmd, "read scope")
	out.register(cmd, true)
	_ = cmd.RegisterFlagCompletionFunc("application", completeApplications(&cf))
	_ = cmd.RegisterFlagCompletionFunc("environment", completeEnvironments(&cf))
	_ = cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions([]string{"pending", "waiting", "committed",
		"pr-open", "merged", "rejected", "superseded", "failed"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// listHistory prints one page of promotions, newest first.
func listHistory(c *client, q url.Values, out outputFlag, stdout, stderr io.Writer) int {
	ctx := context.Background()
	var list api.PromotionList
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/promotions?"+q.Encode(), nil, nil, &list); err != nil {
		fmt.Fprintf(stderr, "ferry history: %v\n", err)
		return exitCode(err)
	}
	if out.json() {
		return writeJSON(stdout, list)
	}
	tags := releaseTags{c: c}
	// The API lists newest first by creation, so that is the time shown.
	header := []string{"AGE", "APPLICATION", "ENV", "TAG", "STATE", "PROMOTION"}
	if out.wide() {
		header = []string{"CREATED (UTC)", "UPDATED (UTC)", "APPLICATION", "ENVIRONMENT", "TAG", "STATE", "COMMIT", "PROMOTION", "REASON"}
	}
	t := newTable(stdout, header...)
	now := time.Now()
	for _, p := range list.Items {
		tag, err := tags.get(ctx, p.ReleaseID)
		if err != nil {
			t.flush()
			fmt.Fprintf(stderr, "ferry history: %v\n", err)
			return exitCode(err)
		}
		state, commit := p.State, p.CommitSHA
		if p.MergeSHA != "" {
			commit = p.MergeSHA
		}
		if p.Noop {
			state += " (no change)"
		}
		if out.wide() {
			t.row(p.CreatedAt.UTC().Format("2006-01-02 15:04:05"), p.UpdatedAt.UTC().Format("2006-01-02 15:04:05"),
				p.Application, p.Environment, tag, state, short(commit, 10), p.ID, p.Reason)
			continue
		}
		t.row(age(now, p.CreatedAt), ellipsis(p.Application, 14), ellipsis(p.Environment, 8), ellipsis(tag, 12), state, p.ID)
	}
	t.flush()
	if list.NextCursor != "" {
		fmt.Fprintf(stdout, "(more: run again with --cursor %s)\n", list.NextCursor)
	}
	return 0
}
