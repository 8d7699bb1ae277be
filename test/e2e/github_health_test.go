package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// githubHealthYAML: dev → stage (commits), stage held by Argo CD's commit
// status and a "rollout" check run on the dev commit, on GitHub.
func githubHealthYAML(regHost string) string {
	return `environments:
  - name: dev
    promotion: commit
  - name: stage
    from: dev
    promotion: commit
    gates:
      health: {statuses: ["argocd/{app}-{from}", "rollout"], for: 1s, timeout: 10m}
applications:
  - name: payments
    image: ` + regHost + `/acme/payments
    target:
      kind: kustomize
      path: envs/{env}/payments/kustomization.yaml
`
}

// awaitWithin waits up to d for the promotion of release into env to
// reach state.
func (gs *githubStack) awaitWithin(t *testing.T, d time.Duration, release, env, state string) hostedView {
	t.Helper()
	deadline := time.Now().Add(d)
	last := "none"
	for time.Now().Before(deadline) {
		var l struct{ Items []hostedView }
		gs.call(t, "GET", "/api/v1/promotions?release="+release+"&environment="+env, readToken, "").json(t, &l)
		if len(l.Items) > 0 {
			last = l.Items[0].State + ": " + l.Items[0].Reason
			if l.Items[0].State == state {
				return l.Items[0]
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("promotion of %s into %s not %s within %s (last %s)", release, env, state, d, last)
	return hostedView{}
}

// TestGitHubHealthGate: on GitHub the health gate reads commit statuses
// and check runs of the dev commit, and GitHub's status and check_run
// webhooks wake it: with polling set to 10 minutes, only the webhooks can
// move stage within the test.
func TestGitHubHealthGate(t *testing.T) {
	gs := startGitHubStackWith(t, githubHealthYAML, "10m")

	good, _ := gs.build(t, "1.0.0")
	sha := gs.awaitWithin(t, 60*time.Second, good, "dev", "committed").CommitSHA
	waiting := gs.awaitWithin(t, 60*time.Second, good, "stage", "waiting")
	if !strings.Contains(waiting.Reason, `status "argocd/payments-dev" is missing on `+sha[:12]) || !strings.Contains(waiting.Reason, `status "rollout" is missing`) {
		t.Errorf("stage waits for %q, want both statuses named", waiting.Reason)
	}
	gs.gh.PostStatus(sha, "argocd/payments-dev", "success", "Healthy", "https://argocd.example/applications/payments-dev")
	gs.gh.SetCheckRun(sha, "rollout", "completed", "success")
	gs.hook(t, "status", "d-status-1", statusHook(t, sha, "argocd/payments-dev", "success"))
	gs.awaitWithin(t, 60*time.Second, good, "stage", "committed")

	bad, _ := gs.build(t, "2.0.0")
	badSHA := gs.awaitWithin(t, 60*time.Second, bad, "dev", "committed").CommitSHA
	gs.awaitWithin(t, 60*time.Second, bad, "stage", "waiting")
	gs.gh.PostStatus(badSHA, "argocd/payments-dev", "success", "Healthy", "https://argocd.example/applications/payments-dev")
	gs.gh.SetCheckRun(badSHA, "rollout", "completed", "failure")
	gs.hook(t, "check_run", "d-check-1", checkRunHook(t, badSHA, "rollout"))
	failed := gs.awaitWithin(t, 60*time.Second, bad, "stage", "failed")
	if !strings.Contains(failed.Reason, `status "rollout"`) || !strings.Contains(failed.Reason, "is failure") {
		t.Errorf("stage failed with %q, want the rollout check named", failed.Reason)
	}
	if got := gs.fileAt(t, "stage"); strings.Contains(got, "2.0.0") {
		t.Errorf("stage runs 2.0.0 after its health gate failed:\n%s", got)
	}
}

// statusHook is a "status" delivery as GitHub documents it (trimmed to
// what a receiver reads).
func statusHook(t *testing.T, sha, context, state string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"id": 6805126730, "sha": sha, "name": "acme/envs", "context": context, "state": state,
		"description": "Healthy", "target_url": "https://argocd.example/applications/payments-dev",
		"repository": map[string]any{"full_name": "acme/envs"}, "sender": map[string]any{"login": "argocd-bot"}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkRunHook is a "check_run" completed delivery.
func checkRunHook(t *testing.T, sha, name string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"action": "completed",
		"check_run":  map[string]any{"id": 4, "name": name, "head_sha": sha, "status": "completed", "conclusion": "failure"},
		"repository": map[string]any{"full_name": "acme/envs"}, "sender": map[string]any{"login": "rollout-bot"}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
