package bitbucketdc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// buildsPage is a page of build statuses as Bitbucket Data Center
// documents them (api-group-build-status, "Get build statuses for commit").
const buildsPage = `{"size": 2, "limit": 100, "isLastPage": true, "start": 0, "values": [
 {"state": "SUCCESSFUL", "key": "argocd/payments-dev", "name": "argocd/payments-dev",
  "url": "https://argocd.example/applications/payments-dev", "description": "Healthy: synced", "dateAdded": 1795687620000},
 {"state": "FAILED", "key": "smoke", "name": "smoke tests",
  "url": "https://ci.example.com/smoke", "description": "3 of 40 failed", "dateAdded": 1795687680000}
]}`

// TestCommitStatuses: build statuses named by key and dated by dateAdded;
// SUCCESSFUL green, FAILED red.
func TestCommitStatuses(t *testing.T) {
	t.Parallel()
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.RequestURI()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(buildsPage))
	}))
	defer srv.Close()
	p, err := New(config.Provider{URL: srv.URL, Project: "ACME/env", Token: config.NewSecret("t0ken"), RequestsPerMinute: 5000},
		outbound.WithHTTPClient(srv.Client()), outbound.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.CommitStatuses(context.Background(), "0f3c1b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b")
	if err != nil {
		t.Fatal(err)
	}
	want := []promotion.Status{
		{Context: "argocd/payments-dev", State: "success", Description: "Healthy: synced", TargetURL: "https://argocd.example/applications/payments-dev", UpdatedAt: time.UnixMilli(1795687620000)},
		{Context: "smoke", State: "failure", Description: "3 of 40 failed", TargetURL: "https://ci.example.com/smoke", UpdatedAt: time.UnixMilli(1795687680000)},
	}
	if !slices.EqualFunc(got, want, func(a, b promotion.Status) bool {
		return a.Context == b.Context && a.State == b.State && a.Description == b.Description && a.TargetURL == b.TargetURL && a.UpdatedAt.Equal(b.UpdatedAt)
	}) {
		t.Errorf("CommitStatuses =\n %+v\nwant\n %+v", got, want)
	}
	if want := "/rest/build-status/1.0/commits/0f3c1b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b?limit=100&start=0"; asked != want {
		t.Errorf("asked %s, want %s", asked, want)
	}
}
