package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo/gittest"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
	"github.com/ferryhq/ferry/internal/scm/github/githubfake"
	"github.com/ferryhq/ferry/internal/scm/hostcontract"
)

// TestHostContract drives the provider through every operation it calls
// against the GitHub fake, with each request Ferry sends and each answer
// the fake returns validated against GitHub's published description
// (testdata/openapi). It prints the line CI keeps.
func TestHostContract(t *testing.T) {
	spec, err := os.ReadFile(subsetPath)
	if err != nil {
		t.Fatal(err)
	}
	fake := githubfake.New(t, "acme/env", token)
	work := t.TempDir()
	gittest.WriteFile(t, work, "README.md", "env\n")
	bare := gittest.NewBare(t, work, "first")
	for _, b := range []string{"ferry/payments/stage", "ferry/payments/prod"} {
		gittest.Git(t, work, "checkout", "-q", "-b", b, "main")
		gittest.WriteFile(t, work, b+".txt", b+"\n")
		gittest.Git(t, work, "add", "-A")
		gittest.Git(t, work, "commit", "-q", "-m", b)
		gittest.Git(t, work, "push", "-q", bare, b)
	}
	fake.SetBare(bare)
	fake.RequireChecks("main", "validate")

	check := hostcontract.New(t, spec, fake.URL+"/api/v3")
	// ghinstallation asks for an installation token with an empty POST
	// body, which Ferry cannot change; GitHub accepts it.
	check.AllowInvalidRequest("POST /app/installations/{installation_id}/access_tokens", "ghinstallation sends no body")
	client := &http.Client{Transport: check.Transport(fake.Client().Transport)}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	newP := func(app bool) *Provider {
		cfg := config.Provider{URL: fake.URL + "/api/v3", Project: "acme/env", Token: config.NewSecret(token), RequestsPerMinute: 5000}
		if app {
			cfg.Token = config.Secret{}
			cfg.App = &config.GitHubApp{AppID: 17, InstallationID: 4242, PrivateKey: config.NewSecret(string(pemKey))}
		}
		p, err := New(cfg, WithHTTPClient(client))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := newP(false)
	ctx := context.Background()

	prod, err := p.Ensure(ctx, promotion.PRSpec{Head: "ferry/payments/prod", Base: "main", Title: "Promote payments 1.0.0 to prod", Body: "body"})
	if err != nil {
		t.Fatal(err)
	}
	if prod, err = p.Ensure(ctx, promotion.PRSpec{Head: "ferry/payments/prod", Base: "main", Title: "Promote payments 1.0.1 to prod", Body: "newer"}); err != nil {
		t.Fatal(err)
	}
	fake.Review(prod.Number, "alice", "APPROVED")
	fake.SetPermission("mallory", "read")
	fake.Review(prod.Number, "mallory", "APPROVED")
	fake.Review(prod.Number, "bob", "CHANGES_REQUESTED")

	got, err := p.Get(ctx, prod.Number)
	if err != nil {
		t.Fatal(err)
	}
	want := []promotion.Approval{{User: "alice", Counted: true}, {User: "mallory", Reason: promotion.ReasonNoWrite}}
	for i, a := range got.Approvals {
		// When each review was submitted, as GitHub says (submitted_at).
		if a.At.IsZero() || time.Since(a.At) > time.Minute {
			t.Errorf("approval by %s at %v, want its review's submitted_at", a.User, a.At)
		}
		got.Approvals[i].At = time.Time{}
	}
	if !slices.Equal(got.Approvals, want) || !slices.Equal(got.ChangesRequested, []string{"bob"}) {
		t.Errorf("approvals %+v, changes requested %q; want %+v and bob", got.Approvals, got.ChangesRequested, want)
	}
	if got.Checks != promotion.ChecksPending || got.Mergeable || got.NotMergeable != `required check "validate" not reported yet` {
		t.Errorf("before CI: checks %q, mergeable %v (%s); want pending and the missing check named", got.Checks, got.Mergeable, got.NotMergeable)
	}
	fake.SetStatus(got.HeadSHA, "success")
	fake.SetCheckRun(got.HeadSHA, "validate", "in_progress", "")
	if got, err = p.Get(ctx, prod.Number); err != nil {
		t.Fatal(err)
	}
	if got.Checks != promotion.ChecksPending || got.Mergeable {
		t.Errorf("CI running: checks %q, mergeable %v; want pending and blocked", got.Checks, got.Mergeable)
	}
	fake.SetCheckRun(got.HeadSHA, "validate", "completed", "success")
	if got, err = p.Get(ctx, prod.Number); err != nil {
		t.Fatal(err)
	}
	if got.Checks != promotion.ChecksPassed || !got.Mergeable {
		t.Errorf("CI passed: checks %q, mergeable %v (%s); want passed and mergeable", got.Checks, got.Mergeable, got.NotMergeable)
	}
	merged, err := p.Merge(ctx, prod.Number, got.HeadSHA)
	if err != nil {
		t.Fatal(err)
	}
	if merged.State != promotion.PRMerged || merged.MergeSHA == "" {
		t.Errorf("Merge = %+v", merged)
	}

	// The same through a GitHub App installation, closing the other PR.
	app := newP(true)
	stage, err := app.Ensure(ctx, promotion.PRSpec{Head: "ferry/payments/stage", Base: "main", Title: "Promote payments 1.0.0 to stage"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Close(ctx, stage.Number, "Superseded by 1.0.1."); err != nil {
		t.Fatal(err)
	}
	if closed, err := app.Get(ctx, stage.Number); err != nil || closed.State != promotion.PRClosed || closed.ClosedBy != "ferry-bot" {
		t.Errorf("closed by Ferry: %+v, %v; want closed by ferry-bot", closed, err)
	}

	// Team membership, for an environment's "team:" approvers.
	fake.SetTeam("release-managers", "alice")
	for user, want := range map[string]bool{"alice": true, "mallory": false} {
		if in, err := p.IsMember(ctx, "release-managers", user); err != nil || in != want {
			t.Errorf("IsMember(release-managers, %s) = %v, %v; want %v", user, in, err, want)
		}
	}

	// The health gate reads Argo CD's status and a rollout check on the
	// merge commit.
	fake.PostStatus(merged.MergeSHA, "argocd/payments-prod", "pending", "Progressing", "https://argocd.example/applications/payments-prod")
	fake.PostStatus(merged.MergeSHA, "argocd/payments-prod", "failure", "Degraded: 2 pods crash-looping", "https://argocd.example/applications/payments-prod")
	fake.SetCheckRun(merged.MergeSHA, "rollout", "completed", "success")
	statuses, err := p.CommitStatuses(ctx, merged.MergeSHA)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, s := range statuses {
		seen = append(seen, s.Context+"="+s.State+" "+s.Description)
	}
	if want := []string{"argocd/payments-prod=failure Degraded: 2 pods crash-looping", "rollout=success Mighty Readme report"}; !slices.Equal(seen, want) {
		t.Errorf("statuses of the merge commit %q, want %q", seen, want)
	}

	ops := check.Operations()
	if want := slices.Sorted(slices.Values(githubOperations)); !slices.Equal(ops, want) {
		t.Errorf("operations exercised\n %q\nwant every one Ferry calls\n %q", ops, want)
	}
	fmt.Println(check.Line("github"))
}

// recorder is a testing.TB that keeps the failures it is given.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

// The check is no rubber stamp: answers shaped like the old fake's (a
// combined status without repository, commit_url and url; a pull request
// with only a handful of fields) and a request with a wrong type fail it.
func TestHostContractCatchesDishonestAnswers(t *testing.T) {
	t.Parallel()
	spec, err := os.ReadFile(subsetPath)
	if err != nil {
		t.Fatal(err)
	}
	h := fakehost.New(t)
	rec := &recorder{TB: t}
	check := hostcontract.New(rec, spec, h.URL+"/api/v3")
	h.On("GET", repoPath+"/commits/"+head+"/status").Body(`{"state":"success","sha":"` + head + `","total_count":1,"statuses":[]}`)
	h.On("GET", repoPath+"/pulls/7").Body(`{"number":7,"state":"open","head":{"ref":"x","sha":"` + head + `"},"base":{"ref":"main"}}`)
	h.On("PUT", repoPath+"/pulls/7/merge").Body(`{"sha":"` + head + `","merged":true,"message":"ok"}`)
	c := &http.Client{Transport: check.Transport(h.Client().Transport)}
	for _, req := range []struct{ method, path, body string }{
		{"GET", repoPath + "/commits/" + head + "/status", ""},
		{"GET", repoPath + "/pulls/7", ""},
		{"PUT", repoPath + "/pulls/7/merge", `{"merge_method":"octopus"}`},
	} {
		r, _ := http.NewRequest(req.method, h.URL+req.path, strings.NewReader(req.body))
		if req.body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	line := check.Line("github")
	if !strings.Contains(line, "requests_invalid=1 responses_invalid=2") {
		t.Errorf("line = %q, want one invalid request and two invalid responses; failures: %q", line, rec.failures)
	}
}

// TestTestdataMatchesGitHub: the recorded answers the scripted provider
// tests serve validate against GitHub's description too.
func TestTestdataMatchesGitHub(t *testing.T) {
	t.Parallel()
	spec, err := os.ReadFile(subsetPath)
	if err != nil {
		t.Fatal(err)
	}
	h := fakehost.New(t)
	check := hostcontract.New(t, spec, h.URL+"/api/v3")
	c := &http.Client{Transport: check.Transport(h.Client().Transport)}
	for _, tc := range []struct {
		method, path string
		status       int
		files        []string
	}{
		{"GET", "/pulls", 200, []string{"pulls-empty.json", "pulls-open.json"}},
		{"POST", "/pulls", 201, []string{"pull-created.json"}},
		{"GET", "/pulls/7", 200, []string{"pull-open.json", "pull-closed.json", "pull-merged.json", "pull-updated.json"}},
		{"GET", "/pulls/7/reviews", 200, []string{"reviews-page1.json", "reviews-page2.json"}},
		{"PUT", "/pulls/7/merge", 200, []string{"merge-ok.json"}},
		{"PUT", "/pulls/7/merge", 409, []string{"merge-head-moved.json"}},
		{"GET", "/commits/" + head + "/status", 200, []string{"status-success.json", "status-failure.json", "status-none.json"}},
		{"GET", "/commits/" + head + "/check-runs", 200, []string{"check-runs-passed.json", "check-runs-running.json", "check-runs-empty.json", "check-runs-failed.json"}},
		{"POST", "/issues/7/comments", 201, []string{"comment-created.json"}},
		{"GET", "/collaborators/alice/permission", 200, []string{"permission-alice.json", "permission-bob.json", "permission-erin.json", "permission-mallory.json", "permission-trent.json"}},
		{"GET", "/branches/main", 200, []string{"branch-main.json", "branch-main-protected.json"}},
		{"GET", "/rules/branches/main", 200, []string{"rules-empty.json", "rules-required-checks.json"}},
		{"GET", "/issues/7/events", 200, []string{"events-closed.json"}},
		{"GET", "/pulls/8", 404, []string{"error-not-found.json"}},
		{"POST", "/pulls", 422, []string{"error-validation.json"}},
	} {
		for _, file := range tc.files {
			h.On(tc.method, repoPath+tc.path).Once().Status(tc.status).File(t, td(file))
			body := ""
			if tc.method != "GET" {
				body = map[string]string{
					"/pulls":             `{"title":"t","head":"` + branch + `","base":"main"}`,
					"/pulls/7/merge":     `{"sha":"` + head + `","merge_method":"merge"}`,
					"/issues/7/comments": `{"body":"bye"}`,
				}[tc.path]
			}
			req, _ := http.NewRequest(tc.method, h.URL+repoPath+tc.path, strings.NewReader(body))
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("%s: status %d", file, resp.StatusCode)
			}
		}
	}
	t.Log(check.Line("github (testdata)"))
}
