package gitea

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// hookPR is the part of Gitea's pull_request and review payloads Ferry reads.
type hookPR struct {
	Action      string `json:"action"`
	Number      int    `json:"number"`
	PullRequest struct {
		Number         int     `json:"number"`
		Merged         bool    `json:"merged"`
		MergeCommitSHA *string `json:"merge_commit_sha"`
		MergedBy       *struct {
			Login string `json:"login"`
		} `json:"merged_by"`
		Head struct {
			Ref string `json:"ref"`
			SHA string `json:"sha"`
		} `json:"head"`
	} `json:"pull_request"`
	Sender struct {
		Login string `json:"login"`
	} `json:"sender"`
}

// Parse verifies X-Gitea-Signature (or Forgejo's X-Forgejo-Signature), the
// hex HMAC-SHA256 of the raw body with the webhook secret, and returns what
// the delivery reports.
func (p *Provider) Parse(h promotion.Headers, body []byte) (promotion.Event, error) {
	sig := first(h, "X-Gitea-Signature", "X-Forgejo-Signature")
	want, err := hex.DecodeString(sig)
	if len(p.secret) == 0 || sig == "" || err != nil {
		return promotion.Event{}, derrors.New(derrors.Unauthenticated, "bad_signature", "the delivery has no valid X-Gitea-Signature, or no webhook secret is configured")
	}
	m := hmac.New(sha256.New, p.secret)
	m.Write(body)
	if !hmac.Equal(m.Sum(nil), want) {
		return promotion.Event{}, derrors.New(derrors.Unauthenticated, "bad_signature", "X-Gitea-Signature does not match the body")
	}
	ev := promotion.Event{Delivery: first(h, "X-Gitea-Delivery", "X-Forgejo-Delivery"), Kind: promotion.EventIgnored}
	// X-Gitea-Event-Type names review verdicts precisely
	// (pull_request_review_approved); X-Gitea-Event is coarser.
	kind := first(h, "X-Gitea-Event-Type", "X-Forgejo-Event-Type", "X-Gitea-Event", "X-Forgejo-Event")
	switch kind {
	case "pull_request", "pull_request_sync":
		var e hookPR
		if err = json.Unmarshal(body, &e); err == nil {
			pullEvent(&e, &ev)
		}
	case "pull_request_review_approved", "pull_request_review_rejected", "pull_request_approved", "pull_request_rejected":
		var e hookPR
		if err = json.Unmarshal(body, &e); err == nil {
			ev.Kind, ev.Number = promotion.EventReviewed, cmpOr(e.PullRequest.Number, e.Number)
			ev.HeadRef, ev.HeadSHA, ev.Actor = e.PullRequest.Head.Ref, e.PullRequest.Head.SHA, e.Sender.Login
		}
	case "status":
		var e struct {
			SHA string `json:"sha"`
		}
		if err = json.Unmarshal(body, &e); err == nil {
			ev.Kind, ev.HeadSHA = promotion.EventChecks, e.SHA
		}
	}
	if err != nil {
		return promotion.Event{}, derrors.Wrap(err, derrors.Invalid, "invalid_webhook", "parsing Gitea %s delivery", kind)
	}
	return ev, nil
}

func pullEvent(e *hookPR, ev *promotion.Event) {
	pr := e.PullRequest
	ev.Number, ev.HeadRef, ev.HeadSHA, ev.Actor = cmpOr(pr.Number, e.Number), pr.Head.Ref, pr.Head.SHA, e.Sender.Login
	switch {
	case e.Action == "closed" && pr.Merged:
		ev.Kind = promotion.EventMerged
		if pr.MergeCommitSHA != nil {
			ev.MergeSHA = *pr.MergeCommitSHA
		}
		if pr.MergedBy != nil {
			ev.Actor = pr.MergedBy.Login
		}
	case e.Action == "closed":
		ev.Kind = promotion.EventClosed
	default: // opened, edited, reopened, synchronized, labeled…
		ev.Kind = promotion.EventUpdated
	}
}

func first(h promotion.Headers, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

func cmpOr(vs ...int) int {
	for _, v := range vs {
		if v != 0 {
			return v
		}
	}
	return 0
}

var _ promotion.Webhooks = (*Provider)(nil)
