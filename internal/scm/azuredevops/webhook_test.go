package azuredevops

import (
	"net/http"
	"testing"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// Events abbreviated from the service hook event reference
// (https://learn.microsoft.com/azure/devops/service-hooks/events?view=azure-devops),
// keeping every field Ferry reads.
const (
	mergeAttempted = `{"id":"6872ee8c-b333-4eff-bfb9-0d5274943566","eventType":"git.pullrequest.merged","publisherId":"tfs",
"resource":{"repository":{"webUrl":"https://dev.azure.com/acme/platform/_git/env","project":{"id":"6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c"}},
"pullRequestId":7,"status":"active","createdBy":{"id":"b0","uniqueName":"ferry-bot"},"creationDate":"2026-11-21T09:00:00Z",
"title":"Promote","sourceRefName":"refs/heads/ferry/payments/prod","targetRefName":"refs/heads/main","mergeStatus":"succeeded",
"lastMergeSourceCommit":{"commitId":"3c1f5e7a9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e"},"lastMergeCommit":{"commitId":"eef717f69257a6333f221566c1c987dc94cc0d72"}}}`
	completed = `{"id":"2ab4e3d3-b7a6-425e-92b1-5a9982c1269e","eventType":"git.pullrequest.updated","publisherId":"tfs",
"resource":{"pullRequestId":7,"status":"completed","createdBy":{"id":"b0","uniqueName":"ferry-bot"},"closedBy":{"id":"a1","uniqueName":"alice"},
"sourceRefName":"refs/heads/ferry/payments/prod","targetRefName":"refs/heads/main",
"lastMergeSourceCommit":{"commitId":"3c1f5e7a9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e"},"lastMergeCommit":{"commitId":"eef717f69257a6333f221566c1c987dc94cc0d72"}}}`
	pushed = `{"id":"03c164c2-8912-4d5e-8009-3707d5f83734","eventType":"git.push","publisherId":"tfs","resource":{"refUpdates":[]}}`
)

func TestParseEvents(t *testing.T) {
	t.Parallel()
	p, err := New(config.Provider{URL: "https://dev.azure.com/acme", Project: "platform/env", Token: config.NewSecret("t"),
		WebhookUsername: "ferry-hooks", WebhookSecret: config.NewSecret("hook-secret")})
	if err != nil {
		t.Fatal(err)
	}
	const sha = "3c1f5e7a9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e"
	for _, tc := range []struct {
		name, body string
		want       promotion.Event
	}{
		// A merge attempt is not a completion: the PR is still active.
		{"merge attempted", mergeAttempted, promotion.Event{Delivery: "6872ee8c-b333-4eff-bfb9-0d5274943566", Kind: promotion.EventUpdated, Number: 7, HeadRef: "ferry/payments/prod", HeadSHA: sha}},
		{"completed", completed, promotion.Event{Delivery: "2ab4e3d3-b7a6-425e-92b1-5a9982c1269e", Kind: promotion.EventMerged, Number: 7, HeadRef: "ferry/payments/prod", HeadSHA: sha,
			MergeSHA: "eef717f69257a6333f221566c1c987dc94cc0d72", Actor: "alice"}},
		{"push", pushed, promotion.Event{Delivery: "03c164c2-8912-4d5e-8009-3707d5f83734", Kind: promotion.EventIgnored}},
	} {
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth("ferry-hooks", "hook-secret")
		ev, err := p.Parse(promotion.Headers{"authorization": r.Header.Get("Authorization")}, []byte(tc.body))
		if err != nil || ev != tc.want {
			t.Errorf("%s: Parse = %+v, %v; want %+v", tc.name, ev, err, tc.want)
		}
	}
	for name, set := range map[string]func(*http.Request){
		"no auth":    func(*http.Request) {},
		"wrong user": func(r *http.Request) { r.SetBasicAuth("someone", "hook-secret") },
		"bearer":     func(r *http.Request) { r.Header.Set("Authorization", "Bearer hook-secret") },
	} {
		r := &http.Request{Header: http.Header{}}
		set(r)
		if _, err := p.Parse(promotion.Headers{"authorization": r.Header.Get("Authorization")}, []byte(completed)); derrors.KindOf(err) != derrors.Unauthenticated {
			t.Errorf("%s: err = %v, want unauthenticated", name, err)
		}
	}
}
