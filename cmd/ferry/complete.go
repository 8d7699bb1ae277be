package main

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryhq/ferry/api"
)

// completionTimeout bounds each API call made while the shell waits for
// completions: a slow or absent server must not hang the prompt.
const completionTimeout = 3 * time.Second

// completeApplications completes application names from the API.
func completeApplications(f *clientFlags) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		c := f.client(completionTimeout)
		var list api.ApplicationList
		if _, err := c.do(context.Background(), http.MethodGet, "/api/v1/applications", nil, nil, &list); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
		}
		var out []cobra.Completion
		for _, a := range list.Items {
			out = append(out, cobra.CompletionWithDesc(a.Name, a.Image))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeEnvironments completes environment names of every application.
func completeEnvironments(f *clientFlags) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		c := f.client(completionTimeout)
		var list api.ApplicationList
		if _, err := c.do(context.Background(), http.MethodGet, "/api/v1/applications", nil, nil, &list); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
		}
		seen := map[string]bool{}
		var out []cobra.Completion
		for _, a := range list.Items {
			for _, e := range a.Environments {
				if !seen[e] {
					seen[e] = true
					out = append(out, e)
				}
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completePromotions completes promotion ids from the API, newest first:
// those waiting (pending, waiting, pr-open) when open is set, any otherwise.
// It completes one argument only.
func completePromotions(f *clientFlags, open bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c := f.client(completionTimeout)
		states := []string{""}
		if open {
			states = []string{"pr-open", "waiting", "pending"}
		}
		var out []cobra.Completion
		for _, s := range states {
			q := url.Values{"limit": {"100"}}
			if s != "" {
				q.Set("state", s)
			}
			var list api.PromotionList
			if _, err := c.do(context.Background(), http.MethodGet, "/api/v1/promotions?"+q.Encode(), nil, nil, &list); err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
			}
			for _, p := range list.Items {
				out = append(out, cobra.CompletionWithDesc(p.ID, p.Application+" → "+p.Environment+": "+p.State))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeApplicationEnvironment completes APPLICATION, then ENVIRONMENT
// (ferry unpin).
func completeApplicationEnvironment(f *clientFlags) cobra.CompletionFunc {
	apps, envs := completeApplications(f), completeEnvironments(f)
	return func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return apps(cmd, args, prefix)
		case 1:
			return envs(cmd, args, prefix)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}
