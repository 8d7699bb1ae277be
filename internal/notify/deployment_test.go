package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/notify"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/hostcontract"
	"github.com/ferryhq/ferry/internal/store"
	"github.com/ferryhq/ferry/internal/store/sqlite"
)

const sourceSHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"

// sourceFlow stores a release built from acme/payments at sourceSHA whose
// prod promotion is merged.
func sourceFlow(t *testing.T, repo string) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Now()
	r := promotion.Release{ID: "rel-1", Application: "payments", Repository: "registry.example.com/acme/payments", Tag: "1.4.2",
		Digest: "sha256:" + strings.Repeat("a", 64), SourceRepo: repo, SourceCommit: sourceSHA, SourceBranch: "main", CreatedAt: now}
	p := promotion.Promotion{ID: "prm-1", ReleaseID: r.ID, Application: "payments", Environment: "prod", State: promotion.StatePending,
		NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if _, _, err := s.CreateRelease(ctx, r, []promotion.Promotion{p}); err != nil {
		t.Fatal(err)
	}
	p.State, p.MergeSHA, p.UpdatedAt = promotion.StateMerged, strings.Repeat("c", 40), now.Add(time.Second)
	if err := s.UpdatePromotion(ctx, "", p); err != nil {
		t.Fatal(err)
	}
	return s
}

// hostCall is one request a Git host fake got.
type hostCall struct {
	method, path, auth string
	body               map[string]any
}

// fakeHost answers each request with the handler's status and body, and
// records it.
type fakeHost struct {
	*httptest.Server
	mu    sync.Mutex
	calls []hostCall
}

func newFakeHost(t *testing.T, answer func(r *http.Request, calls []hostCall) (int, string)) *fakeHost {
	f := &fakeHost{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c := hostCall{method: r.Method, path: r.URL.EscapedPath(), auth: r.Header.Get("Authorization") + r.Header.Get("PRIVATE-TOKEN")}
		if r.URL.RawQuery != "" {
			c.path += "?" + r.URL.RawQuery
		}
		_ = json.Unmarshal(b, &c.body)
		f.mu.Lock()
		f.calls = append(f.calls, c)
		calls := append([]hostCall(nil), f.calls...)
		f.mu.Unlock()
		status, body := answer(r, calls)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeHost) host() string { u, _ := url.Parse(f.URL); return u.Host }

// deliverTwice sends the merged event to dest, re-sends it with the same
// delivery id, and returns the delivery.
func deliverTwice(t *testing.T, s *sqlite.Store, dest config.Destination, allow string) store.Delivery {
	t.Helper()
	ctx := context.Background()
	n := config.Notifications{Allow: []string{allow}, ConsoleURL: "https://ferry.example.com", Destinations: []config.Destination{dest}}
	snd, err := notify.New(notify.Config{Owner: "a"}, n, s, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := snd.Once(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := s.ListDeliveries(ctx, store.DeliveryFilter{})
	if err != nil || len(ds) != 1 || ds[0].State != store.DeliveryDelivered {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	if _, err := s.Redeliver(ctx, ds[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := snd.Once(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := s.GetDelivery(ctx, ds[0].ID)
	if err != nil || d.State != store.DeliveryDelivered {
		t.Fatalf("redelivery %+v, %v", d, err)
	}
	return d
}

// ghExample reads an example of GitHub's published description
// (@octokit/openapi 23.0.2, components.examples), kept in testdata/github.
func ghExample(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "github", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestGitHubDeploymentOnTheSourceCommit(t *testing.T) {
	dep := ghExample(t, "deployment") // id 1
	dep["payload"] = map[string]any{"ferry_promotion": "prm-1"}
	ghDeploymentJSON, ghStatusJSON := mustJSON(dep), mustJSON(ghExample(t, "deployment-status"))
	gh := newFakeHost(t, func(r *http.Request, calls []hostCall) (int, string) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/repos/acme/payments/deployments":
			for _, c := range calls[:len(calls)-1] {
				if c.method == http.MethodPost && strings.HasSuffix(c.path, "/deployments") {
					return http.StatusOK, "[" + ghDeploymentJSON + "]"
				}
			}
			return http.StatusOK, "[]"
		case r.Method == http.MethodPost && r.URL.Path == "/repos/acme/payments/deployments":
			return http.StatusCreated, ghDeploymentJSON
		case r.Method == http.MethodPost && r.URL.Path == "/repos/acme/payments/deployments/1/statuses":
			return http.StatusCreated, ghStatusJSON
		}
		return http.StatusNotFound, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`
	})
	// Every request and answer is held to GitHub's published description
	// (the subset vendored for the GitHub provider, @octokit/openapi).
	spec, err := os.ReadFile(filepath.Join("..", "scm", "github", "testdata", "openapi", "api.github.com.subset.json"))
	if err != nil {
		t.Fatal(err)
	}
	check := hostcontract.New(t, spec, gh.URL)
	rt := check.Transport(http.DefaultTransport)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, _ := http.NewRequest(r.Method, gh.URL+r.URL.RequestURI(), r.Body)
		out.Header = r.Header.Clone()
		resp, err := rt.RoundTrip(out)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	pu, _ := url.Parse(proxy.URL)
	s := sourceFlow(t, "https://github.com/acme/payments.git")
	deliverTwice(t, s, config.Destination{Name: "source", Kind: "github-deployment", URL: secret(t, proxy.URL), Secret: secret(t, "ghp_test"),
		Events: []string{"promotion.merged"}}, pu.Host)
	if ops := check.Operations(); len(ops) != 3 {
		t.Errorf("operations checked against GitHub's description: %q", ops)
	}
	t.Log(check.Line("github-deployment"))

	var got []string
	for _, c := range gh.calls {
		got = append(got, c.method+" "+c.path)
		if c.auth != "Bearer ghp_test" {
			t.Errorf("%s %s: Authorization %q", c.method, c.path, c.auth)
		}
	}
	list := "GET /repos/acme/payments/deployments?environment=prod&per_page=100&sha=" + sourceSHA
	want := []string{list, "POST /repos/acme/payments/deployments", "POST /repos/acme/payments/deployments/1/statuses",
		list, "POST /repos/acme/payments/deployments/1/statuses"} // the repeat finds its deployment
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	req, st := gh.calls[1].body, gh.calls[2].body
	if req["ref"] != sourceSHA || req["environment"] != "prod" || req["auto_merge"] != false || len(req["required_contexts"].([]any)) != 0 ||
		req["payload"].(map[string]any)["ferry_promotion"] != "prm-1" {
		t.Errorf("deployment %v", req)
	}
	if st["state"] != "success" || st["environment"] != "prod" || st["log_url"] != "https://ferry.example.com/promotions/prm-1" ||
		st["description"] != "payments 1.4.2 in prod: merged" {
		t.Errorf("status %v", st)
	}
}

// gitlabDeploymentJSON is the example answer of GitLab's "Create a
// deployment" (Deployments API), trimmed.
const gitlabDeploymentJSON = `{"id":42,"iid":2,"ref":"main","sha":"a91957a858320c0e17f3a0eca7cfacbff50ea29a","created_at":"2016-08-11T11:32:35.444Z",
"status":"success","user":{"name":"Administrator","username":"root","id":1,"state":"active"},
"environment":{"id":9,"name":"production","external_url":"https://about.gitlab.com"},"deployable":null}`

func TestGitLabDeploymentOfTheSourceCommit(t *testing.T) {
	gl := newFakeHost(t, func(r *http.Request, _ []hostCall) (int, string) {
		if r.Method == http.MethodPost && r.URL.EscapedPath() == "/api/v4/projects/acme%2Fpayments/deployments" {
			return http.StatusCreated, gitlabDeploymentJSON
		}
		return http.StatusNotFound, `{"message":"404 Project Not Found"}`
	})
	s := sourceFlow(t, "https://gitlab.example.com/acme/payments")
	deliverTwice(t, s, config.Destination{Name: "source", Kind: "gitlab-deployment", URL: secret(t, gl.URL+"/api/v4"), Secret: secret(t, "glpat-test"),
		Events: []string{"promotion.merged"}}, gl.host())
	var n int
	for _, c := range gl.calls {
		if c.method != http.MethodPost || c.auth != "glpat-test" {
			t.Errorf("call %+v", c)
		}
		b := c.body
		if b["environment"] != "prod" || b["sha"] != sourceSHA || b["ref"] != "main" || b["tag"] != false || b["status"] != "success" {
			t.Errorf("deployment %v", b)
		}
		n++
	}
	if n != 2 { // sent, then re-sent with the same delivery id
		t.Errorf("GitLab got %d deployments, want 2", n)
	}
}

// giteaStatusJSON is a CommitStatus as Gitea's API documents it (swagger
// definition CommitStatus).
const giteaStatusJSON = `{"id":1,"status":"success","target_url":"https://ferry.example.com/promotions/prm-1","description":"payments 1.4.2 in prod: merged",
"url":"https://gitea.example.com/api/v1/repos/acme/payments/statuses/6dcb09b5b57875f334f61aebed695e2e4193db5e","context":"ferry/prod",
"creator":{"id":2,"login":"ferry-bot"},"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`

func TestGiteaStatusOnTheSourceCommit(t *testing.T) {
	gt := newFakeHost(t, func(r *http.Request, _ []hostCall) (int, string) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v1/repos/acme/payments/statuses/"+sourceSHA {
			return http.StatusCreated, giteaStatusJSON
		}
		return http.StatusNotFound, `{"message":"not found"}`
	})
	s := sourceFlow(t, "git@gitea.example.com:acme/payments.git")
	deliverTwice(t, s, config.Destination{Name: "source", Kind: "gitea-status", URL: secret(t, gt.URL+"/api/v1"), Secret: secret(t, "gitea-token"),
		Events: []string{"promotion.merged"}}, gt.host())
	if len(gt.calls) != 2 {
		t.Fatalf("Gitea got %d calls, want 2 (sent, re-sent)", len(gt.calls))
	}
	for _, c := range gt.calls {
		b := c.body
		if c.auth != "token gitea-token" || b["state"] != "success" || b["context"] != "ferry/prod" ||
			b["target_url"] != "https://ferry.example.com/promotions/prm-1" || b["description"] != "payments 1.4.2 in prod: merged" {
			t.Errorf("call %+v", c)
		}
	}
}
