package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ferryhq/ferry/api"
)

// printPreview shows a dry run: where the edit would go, the gates, the
// commit message and each file's diff.
func printPreview(w io.Writer, pv api.Preview) {
	fmt.Fprintf(w, "dry run: %s %s → %s (%s branch %s at %s)\n", pv.Application, pv.Release.Reference, pv.Environment, pv.Repository, pv.Branch, pv.Head)
	for _, g := range pv.Gates {
		state := "open"
		if !g.Open {
			state = "holds: " + g.Reason
		}
		fmt.Fprintf(w, "gate %s: %s\n", g.Gate, state)
	}
	switch {
	case pv.Failure != "":
		fmt.Fprintf(w, "would fail: %s\n", pv.Failure)
	case pv.Noop:
		fmt.Fprintln(w, "no change: the branch already has this image")
	default:
		if pv.Held {
			fmt.Fprintf(w, "would wait: %s\n", pv.Reason)
		}
		how := "commit"
		if pv.PullRequest {
			how = "pull request"
		}
		fmt.Fprintf(w, "%s message:\n%s\n", how, pv.Message)
		for _, f := range pv.Files {
			fmt.Fprint(w, f.Diff)
		}
	}
}

// notifyDryRun sends a build report as a dry run, once: it writes nothing,
// so there is nothing to retry safely or to key.
func notifyDryRun(c *client, path string, body []byte, headers map[string]string, stdout, stderr io.Writer) int {
	var out api.BuildPreview
	if _, err := c.do(context.Background(), http.MethodPost, path, json.RawMessage(body), headers, &out); err != nil {
		fmt.Fprintf(stderr, "ferry notify: %v\n", err)
		return exitCode(err)
	}
	for _, pv := range out.Previews {
		printPreview(stdout, pv)
	}
	return 0
}

// notifySetDryRun sends a release set report as a dry run, once, and shows
// the set's one commit into each first environment: each member's gates
// and diffs, then the commit message.
func notifySetDryRun(c *client, req api.SetReleaseRequest, asJSON bool, stdout, stderr io.Writer) int {
	req.DryRun = true
	var out api.SetReleasePreview
	if _, err := c.do(context.Background(), http.MethodPost, "/api/v1/release-sets", req, nil, &out); err != nil {
		fmt.Fprintf(stderr, "ferry notify: %v\n", err)
		var pe *problemError
		if errors.As(err, &pe) {
			for _, it := range pe.problem.Errors {
				fmt.Fprintf(stderr, "  %s: %s: %s\n", it.Name, it.Code, it.Detail)
			}
		}
		return exitCode(err)
	}
	if asJSON {
		return writeJSON(stdout, out)
	}
	for _, sp := range out.Previews {
		fmt.Fprintf(stdout, "dry run: release set %s → %s (%s branch %s at %s), %d members\n", out.Set, sp.Environment, sp.Repository, sp.Branch, sp.Head, len(sp.Members))
		for _, pv := range sp.Members {
			for _, g := range pv.Gates {
				if !g.Open {
					fmt.Fprintf(stdout, "%s: gate %s holds: %s\n", pv.Application, g.Gate, g.Reason)
				}
			}
		}
		switch {
		case sp.Failure != "":
			fmt.Fprintf(stdout, "would fail: %s\n", sp.Failure)
			continue
		case sp.Noop:
			fmt.Fprintln(stdout, "no change: the branch already has every member's image")
			continue
		case sp.Held:
			fmt.Fprintf(stdout, "would wait: %s\n", sp.Reason)
		}
		how := "commit"
		if sp.PullRequest {
			how = "pull request"
		}
		fmt.Fprintf(stdout, "%s message:\n%s\n", how, sp.Message)
		for _, pv := range sp.Members {
			for _, f := range pv.Files {
				fmt.Fprint(stdout, f.Diff)
			}
		}
	}
	return 0
}
