package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryhq/ferry/api"
)

func newStatusCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		cf  clientFlags
		out outputFlag
	)
	cmd := &cobra.Command{
		Use:   "status [APPLICATION...]",
		Short: "Show what runs in each environment, and what is in flight",
		Long: `Show what runs in each environment of the named applications (default: every
application), and the promotions in flight there with their tag and id.
An unknown application is an error (exit 1).`,
		Example: `  ferry status
  ferry status payments -o wide
  ferry status payments -o json`,
		ValidArgsFunction: completeApplications(&cf),
		RunE: func(_ *cobra.Command, args []string) error {
			return exit(runStatus(cf.client(60*time.Second), args, out, stdout, stderr))
		},
	}
	cf.register(cmd, "read scope")
	out.register(cmd, true)
	return cmd
}

// runStatus prints what runs in each environment of names, or of every
// application.
func runStatus(c *client, names []string, out outputFlag, stdout, stderr io.Writer) int {
	ctx := context.Background()
	if len(names) == 0 {
		var list api.ApplicationList
		if _, err := c.do(ctx, http.MethodGet, "/api/v1/applications", nil, nil, &list); err != nil {
			fmt.Fprintf(stderr, "ferry status: %v\n", err)
			return exitCode(err)
		}
		for _, a := range list.Items {
			names = append(names, a.Name)
		}
	}
	// Every application is fetched before anything is printed: an unknown
	// name is an error, not a table with a hole.
	apps := make([]api.Application, 0, len(names))
	for _, n := range names {
		var a api.Application
		if _, err := c.do(ctx, http.MethodGet, "/api/v1/applications/"+url.PathEscape(n), nil, nil, &a); err != nil {
			fmt.Fprintf(stderr, "ferry status: %s: %v\n", n, err)
			return exitCode(err)
		}
		apps = append(apps, a)
	}
	if out.json() {
		return writeJSON(stdout, apps)
	}
	tags := releaseTags{c: c}
	header := []string{"APPLICATION", "ENVIRONMENT", "TAG", "IN FLIGHT"}
	if out.wide() {
		header = []string{"APPLICATION", "ENVIRONMENT", "TAG", "DIGEST", "BRANCH@HEAD", "FILE", "IN FLIGHT"}
	}
	t := newTable(stdout, header...)
	for _, a := range apps {
		if a.PipelineWarning != "" {
			fmt.Fprintf(stderr, "ferry status: %s: %s\n", a.Name, a.PipelineWarning)
		}
		for _, e := range a.Environments {
			tag, digest := "?", e.Error
			if e.Current != nil {
				tag, digest = e.Current.Tag, e.Current.Digest
			}
			// One line per promotion in flight: its tag, state and id.
			flights := []string{""}
			if len(e.InFlight) > 0 {
				flights = flights[:0]
				for _, p := range e.InFlight {
					ptag, err := tags.get(ctx, p.ReleaseID)
					if err != nil {
						t.flush()
						fmt.Fprintf(stderr, "ferry status: %v\n", err)
						return exitCode(err)
					}
					flights = append(flights, strings.Join([]string{ptag, p.State, p.ID}, " "))
				}
			}
			for i, f := range flights {
				app, env, tg, dg, head, file := a.Name, e.Name, tag, digest, e.Branch+"@"+short(e.HeadCommit, 8), e.Path
				if i > 0 {
					app, env, tg, dg, head, file = "", "", "", "", "", ""
				}
				if out.wide() {
					t.row(app, env, tg, dg, head, file, f)
				} else {
					t.row(ellipsis(app, 14), ellipsis(env, 12), ellipsis(tg, 14), f)
				}
			}
		}
	}
	t.flush()
	for _, a := range apps {
		for _, e := range a.Environments {
			if e.Pin != nil {
				fmt.Fprintf(stdout, "%s is pinned in %s at %s: %s (ferry unpin %s %s)\n",
					a.Name, e.Name, e.Pin.ReleaseTag, e.Pin.Held, a.Name, e.Name)
			}
		}
	}
	return 0
}

// releaseTags looks up the tags of releases by id, once each.
type releaseTags struct {
	c    *client
	seen map[string]api.Release
}

func (r *releaseTags) release(ctx context.Context, id string) (api.Release, error) {
	if rel, ok := r.seen[id]; ok {
		return rel, nil
	}
	var rel api.Release
	if _, err := r.c.do(ctx, http.MethodGet, "/api/v1/releases/"+url.PathEscape(id), nil, nil, &rel); err != nil {
		return rel, fmt.Errorf("release %s: %w", id, err)
	}
	if r.seen == nil {
		r.seen = map[string]api.Release{}
	}
	r.seen[id] = rel
	return rel, nil
}

func (r *releaseTags) get(ctx context.Context, id string) (string, error) {
	rel, err := r.release(ctx, id)
	return rel.Tag, err
}
