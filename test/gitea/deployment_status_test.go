package gitea

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
)

// TestDeploymentStatusOnTheSourceCommit: a notifications destination of
// kind gitea-status sets a commit status ferry/<environment> on the
// application's source commit (named by the build report) as its release
// moves: success once dev has it, pending while the stage pull request
// waits, success when it is merged.
func TestDeploymentStatusOnTheSourceCommit(t *testing.T) {
	needHost(t)
	u, _ := url.Parse(host.URL)
	s := newStack(t, stackOptions{extra: fmt.Sprintf(`notifications:
  allow: ["%s"]
  consoleURL: http://ferry.test
  retryMax: 2s
  destinations:
    - name: source
      kind: gitea-status
      url: %s/api/v1
      secret: %s
      events: [pr.opened, promotion.committed, promotion.merged, promotion.failed]
`, u.Host, host.URL, host.tokens[bot])})

	// The application's own repository, with one commit, on the same Gitea.
	app := fmt.Sprintf("app-%d", repoSeq.Add(1))
	appPath := "/api/v1/repos/" + org + "/" + app
	s.must(admin, http.MethodPost, "/api/v1/orgs/"+org+"/repos",
		map[string]any{"name": app, "private": false, "default_branch": "main", "auto_init": true}, nil, http.StatusCreated)
	s.must(admin, http.MethodPut, appPath+"/collaborators/"+bot, map[string]any{"permission": "write"}, nil, http.StatusNoContent)
	var branch struct {
		Commit struct {
			ID string `json:"id"`
		} `json:"commit"`
	}
	s.must(admin, http.MethodGet, appPath+"/branches/main", nil, &branch, http.StatusOK)
	source := branch.Commit.ID

	digest, err := s.reg.Push("acme/payments", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	var br api.BuildResponse
	st, body := s.ferryCall(http.MethodPost, "/api/v1/builds", ciToken, api.BuildRequest{Application: "payments",
		Image: s.reg.Host + "/acme/payments", Tag: "1.0.0", Digest: digest,
		SourceRepo: host.URL + "/" + org + "/" + app, SourceCommit: source, SourceBranch: "main"}, &br)
	if st/100 != 2 {
		t.Fatalf("report: %d %s", st, body)
	}
	rel := br.Release.ID
	s.await(rel, "dev", "committed")
	statuses := func() map[string]string {
		var list []struct {
			Context     string `json:"context"`
			Status      string `json:"status"`
			Description string `json:"description"`
			TargetURL   string `json:"target_url"`
		}
		s.must(admin, http.MethodGet, appPath+"/commits/"+source+"/statuses?sort=newest", nil, &list, http.StatusOK)
		out := map[string]string{}
		for _, l := range list {
			if _, seen := out[l.Context]; !seen { // newest first
				out[l.Context] = l.Status + " " + l.Description + " " + l.TargetURL
			}
		}
		return out
	}
	await := func(ctx, prefix string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			got := statuses()[ctx]
			if strings.HasPrefix(got, prefix) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("status %s on the source commit: %q, want %q…", ctx, got, prefix)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	await("ferry/dev", "success payments 1.0.0 in dev: committed http://ferry.test/promotions/")
	stage, pr := s.prFor(rel)
	await("ferry/stage", "pending payments 1.0.0 in stage: pull request opened http://ferry.test/promotions/"+stage.ID)
	s.approve(alice, pr.Number, pr.Head.SHA)
	s.awaitID(stage.ID, "merged")
	await("ferry/stage", "success payments 1.0.0 in stage: merged")
}
