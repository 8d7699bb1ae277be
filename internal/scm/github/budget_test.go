package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
	"github.com/ferryhq/ferry/internal/scm/outbound"
)

// A write whose budget token is not due before the call's deadline fails
// fast with RetryAfter, and is not sent; reads are not budgeted.
func TestBudgetFailsFastPastTheDeadline(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("GET", repoPath+"/pulls").File(t, td("pulls-empty.json"))
	h.On("POST", repoPath+"/pulls").Status(201).File(t, td("pull-created.json"))
	p := newProvider(t, h, func(c *config.Provider) { c.RequestsPerMinute = 1 })
	spec := promotion.PRSpec{Head: branch, Base: "main", Title: "t"}
	if _, err := p.Ensure(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	_, err := p.Ensure(context.Background(), spec)
	d, ok := derrors.As(err)
	if !ok || d.Kind != derrors.RateLimited || d.Code != "scm_rate_limited" {
		t.Fatalf("second Ensure = %v, want RateLimited", err)
	}
	if d.RetryAfter < 55*time.Second || d.RetryAfter > time.Minute {
		t.Errorf("RetryAfter = %s, want about a minute", d.RetryAfter)
	}
	listing := "GET " + repoPath + "/pulls?head=acme%3Aferry%2Fpayments%2Fprod&per_page=100&state=open"
	checkCalls(t, h, listing, "POST "+repoPath+"/pulls", listing)
}

// Writes whose tokens come due within the deadline wait for them.
func TestBudgetSpacesWrites(t *testing.T) {
	t.Parallel()
	h := fakehost.New(t)
	h.On("POST", repoPath+"/issues/7/comments").Status(201).File(t, td("comment-created.json"))
	h.On("PATCH", repoPath+"/pulls/7").File(t, td("pull-closed.json"))
	p := newProvider(t, h, func(c *config.Provider) { c.RequestsPerMinute = 600 }) // one per 100ms
	start := time.Now()
	for range 2 {
		if err := p.Close(context.Background(), 7, "bye"); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 290*time.Millisecond {
		t.Errorf("four writes at 600/min took %s, want at least 300ms", took)
	}
	if n := len(h.Requests()); n != 4 {
		t.Errorf("requests = %d, want 4", n)
	}
}

// With an App, Ferry trades a JWT for an installation token and uses that.
func TestAppInstallationAuth(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	h := fakehost.New(t)
	h.On("POST", "/api/v3/app/installations/4242/access_tokens").Status(201).
		Body(`{"token":"ghs_installationtoken","expires_at":"2099-01-01T00:00:00Z","permissions":{"pull_requests":"write","contents":"write"},"repository_selection":"selected"}`)
	serveGet(t, h, "pull-open.json", "status-success.json", "check-runs-passed.json")
	p, err := New(config.Provider{
		URL: h.URL, Project: "acme/env", RequestsPerMinute: 5000,
		App: &config.GitHubApp{AppID: 17, InstallationID: 4242, PrivateKey: config.NewSecret(string(pemKey))},
	}, outbound.WithHTTPClient(h.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Get(context.Background(), 7); err != nil {
		t.Fatal(err)
	}
	reqs := h.Requests()
	if len(reqs) != 1+len(getCalls) {
		t.Fatalf("requests = %q", h.Calls())
	}
	if got := reqs[0].Header.Get("Authorization"); !strings.HasPrefix(got, "Bearer ey") {
		t.Errorf("token exchange Authorization = %q, want a JWT", got)
	}
	for _, r := range reqs[1:] {
		if got := r.Header.Get("Authorization"); got != "token ghs_installationtoken" {
			t.Errorf("%s: Authorization = %q, want the installation token", r, got)
		}
	}
}

func TestEnterpriseAndProjectConfig(t *testing.T) {
	t.Parallel()
	p, err := New(config.Provider{URL: "https://ghe.example.com/api/v3", Project: "acme/env", Token: config.NewSecret(token)})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.client.BaseURL(); got != "https://ghe.example.com/api/v3/" {
		t.Errorf("enterprise base = %q", got)
	}
	p, err = New(config.Provider{Project: "acme/env", Token: config.NewSecret(token)})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.client.BaseURL(); got != "https://api.github.com/" {
		t.Errorf("public base = %q", got)
	}
	if _, err := New(config.Provider{Project: "acme"}); err == nil {
		t.Error("New accepted a project without owner/repo")
	}
}
