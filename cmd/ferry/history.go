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

// runHistory prints promotions, newest first.
func runHistory(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serverURL := fs.String("server", "", "Ferry's URL (default $FERRY_SERVER)")
	token := fs.String("token", "", "API token with read scope (default $FERRY_TOKEN)")
	app := fs.String("application", "", "only this application")
	env := fs.String("environment", "", "only this environment")
	state := fs.String("state", "", "only promotions in this state")
	limit := fs.Int("limit", 20, "how many (1 to 500)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c := newClient(*serverURL, *token, 30*time.Second)
	ctx := context.Background()
	if fs.NArg() == 1 {
		return printPromotion(ctx, c, fs.Arg(0), stdout, stderr)
	}
	q := url.Values{}
	for k, v := range map[string]string{"application": *app, "environment": *env, "state": *state} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set("limit", fmt.Sprint(*limit))
	var list api.PromotionList
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/promotions?"+q.Encode(), nil, nil, &list); err != nil {
		fmt.Fprintf(stderr, "ferry history: %v\n", err)
		return exitCode(err)
	}
	releases := map[string]api.Release{}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UPDATED (UTC)\tAPPLICATION\tENVIRONMENT\tTAG\tSTATE\tCOMMIT\tPROMOTION\tREASON")
	for _, p := range list.Items {
		r, ok := releases[p.ReleaseID]
		if !ok {
			if _, err := c.do(ctx, http.MethodGet, "/api/v1/releases/"+url.PathEscape(p.ReleaseID), nil, nil, &r); err != nil {
				fmt.Fprintf(stderr, "ferry history: %v\n", err)
				return exitCode(err)
			}
			releases[p.ReleaseID] = r
		}
		state, commit := p.State, p.CommitSHA
		if p.MergeSHA != "" {
			commit = p.MergeSHA
		}
		if p.Noop {
			state += " (no change)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.UpdatedAt.UTC().Format("2006-01-02 15:04:05"),
			p.Application, p.Environment, r.Tag, state, short(commit, 10), p.ID, p.Reason)
	}
	_ = tw.Flush()
	if list.NextCursor != "" {
		fmt.Fprintf(stdout, "(more: raise --limit, or page with the API's cursor %s)\n", list.NextCursor)
	}
	return 0
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
