package gitlab

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
)

const statusSHA = "0f3c1b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"

// TestCommitStatuses: every status of the commit (all=true), each named by
// its name, success green, failed red, running and pending not yet, and
// each at the time it finished, else started, else was created.
func TestCommitStatuses(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	path := "/api/v4/projects/acme%2Fenv/repository/commits/" + statusSHA + "/statuses"
	h.On("GET", path).File(t, td("statuses.json")).Header("X-Page", "1").Header("X-Total-Pages", "1")
	got, err := newProvider(t, h).CommitStatuses(context.Background(), statusSHA)
	if err != nil {
		t.Fatal(err)
	}
	at := func(hm string) time.Time { t, _ := time.Parse(time.RFC3339, "2026-11-20T"+hm+":00Z"); return t }
	want := []promotion.Status{
		{Context: "argocd/payments-dev", State: "success", Description: "Healthy: synced to 0f3c1b2", TargetURL: "https://argocd.example/applications/payments-dev", UpdatedAt: at("10:07")},
		{Context: "argocd/payments-dev", State: "pending", Description: "Progressing", TargetURL: "https://argocd.example/applications/payments-dev", UpdatedAt: at("10:02")},
		{Context: "flux/kustomization/payments", State: "failure", Description: "Health check failed after 5m", UpdatedAt: at("10:08")},
		{Context: "bundler:audit", State: "pending", TargetURL: "https://gitlab.example.com/john_doe/gitlab-foss/builds/91", UpdatedAt: at("10:04")},
	}
	if !slices.EqualFunc(got, want, func(a, b promotion.Status) bool {
		return a.Context == b.Context && a.State == b.State && a.Description == b.Description && a.TargetURL == b.TargetURL && a.UpdatedAt.Equal(b.UpdatedAt)
	}) {
		t.Errorf("CommitStatuses =\n %+v\nwant\n %+v", got, want)
	}
	checkCalls(t, h, "GET "+path+"?all=true&per_page=100")
}

// TestCommitStatusesPages follows X-Next-Page.
func TestCommitStatusesPages(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	path := "/api/v4/projects/acme%2Fenv/repository/commits/" + statusSHA + "/statuses"
	h.On("GET", path).Once().File(t, td("statuses.json")).Header("X-Page", "1").Header("X-Next-Page", "2").Header("X-Total-Pages", "2")
	h.On("GET", path).File(t, td("statuses.json")).Header("X-Page", "2").Header("X-Total-Pages", "2")
	got, err := newProvider(t, h).CommitStatuses(context.Background(), statusSHA)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 8 {
		t.Errorf("%d statuses over two pages, want 8", len(got))
	}
	checkCalls(t, h, "GET "+path+"?all=true&per_page=100", "GET "+path+"?all=true&page=2&per_page=100")
}
