package bitbucket

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// hookPayload is the part of Bitbucket Cloud's pullrequest:* and
// repo:commit_status_* payloads Ferry reads
// (https://support.atlassian.com/bitbucket-cloud/docs/event-payloads/).
type hookPayload struct {
	Actor        user         `json:"actor"`
	PullRequest  *pullRequest `json:"pullrequest"`
	CommitStatus *struct {
		Commit struct {
			Hash string `json:"hash"`
		} `json:"commit"`
	} `json:"commit_status"`
}

// Parse verifies X-Hub-Signature ("sha256=" and the hex HMAC-SHA256 of the
// raw body with the webhook's secret) and returns what the delivery
// (X-Event-Key, X-Request-UUID) reports.
func (p *Provider) Parse(h promotion.Headers, body []byte) (promotion.Event, error) {
	sig, ok := strings.CutPrefix(h.Get("X-Hub-Signature"), "sha256=")
	want, err := hex.DecodeString(sig)
	if len(p.secret) == 0 || !ok || err != nil {
		return promotion.Event{}, derrors.New(derrors.Unauthenticated, "bad_signature", "the delivery has no valid X-Hub-Signature, or no webhook secret is configured")
	}
	m := hmac.New(sha256.New, p.secret)
	m.Write(body)
	if !hmac.Equal(m.Sum(nil), want) {
		return promotion.Event{}, derrors.New(derrors.Unauthenticated, "bad_signature", "X-Hub-Signature does not match the body")
	}
	ev := promotion.Event{Delivery: h.Get("X-Request-UUID"), Kind: promotion.EventIgnored}
	key := h.Get("X-Event-Key")
	if !strings.HasPrefix(key, "pullrequest:") && !strings.HasPrefix(key, "repo:commit_status_") {
		return ev, nil
	}
	var e hookPayload
	if err := json.Unmarshal(body, &e); err != nil {
		return promotion.Event{}, derrors.Wrap(err, derrors.Invalid, "invalid_webhook", "parsing Bitbucket %s delivery", key)
	}
	ev.Actor = e.Actor.name()
	if e.PullRequest != nil {
		pr := toPR(*e.PullRequest)
		ev.Number, ev.HeadRef, ev.HeadSHA = pr.Number, pr.Head, pr.HeadSHA
	}
	switch key {
	case "pullrequest:fulfilled":
		ev.Kind = promotion.EventMerged
		if e.PullRequest != nil && e.PullRequest.MergeCommit != nil {
			ev.MergeSHA = e.PullRequest.MergeCommit.Hash
		}
	case "pullrequest:rejected":
		ev.Kind = promotion.EventClosed
	case "pullrequest:created", "pullrequest:updated":
		ev.Kind = promotion.EventUpdated
	case "pullrequest:approved", "pullrequest:unapproved", "pullrequest:changes_request_created", "pullrequest:changes_request_removed":
		ev.Kind = promotion.EventReviewed
	case "repo:commit_status_created", "repo:commit_status_updated":
		if e.CommitStatus != nil {
			ev.Kind, ev.HeadSHA = promotion.EventChecks, e.CommitStatus.Commit.Hash
		}
	}
	return ev, nil
}

var _ promotion.Webhooks = (*Provider)(nil)
