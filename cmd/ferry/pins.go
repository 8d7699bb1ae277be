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

func newUnpinCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		cf     clientFlags
		out    outputFlag
		reason string
	)
	cmd := &cobra.Command{
		Use:   "unpin APPLICATION ENVIRONMENT",
		Short: "End a rollback's pin: held automatic promotions go on",
		Long: `A rollback pins the application in the environment at the release it rolled
back to: automatic promotions into it (the next CI build) wait, with the reason
"pinned by <who> at <time>: <reason>". Unpin ends the pin, recording who and
why; the promotions it held are decided again at once and go on. Promoting a
release explicitly ("ferry promote") into a pinned environment does not unpin:
it moves the pin to that release.`,
		Example:           `  ferry unpin payments prod --reason "1.4.4 fixes checkout"`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeApplicationEnvironment(&cf),
		RunE: func(_ *cobra.Command, args []string) error {
			var body any
			if reason != "" {
				body = api.UnpinRequest{Reason: reason}
			}
			var p api.Pin
			path := "/api/v1/pins/" + url.PathEscape(args[0]) + "/" + url.PathEscape(args[1])
			if _, err := cf.client(30*time.Second).do(context.Background(), http.MethodDelete, path, body, nil, &p); err != nil {
				fmt.Fprintf(stderr, "ferry unpin: %v\n", err)
				return exit(exitCode(err))
			}
			if out.json() {
				return exit(writeJSON(stdout, p))
			}
			fmt.Fprintf(stdout, "unpinned %s in %s (was pinned at %s: %s)\n", p.Application, p.Environment, p.ReleaseTag, p.Held)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded with the pin")
	cf.register(cmd, "promotions:write")
	out.register(cmd, false)
	return cmd
}

func newPinsCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		cf       clientFlags
		out      outputFlag
		app, env string
		ended    bool
	)
	cmd := &cobra.Command{
		Use:   "pins",
		Short: "List pins: environments where a rollback holds automatic promotions",
		Long: `List the active pins, newest first; --ended adds the pins that ended
(unpinned, or replaced by a newer pin), with who ended them and why.`,
		Example: `  ferry pins
  ferry pins --application payments --ended`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"application": app, "environment": env} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if ended {
				q.Set("ended", "true")
			}
			var list api.PinList
			if _, err := cf.client(30*time.Second).do(context.Background(), http.MethodGet, "/api/v1/pins?"+q.Encode(), nil, nil, &list); err != nil {
				fmt.Fprintf(stderr, "ferry pins: %v\n", err)
				return exit(exitCode(err))
			}
			if out.json() {
				return exit(writeJSON(stdout, list.Items))
			}
			t := newTable(stdout, "APPLICATION", "ENVIRONMENT", "PINNED AT", "BY", "SINCE (UTC)", "REASON", "ENDED")
			for _, p := range list.Items {
				end := ""
				if !p.Active {
					end = "by " + p.EndedBy
					if p.EndReason != "" {
						end += ": " + p.EndReason
					}
				}
				t.row(p.Application, p.Environment, p.ReleaseTag, p.PinnedBy, p.CreatedAt.UTC().Format("2006-01-02 15:04:05"), p.Reason, end)
			}
			t.flush()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&app, "application", "", "only this application")
	f.StringVar(&env, "environment", "", "only this environment")
	f.BoolVar(&ended, "ended", false, "include pins that ended (the pins' history)")
	cf.register(cmd, "read scope")
	out.register(cmd, false)
	_ = cmd.RegisterFlagCompletionFunc("application", completeApplications(&cf))
	_ = cmd.RegisterFlagCompletionFunc("environment", completeEnvironments(&cf))
	return cmd
}
