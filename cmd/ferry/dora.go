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

func newDoraCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		cf                         clientFlags
		out                        outputFlag
		set, env, from, to, bucket string
	)
	cmd := &cobra.Command{
		Use:   "dora APPLICATION | --set SET",
		Short: "Show an application's (or a release set's) DORA metrics",
		Long: `Show an application's DORA metrics per environment over a window (default: the
last 30 days): deployments and deployments per day, mean lead time for
changes (FROM says whether it starts at the source commit, at the build
report, or mixed), change failure rate and mean time to restore. -o json
adds the buckets the console's chart draws. --set SET measures the set
releases of a release set instead (a set release is deployed when every
member has reached the environment). The README's DORA section says
exactly how each is computed.`,
		Example: `  ferry dora payments
  ferry dora payments --environment prod --from 2026-01-01T00:00:00Z --to 2026-04-01T00:00:00Z
  ferry dora payments -o json --bucket 1d
  ferry dora --set shop --environment prod`,
		Args: func(_ *cobra.Command, args []string) error {
			if (set == "") != (len(args) == 1) || len(args) > 1 {
				return fmt.Errorf("give one APPLICATION or --set SET")
			}
			return nil
		},
		ValidArgsFunction: completeApplications(&cf),
		RunE: func(_ *cobra.Command, args []string) error {
			q := url.Values{"set": {set}}
			if set == "" {
				q = url.Values{"application": {args[0]}}
			}
			for k, v := range map[string]string{"environment": env, "from": from, "to": to, "bucket": bucket} {
				if v != "" {
					q.Set(k, v)
				}
			}
			return exit(showDora(cf.client(30*time.Second), q, out, stdout, stderr))
		},
	}
	f := cmd.Flags()
	f.StringVar(&set, "set", "", "measure this release set's set releases instead of an application")
	f.StringVar(&env, "environment", "", "only this environment")
	f.StringVar(&from, "from", "", "start of the window, RFC 3339 (default 30 days before --to)")
	f.StringVar(&to, "to", "", "end of the window, RFC 3339, excluded (default now)")
	f.StringVar(&bucket, "bucket", "", "width of the chart buckets in -o json, e.g. 7d or 24h (default 7d)")
	cf.register(cmd, "read scope")
	out.register(cmd, false)
	_ = cmd.RegisterFlagCompletionFunc("environment", completeEnvironments(&cf))
	return cmd
}

// showDora prints the metrics, one row per environment and one overall.
func showDora(c *client, q url.Values, out outputFlag, stdout, stderr io.Writer) int {
	var rep api.DoraReport
	if _, err := c.do(context.Background(), http.MethodGet, "/api/v1/metrics/dora?"+q.Encode(), nil, nil, &rep); err != nil {
		fmt.Fprintf(stderr, "ferry dora: %v\n", err)
		return exitCode(err)
	}
	if out.json() {
		return writeJSON(stdout, rep)
	}
	name := rep.Application
	if rep.Set != "" {
		name = "set " + rep.Set
	}
	fmt.Fprintf(stdout, "%s from %s to %s\n", name, rep.From.UTC().Format(time.RFC3339), rep.To.UTC().Format(time.RFC3339))
	t := newTable(stdout, "ENVIRONMENT", "DEPLOYMENTS", "PER DAY", "LEAD TIME", "FROM", "FAILURE RATE", "TIME TO RESTORE")
	row := func(name string, m api.DoraTotals) {
		from := m.LeadTimeMeasuredFrom
		if from == "" {
			from = "-"
		}
		t.row(name, fmt.Sprint(m.Deployments), fmt.Sprintf("%.2f", m.DeploymentsPerDay), span(m.LeadTimeSeconds, m.Deployments),
			from, fmt.Sprintf("%.1f%% (%d)", 100*m.ChangeFailureRate, m.FailedChanges), span(m.TimeToRestoreSeconds, m.FailedChanges))
	}
	for _, e := range rep.Environments {
		row(e.Environment, e.Totals)
	}
	if len(rep.Environments) != 1 {
		row("(all)", rep.Overall)
	}
	t.flush()
	return 0
}

// span prints seconds as a rounded duration, or "-" when there were none
// to average.
func span(seconds float64, n int) string {
	if n == 0 {
		return "-"
	}
	return (time.Duration(seconds) * time.Second).String()
}
