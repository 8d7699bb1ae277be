package github

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
)

// TestCommitStatuses: the health gate reads GitHub's combined status (the
// newest status of each context) and the check runs of the commit, a check
// run as a status named by its check: success green; failure red, cancelled
// an error; in progress, skipped or neutral not green.
func TestCommitStatuses(t *testing.T) {
	t.Parallel()
	at := func(hm string) time.Time { t, _ := time.Parse(time.RFC3339, "2026-11-20T"+hm+":00Z"); return t }
	for _, tc := range []struct {
		name, status, runs string
		want               []promotion.Status
	}{
		{"statuses and running checks", "status-failure.json", "check-runs-running.json", []promotion.Status{
			{Context: "ci/lint", State: "success", Description: "Build success", TargetURL: "https://ci.example.com/1000/output", UpdatedAt: at("10:06")},
			{Context: "ci/test", State: "failure", Description: "Build failure", TargetURL: "https://ci.example.com/1000/output", UpdatedAt: at("10:06")},
			{Context: "validate", State: "success", Description: "Mighty Readme report", TargetURL: "https://ci.example.com", UpdatedAt: at("10:09")},
			{Context: "kubeconform", State: "pending", Description: "Mighty Readme report", TargetURL: "https://ci.example.com", UpdatedAt: at("10:05")},
		}},
		{"a skipped check is not green", "status-none.json", "check-runs-passed.json", []promotion.Status{
			{Context: "validate", State: "success", Description: "Mighty Readme report", TargetURL: "https://ci.example.com", UpdatedAt: at("10:09")},
			{Context: "kubeconform", State: "pending", Description: "Mighty Readme report", TargetURL: "https://ci.example.com", UpdatedAt: at("10:09")},
		}},
		{"failed and cancelled checks are red", "status-none.json", "check-runs-failed.json", []promotion.Status{
			{Context: "validate", State: "failure", Description: "3 pods not ready", TargetURL: "https://ci.example.com", UpdatedAt: at("10:09")},
			{Context: "argocd/payments-dev", State: "error", Description: "Mighty Readme report", TargetURL: "https://ci.example.com", UpdatedAt: at("10:09")},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := fakehost.New(t)
			h.On("GET", repoPath+"/commits/"+head+"/status").File(t, td(tc.status))
			h.On("GET", repoPath+"/commits/"+head+"/check-runs").File(t, td(tc.runs))
			got, err := newProvider(t, h).CommitStatuses(context.Background(), head)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tc.want, func(a, b promotion.Status) bool {
				return a == b || a.UpdatedAt.Equal(b.UpdatedAt) && a.Context == b.Context && a.State == b.State && a.Description == b.Description && a.TargetURL == b.TargetURL
			}) {
				t.Errorf("CommitStatuses =\n %+v\nwant\n %+v", got, tc.want)
			}
			checkCalls(t, h,
				"GET "+repoPath+"/commits/"+head+"/status?per_page=100",
				"GET "+repoPath+"/commits/"+head+"/check-runs?per_page=100")
		})
	}
}

// TestCommitStatusesPages follows the Link header of a long check-run list.
func TestCommitStatusesPages(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("GET", repoPath+"/commits/"+head+"/status").File(t, td("status-success.json"))
	h.On("GET", repoPath+"/commits/"+head+"/check-runs").Once().File(t, td("check-runs-running.json")).
		Header("Link", `<{{URL}}`+repoPath+`/commits/`+head+`/check-runs?per_page=100&page=2>; rel="next"`)
	h.On("GET", repoPath+"/commits/"+head+"/check-runs").File(t, td("check-runs-failed.json"))
	got, err := newProvider(t, h).CommitStatuses(context.Background(), head)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Context+"="+s.State)
	}
	want := []string{"ci/lint=success", "validate=success", "kubeconform=pending", "validate=failure", "argocd/payments-dev=error"}
	if !slices.Equal(names, want) {
		t.Errorf("statuses %q, want %q", names, want)
	}
}

// An API failure is an error (the gate retries), not a missing status.
func TestCommitStatusesError(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("GET", repoPath+"/commits/"+head+"/status").Status(500).File(t, td("error-server.json"))
	if _, err := newProvider(t, h).CommitStatuses(context.Background(), head); err == nil {
		t.Error("CommitStatuses on a 500: no error")
	}
}
