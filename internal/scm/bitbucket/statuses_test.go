package bitbucket

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

// statusesPage is a page of commit statuses as Bitbucket Cloud documents
// them (api-group-commit-statuses, "List commit statuses for a commit").
const statusesPage = `{"pagelen": 100, "size": 3, "page": 1, "values": [
 {"type": "build", "uuid": "{5a4e3f52-0c1e-4f4e-9d2a-0d7b1c2e3f40}", "key": "argocd/payments-dev", "refname": null,
  "url": "https://argocd.example/applications/payments-dev", "state": "SUCCESSFUL", "name": "argocd/payments-dev",
  "description": "Healthy: synced", "created_on": "2026-11-20T10:01:00.000000+00:00", "updated_on": "2026-11-20T10:07:00.000000+00:00",
  "links": {"self": {"href": "https://api.bitbucket.org/2.0/repositories/acme/env/commit/0f3c1b2a/statuses/build/argocd/payments-dev"}, "commit": {"href": "https://api.bitbucket.org/2.0/repositories/acme/env/commit/0f3c1b2a"}}},
 {"type": "build", "uuid": "{6b5f4a63-1d2f-4a5f-8e3b-1e8c2d3f4a51}", "key": "flux-payments", "refname": null,
  "url": "https://flux.example/payments", "state": "FAILED", "name": "kustomization/payments",
  "description": "Health check failed", "created_on": "2026-11-20T10:03:00.000000+00:00", "updated_on": "2026-11-20T10:08:00.000000+00:00",
  "links": {}},
 {"type": "build", "uuid": "{7c6a5b74-2e3a-4b6a-9f4c-2f9d3e4a5b62}", "key": "smoke", "refname": null,
  "url": "https://ci.example.com/smoke", "state": "STOPPED", "name": "smoke",
  "description": "", "created_on": "2026-11-20T10:04:00.000000+00:00", "updated_on": "2026-11-20T10:05:00.000000+00:00",
  "links": {}}
]}`

// TestCommitStatuses: build statuses named by key; SUCCESSFUL green,
// FAILED red, STOPPED an error; each since it was last updated.
func TestCommitStatuses(t *testing.T) {
	t.Parallel()
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.RequestURI()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(statusesPage))
	}))
	defer srv.Close()
	p, err := New(config.Provider{URL: srv.URL + "/2.0", Project: "acme/env", Token: config.NewSecret("t0ken"), RequestsPerMinute: 5000},
		outbound.WithHTTPClient(srv.Client()), outbound.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.CommitStatuses(context.Background(), "0f3c1b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b")
	if err != nil {
		t.Fatal(err)
	}
	at := func(hm string) time.Time { t, _ := time.Parse(time.RFC3339, "2026-11-20T"+hm+":00Z"); return t }
	want := []promotion.Status{
		{Context: "argocd/payments-dev", State: "success", Description: "Healthy: synced", TargetURL: "https://argocd.example/applications/payments-dev", UpdatedAt: at("10:07")},
		{Context: "flux-payments", State: "failure", Description: "Health check failed", TargetURL: "https://flux.example/payments", UpdatedAt: at("10:08")},
		{Context: "smoke", State: "error", TargetURL: "https://ci.example.com/smoke", UpdatedAt: at("10:05")},
	}
	if !slices.EqualFunc(got, want, func(a, b promotion.Status) bool {
		return a.Context == b.Context && a.State == b.State && a.Description == b.Description && a.TargetURL == b.TargetURL && a.UpdatedAt.Equal(b.UpdatedAt)
	}) {
		t.Errorf("CommitStatuses =\n %+v\nwant\n %+v", got, want)
	}
	if want := "/2.0/repositories/acme/env/commit/0f3c1b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b/statuses?pagelen=100"; asked != want {
		t.Errorf("asked %s, want %s", asked, want)
	}
}
