package bitbucketdc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// hookPayload is the part of Bitbucket Data Center's pull request event
// payloads Ferry reads
// (https://confluence.atlassian.com/bitbucketserver/event-payload-938025882.html).
type hookPayload struct {
	EventKey string `json:"eventKey"`
	Actor    struct {
		Name string `json:"name"`
	} `json:"actor"`
	PullRequest *pullRequest `json:"pullRequest"`
}

// Parse verifies X-Hub-Signature ("sha256=" and the hex HMAC-SHA256 of the
// raw body with the webhook's secret) and returns what the delivery
// (X-Event-Key, X-Request-Id) reports.
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
	ev := promotion.Event{Delivery: h.Get("X-Request-Id"), Kind: promotion.EventIgnored}
	key := h.Get("X-Event-Key")
	if !strings.HasPrefix(key, "pr:") {
		return ev, nil // diagnostics:ping, repo:refs_changed…
	}
	var e hookPayload
	if err := json.Unmarshal(body, &e); err != nil {
		return promotion.Event{}, derrors.Wrap(err, derrors.Invalid, "invalid_webhook", "parsing Bitbucket Data Center %s delivery", key)
	}
	ev.Actor = e.Actor.Name
	if e.PullRequest != nil {
		pr := toPR(*e.PullRequest)
		ev.Number, ev.HeadRef, ev.HeadSHA, ev.MergeSHA = pr.Number, pr.Head, pr.HeadSHA, pr.MergeSHA
	}
	switch {
	case key == "pr:merged":
		ev.Kind = promotion.EventMerged
	case key == "pr:declined" || key == "pr:deleted":
		ev.Kind = promotion.EventClosed
	case strings.HasPrefix(key, "pr:reviewer:"):
		ev.Kind = promotion.EventReviewed
	case key == "pr:opened" || key == "pr:modified" || key == "pr:from_ref_updated" || key == "pr:to_ref_updated":
		ev.Kind = promotion.EventUpdated
	}
	return ev, nil
}

var _ promotion.Webhooks = (*Provider)(nil)
