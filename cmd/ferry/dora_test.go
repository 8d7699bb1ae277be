package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
)

func TestDoraTableSaysWhereLeadTimesStart(t *testing.T) {
	var asked url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(api.DoraReport{Application: "payments", From: time.Unix(0, 0), To: time.Unix(86400, 0),
			Overall: api.DoraTotals{Deployments: 5, LeadTimeSeconds: 5400, LeadTimeMeasuredFrom: "mixed", FailedChanges: 1, ChangeFailureRate: 0.2, TimeToRestoreSeconds: 1800},
			Environments: []api.DoraEnvironment{
				{Environment: "dev", Totals: api.DoraTotals{Deployments: 4, DeploymentsPerDay: 4, LeadTimeSeconds: 3600, LeadTimeMeasuredFrom: "source_commit"}},
				{Environment: "prod", Totals: api.DoraTotals{Deployments: 1, DeploymentsPerDay: 1, LeadTimeSeconds: 12600, LeadTimeMeasuredFrom: "report",
					FailedChanges: 1, ChangeFailureRate: 1, TimeToRestoreSeconds: 1800}},
			}})
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	q := url.Values{"application": {"payments"}, "environment": {"prod"}}
	if code := showDora(newClient(srv.URL, "t", 5*time.Second), q, outputFlag{}, &out, &errOut); code != 0 {
		t.Fatalf("showDora() = %d: %s", code, errOut.String())
	}
	if asked.Get("application") != "payments" || asked.Get("environment") != "prod" {
		t.Errorf("asked %v", asked)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want title, header, dev, prod, (all):\n%s", len(lines), out.String())
	}
	for i, want := range [][]string{
		{"dev", "4", "4.00", "1h0m0s", "source_commit", "0.0% (0)", "-"},
		{"prod", "1", "1.00", "3h30m0s", "report", "100.0% (1)", "30m0s"},
		{"(all)", "5", "1h30m0s", "mixed", "20.0% (1)", "30m0s"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+2], w) {
				t.Errorf("line %q lacks %q", lines[i+2], w)
			}
		}
	}
}

func TestDoraOfASet(t *testing.T) {
	var asked url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(api.DoraReport{Set: "shop", From: time.Unix(0, 0), To: time.Unix(86400, 0),
			Overall: api.DoraTotals{Deployments: 1, DeploymentsPerDay: 1, LeadTimeSeconds: 60, LeadTimeMeasuredFrom: "report"},
			Environments: []api.DoraEnvironment{{Environment: "prod", Totals: api.DoraTotals{Deployments: 1, DeploymentsPerDay: 1,
				LeadTimeSeconds: 60, LeadTimeMeasuredFrom: "report"}}}})
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	cmd := newDoraCmd(&out, &errOut)
	cmd.SetArgs([]string{"--set", "shop", "--environment", "prod", "--server", srv.URL, "--token", "t"})
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("ferry dora --set shop = %v: %s", err, errOut.String())
	}
	if asked.Get("set") != "shop" || asked.Has("application") || asked.Get("environment") != "prod" {
		t.Errorf("asked %v", asked)
	}
	if !strings.HasPrefix(out.String(), "set shop from ") {
		t.Errorf("output:\n%s", out.String())
	}
	for _, args := range [][]string{{"payments", "--set", "shop"}, {}} {
		cmd := newDoraCmd(&out, &errOut)
		cmd.SetArgs(append(args, "--server", srv.URL))
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		if err := cmd.Execute(); err == nil {
			t.Errorf("ferry dora %q = nil, want an error (one application or --set)", args)
		}
	}
}
