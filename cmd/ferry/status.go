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

// runStatus prints what runs in each environment of one or every application.
func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serverURL := fs.String("server", "", "Ferry's URL (default $FERRY_SERVER)")
	token := fs.String("token", "", "API token with read scope (default $FERRY_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c := newClient(*serverURL, *token, 60*time.Second)
	ctx := context.Background()
	names := fs.Args()
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
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APPLICATION\tENVIRONMENT\tTAG\tDIGEST\tBRANCH@HEAD\tFILE\tIN FLIGHT")
	for _, n := range names {
		var a api.Application
		if _, err := c.do(ctx, http.MethodGet, "/api/v1/applications/"+url.PathEscape(n), nil, nil, &a); err != nil {
			_ = tw.Flush()
			fmt.Fprintf(stderr, "ferry status: %s: %v\n", n, err)
			return exitCode(err)
		}
		for _, e := range a.Environments {
			tag, digest := "?", e.Error
			if e.Current != nil {
				tag, digest = e.Current.Tag, short(e.Current.Digest, 19)
			}
			inFlight := ""
			for _, p := range e.InFlight {
				inFlight += p.State + " "
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s@%s\t%s\t%s\n", a.Name, e.Name, tag, digest, e.Branch, short(e.HeadCommit, 8), e.Path, inFlight)
		}
	}
	_ = tw.Flush()
	return 0
}
