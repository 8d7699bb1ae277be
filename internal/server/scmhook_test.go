package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/fakehost"
	"github.com/ferryhq/ferry/internal/scm/gitea"
	"github.com/ferryhq/ferry/internal/scm/github"
	"github.com/ferryhq/ferry/internal/scm/github/githubfake"
	"github.com/ferryhq/ferry/internal/scm/gitlab"
)

// harnessOptions changes what newHarness builds.
type harnessOptions struct {
	providers map[string]promotion.Provider
	// sets adds release set shop (checkout, payments, notifier) to the
	// pipeline: its members then go on from dev only as a set.
	sets bool
}

type harnessOption func(*harnessOptions)

// withProviders gives the engine Git host providers by repository name
// (the harness's repository is "env"). Default: the built-in provider.
func withProviders(p map[string]promotion.Provider) harnessOption {
	return func(o *harnessOptions) { o.providers = p }
}

// withSets puts the example's three applications in release set shop.
// Default: no set, each application moves on its own.
func withSets() harnessOption {
	return func(o *harnessOptions) { o.sets = true }
}

// GitHub's published example secret: its signature of "Hello, World!" is
// in GitHub's documentation on validating webhook deliveries.
const (
	githubDocSecret    = "It's a Secret to Everybody"
	githubDocSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	githubToken        = "ghp_servertest0123456789"
)

// ghDelivery is a GitHub webhook delivery to the harness's repository.
func ghDelivery(event, delivery, sig string, body []byte) request {
	hdr := map[string]string{"X-GitHub-Event": event, "User-Agent": "GitHub-Hookshot/044aadd"}
	if delivery != "" {
		hdr["X-GitHub-Delivery"] = delivery
	}
	if sig != "" {
		hdr["X-Hub-Signature-256"] = sig
	}
	return request{method: "POST", path: "/api/v1/scm/env/webhook", header: hdr, body: string(body)}
}

func wantWebhook(t *testing.T, res response, delivery, kind string, duplicate bool) {
	t.Helper()
	var w api.WebhookResponse
	decode(t, res, http.StatusAccepted, &w)
	if w != (api.WebhookResponse{Delivery: delivery, Kind: kind, Duplicate: duplicate}) {
		t.Errorf("webhook answer %+v, want delivery %s kind %s duplicate %v", w, delivery, kind, duplicate)
	}
}

// TestSCMWebhookGitHub sends GitHub deliveries to the receiver of an engine
// whose repository's pull requests live on a (fake) GitHub: the webhook
// wakes the promotion, which then reads the truth from the API; replays
// and forgeries do nothing.
func TestSCMWebhookGitHub(t *testing.T) {
	fake := githubfake.New(t, "acme/envs", githubToken)
	prov, err := github.New(config.Provider{
		Kind: config.ProviderGitHub, URL: fake.URL, Project: "acme/envs",
		Token: config.NewSecret(githubToken), WebhookSecret: config.NewSecret(githubDocSecret),
	}, github.WithHTTPClient(fake.Client()))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withProviders(map[string]promotion.Provider{"env": prov}))
	fake.SetBare(h.bare)
	h.waitReady(t)

	br, _ := h.postBuild(t, tokAdmin, h.build("payments", "payments", "1.4.2", "digest", h.paymentsDigest.String()), http.StatusAccepted)
	stage := h.awaitPromotion(t, "payments", "stage", br.Release.ID, "pr-open")
	if stage.PRNumber != 1 || stage.PRURL != fake.URL+"/acme/envs/pull/1" || stage.Reason != "waiting for approvals: 0 of 1" {
		t.Fatalf("stage promotion: #%d %s %q", stage.PRNumber, stage.PRURL, stage.Reason)
	}
	pullPath := fake.Prefix() + "/pulls/1"
	reads := func() int { return fake.Count("GET", pullPath) }

	t.Run("published test vector", func(t *testing.T) {
		// GitHub's example body is not JSON, which the document asks for;
		// Ferry still checks its signature and ignores the ping.
		r := ghDelivery("ping", "d-vector", githubDocSignature, []byte("Hello, World!"))
		r.invalid = true
		if res := h.do(t, r); res.status != http.StatusNoContent || len(res.body) != 0 {
			t.Errorf("GitHub's test vector: %d %s, want 204", res.status, res.body)
		}
		r = ghDelivery("ping", "d-vector", githubDocSignature, []byte("Hello, World?"))
		r.invalid = true
		wantProblem(t, h.do(t, r), http.StatusUnauthorized, "bad_signature")
	})

	t.Run("ignored events", func(t *testing.T) {
		for _, ev := range []string{"ping", "push", "issues", "workflow_run"} {
			body := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
			if res := h.do(t, ghDelivery(ev, "d-"+ev, githubfake.Sign(githubDocSecret, body), body)); res.status != http.StatusNoContent {
				t.Errorf("%s: %d %s, want 204", ev, res.status, res.body)
			}
		}
		// A review that is only edited changes nothing Ferry follows.
		body := []byte(`{"action":"edited","pull_request":{"number":1},"review":{"state":"commented"}}`)
		if res := h.do(t, ghDelivery("pull_request_review", "d-edited", githubfake.Sign(githubDocSecret, body), body)); res.status != http.StatusNoContent {
			t.Errorf("edited review: %d %s, want 204", res.status, res.body)
		}
	})

	t.Run("signed but malformed", func(t *testing.T) {
		body := []byte(`{"action":"closed","pull_request":"#1"}`)
		wantProblem(t, h.do(t, ghDelivery("pull_request", "d-malformed", githubfake.Sign(githubDocSecret, body), body)), http.StatusBadRequest, "invalid_webhook")
	})

	t.Run("approval wakes the promotion", func(t *testing.T) {
		fake.Review(1, "alice", "APPROVED")
		body := fake.ReviewHook(1, "alice")
		before := reads()
		wantWebhook(t, h.do(t, ghDelivery("pull_request_review", "d-review-1", githubfake.Sign(githubDocSecret, body), body)), "d-review-1", "reviewed", false)
		// The reconcile interval is a minute: only the webhook makes this quick.
		p := h.awaitReason(t, stage.ID, "mergeable: waiting for someone to merge", 10*time.Second)
		if !slices.Equal(p.Approvers, []string{"alice"}) || p.State != "pr-open" {
			t.Errorf("after the approval: %s %v", p.State, p.Approvers)
		}
		if reads() <= before {
			t.Errorf("the worker did not read pull request #1 after the webhook")
		}
	})

	t.Run("replays and forgeries do no work", func(t *testing.T) {
		body := fake.ReviewHook(1, "alice")
		before := reads()
		wantWebhook(t, h.do(t, ghDelivery("pull_request_review", "d-review-1", githubfake.Sign(githubDocSecret, body), body)), "d-review-1", "reviewed", true)
		for name, r := range map[string]request{
			"missing signature":    ghDelivery("pull_request_review", "d-forged-1", "", body),
			"wrong secret":         ghDelivery("pull_request_review", "d-forged-2", githubfake.Sign("guess", body), body),
			"signature of another": ghDelivery("pull_request_review", "d-forged-3", githubfake.Sign(githubDocSecret, []byte(`{}`)), body),
			"sha1 only":            ghDelivery("pull_request_review", "d-forged-4", "sha1="+strings.Repeat("0", 40), body),
			"not hex":              ghDelivery("pull_request_review", "d-forged-5", "sha256=zz", body),
		} {
			p := wantProblem(t, h.do(t, r), http.StatusUnauthorized, "bad_signature")
			if strings.Contains(p.Detail, githubDocSecret) {
				t.Errorf("%s: the detail shows the secret: %s", name, p.Detail)
			}
		}
		// A forged delivery does not burn its id: signed, it is new.
		body2 := fake.ReviewHook(1, "alice")
		wantWebhook(t, h.do(t, ghDelivery("pull_request_review", "d-forged-1", githubfake.Sign(githubDocSecret, body2), body2)), "d-forged-1", "reviewed", false)
		deadline := time.Now().Add(10 * time.Second)
		for reads() == before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Second) // room for work that should not happen
		if n := reads() - before; n != 1 {
			t.Errorf("GET %s: %d times after the replay, five forgeries and one new delivery, want 1", pullPath, n)
		}
	})

	t.Run("a hosted pull request is decided on the host", func(t *testing.T) {
		for _, verb := range []string{"approve", "cancel"} {
			wantProblem(t, h.do(t, request{method: "POST", path: "/api/v1/promotions/" + stage.ID + "/" + verb, token: tokPromoter}),
				http.StatusConflict, "hosted_pull_request")
		}
	})

	t.Run("closed on the host", func(t *testing.T) {
		fake.ClosePR(1, "bob")
		body := fake.PullRequestHook(1, "closed", "bob")
		wantWebhook(t, h.do(t, ghDelivery("pull_request", "d-closed", githubfake.Sign(githubDocSecret, body), body)), "d-closed", "closed", false)
		p := h.awaitPromotion(t, "payments", "stage", br.Release.ID, "rejected")
		if !strings.Contains(p.Reason, "pull request #1 closed without merging by bob") {
			t.Errorf("rejected: %q", p.Reason)
		}
		wantWebhook(t, h.do(t, ghDelivery("pull_request", "d-closed", githubfake.Sign(githubDocSecret, body), body)), "d-closed", "closed", true)
	})

	// Ferry sent its token to the API only, on every request.
	for _, c := range fake.Calls() {
		if c.Auth != "Bearer "+githubToken {
			t.Errorf("%s: Authorization %q", c, c.Auth)
		}
	}
}

// awaitReason waits until the promotion's reason is reason.
func (h *harness) awaitReason(t *testing.T, id, reason string, within time.Duration) api.Promotion {
	t.Helper()
	deadline := time.Now().Add(within)
	var p api.Promotion
	for time.Now().Before(deadline) {
		if p = h.getPromotion(t, id); p.Reason == reason {
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("promotion %s: reason %q after %s, want %q", id, p.Reason, within, reason)
	return p
}

// TestSCMWebhookGitLab checks X-Gitlab-Token deliveries: the token is the
// secret itself. No merge request is open, so nothing is woken, and the
// GitLab API (a scripted host expecting no request) is never called.
func TestSCMWebhookGitLab(t *testing.T) {
	host := fakehost.New(t)
	prov, err := gitlab.New(config.Provider{
		Kind: config.ProviderGitLab, URL: host.URL, Project: "acme/envs",
		Token: config.NewSecret("glpat-servertest"), WebhookSecret: config.NewSecret("gitlab-hook-secret"),
	}, gitlab.WithHTTPClient(host.Client()))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withProviders(map[string]promotion.Provider{"env": prov}))
	h.waitReady(t)

	mr := func(action string) string {
		return `{"object_kind":"merge_request","event_type":"merge_request","user":{"username":"alice"},` +
			`"object_attributes":{"iid":7,"source_branch":"ferry/payments/stage","target_branch":"main","action":"` + action +
			`","last_commit":{"id":"6dcb09b5b57875f334f61aebed695e2e4193db5e"}}}`
	}
	deliver := func(event, token, key, body string) request {
		hdr := map[string]string{"X-Gitlab-Event": event, "X-Gitlab-Event-UUID": key, "User-Agent": "GitLab/17.0.0"}
		if token != "" {
			hdr["X-Gitlab-Token"] = token
		}
		return request{method: "POST", path: "/api/v1/scm/env/webhook", header: hdr, body: body}
	}
	wantWebhook(t, h.do(t, deliver("Merge Request Hook", "gitlab-hook-secret", "uuid-1", mr("approved"))), "uuid-1", "reviewed", false)
	wantWebhook(t, h.do(t, deliver("Merge Request Hook", "gitlab-hook-secret", "uuid-1", mr("approved"))), "uuid-1", "reviewed", true)
	wantWebhook(t, h.do(t, deliver("Merge Request Hook", "gitlab-hook-secret", "uuid-2", mr("merge"))), "uuid-2", "merged", false)
	wantWebhook(t, h.do(t, deliver("Merge Request Hook", "gitlab-hook-secret", "uuid-3", mr("close"))), "uuid-3", "closed", false)
	// Idempotency-Key, when GitLab sends it, names the delivery.
	r := deliver("Merge Request Hook", "gitlab-hook-secret", "uuid-4", mr("update"))
	r.header["Idempotency-Key"] = "idem-4"
	wantWebhook(t, h.do(t, r), "idem-4", "updated", false)
	for name, token := range map[string]string{"missing": "", "wrong": "gitlab-hook-secreT", "prefix": "gitlab-hook", "longer": "gitlab-hook-secret2"} {
		wantProblem(t, h.do(t, deliver("Merge Request Hook", token, "uuid-forged-"+name, mr("merge"))), http.StatusUnauthorized, "bad_signature")
	}
	if res := h.do(t, deliver("Push Hook", "gitlab-hook-secret", "uuid-5", `{"object_kind":"push"}`)); res.status != http.StatusNoContent {
		t.Errorf("push hook: %d %s, want 204", res.status, res.body)
	}
	if calls := host.Calls(); len(calls) != 0 {
		t.Errorf("GitLab API called: %v", calls)
	}
}

// TestSCMWebhookGitea checks X-Gitea-Signature (and Forgejo's) deliveries.
func TestSCMWebhookGitea(t *testing.T) {
	host := fakehost.New(t)
	prov, err := gitea.New(config.Provider{
		Kind: config.ProviderGitea, URL: host.URL, Project: "acme/envs",
		Token: config.NewSecret("gitea-token"), WebhookSecret: config.NewSecret("gitea-hook-secret"),
	}, gitea.WithHTTPClient(host.Client()))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withProviders(map[string]promotion.Provider{"env": prov}))
	h.waitReady(t)

	sign := func(secret, body string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(body))
		return hex.EncodeToString(m.Sum(nil))
	}
	deliver := func(sigHeader, event, sig, delivery, body string) request {
		hdr := map[string]string{"X-Gitea-Event": event, "X-Gitea-Delivery": delivery}
		if sig != "" {
			hdr[sigHeader] = sig
		}
		return request{method: "POST", path: "/api/v1/scm/env/webhook", header: hdr, body: body}
	}
	closed := `{"action":"closed","number":3,"pull_request":{"number":3,"merged":false,"head":{"ref":"ferry/payments/stage","sha":"6dcb09b5b57875f334f61aebed695e2e4193db5e"}},"sender":{"login":"bob"}}`
	merged := `{"action":"closed","number":3,"pull_request":{"number":3,"merged":true,"merge_commit_sha":"3b18e512dba79e4c8300dd08aeb37f8e728b8dad","merged_by":{"login":"bob"},"head":{"ref":"ferry/payments/stage"}},"sender":{"login":"bob"}}`

	wantWebhook(t, h.do(t, deliver("X-Gitea-Signature", "pull_request", sign("gitea-hook-secret", closed), "g-1", closed)), "g-1", "closed", false)
	wantWebhook(t, h.do(t, deliver("X-Gitea-Signature", "pull_request", sign("gitea-hook-secret", closed), "g-1", closed)), "g-1", "closed", true)
	wantWebhook(t, h.do(t, deliver("X-Forgejo-Signature", "pull_request", sign("gitea-hook-secret", merged), "g-2", merged)), "g-2", "merged", false)
	for name, sig := range map[string]string{
		"missing":     "",
		"wrong":       sign("gitea-hook-secreT", merged),
		"other body":  sign("gitea-hook-secret", closed),
		"with prefix": "sha256=" + sign("gitea-hook-secret", merged),
	} {
		wantProblem(t, h.do(t, deliver("X-Gitea-Signature", "pull_request", sig, "g-forged-"+name, merged)), http.StatusUnauthorized, "bad_signature")
	}
	push := `{"ref":"refs/heads/main"}`
	if res := h.do(t, deliver("X-Gitea-Signature", "push", sign("gitea-hook-secret", push), "g-3", push)); res.status != http.StatusNoContent {
		t.Errorf("push: %d %s, want 204", res.status, res.body)
	}
	if calls := host.Calls(); len(calls) != 0 {
		t.Errorf("Gitea API called: %v", calls)
	}
}
