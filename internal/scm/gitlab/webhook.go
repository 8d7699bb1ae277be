package gitlab

import (
	"crypto/subtle"
	"encoding/json"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// Parse checks X-Gitlab-Token against the webhook secret in constant time
// and returns what the delivery reports.
func (p *Provider) Parse(h promotion.Headers, body []byte) (promotion.Event, error) {
	tok := h.Get("X-Gitlab-Token")
	if len(p.secret) == 0 || tok == "" || subtle.ConstantTimeCompare([]byte(tok), p.secret) != 1 {
		return promotion.Event{}, derrors.New(derrors.Unauthenticated, "bad_signature", "X-Gitlab-Token is missing or does not match the webhook secret")
	}
	ev := promotion.Event{Delivery: h.Get("Idempotency-Key"), Kind: promotion.EventIgnored}
	if ev.Delivery == "" {
		ev.Delivery = h.Get("X-Gitlab-Event-UUID")
	}
	kind := h.Get("X-Gitlab-Event")
	var err error
	switch kind {
	case "Merge Request Hook":
		var e gl.MergeEvent
		if err = json.Unmarshal(body, &e); err == nil {
			mergeEvent(&e, &ev)
		}
	case "Pipeline Hook":
		var e gl.PipelineEvent
		if err = json.Unmarshal(body, &e); err == nil {
			ev.Kind, ev.HeadSHA, ev.Number = promotion.EventChecks, e.ObjectAttributes.SHA, int(e.MergeRequest.IID)
		}
	}
	if err != nil {
		return promotion.Event{}, derrors.Wrap(err, derrors.Invalid, "invalid_webhook", "parsing GitLab %s delivery", kind)
	}
	return ev, nil
}

func mergeEvent(e *gl.MergeEvent, ev *promotion.Event) {
	a := e.ObjectAttributes
	ev.Number, ev.HeadRef, ev.HeadSHA = int(a.IID), a.SourceBranch, a.LastCommit.ID
	if e.User != nil {
		ev.Actor = e.User.Username
	}
	switch a.Action {
	case "merge":
		ev.Kind, ev.MergeSHA = promotion.EventMerged, a.MergeCommitSHA
	case "close":
		ev.Kind = promotion.EventClosed
	case "update", "reopen":
		ev.Kind = promotion.EventUpdated
	case "approved", "unapproved", "approval", "unapproval":
		ev.Kind = promotion.EventReviewed
	}
}

var _ promotion.Webhooks = (*Provider)(nil)
