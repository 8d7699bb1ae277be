package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	gh "github.com/google/go-github/v88/github"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// Parse verifies X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the
// webhook secret, compared in constant time) and returns what the delivery
// reports.
func (p *Provider) Parse(h promotion.Headers, body []byte) (promotion.Event, error) {
	sig := h.Get("X-Hub-Signature-256")
	if len(p.secret) == 0 || sig == "" {
		return promotion.Event{}, derrors.New(derrors.Unauthenticated, "bad_signature", "the delivery has no X-Hub-Signature-256, or no webhook secret is configured")
	}
	if !validSignature(sig, body, p.secret) {
		return promotion.Event{}, derrors.New(derrors.Unauthenticated, "bad_signature", "X-Hub-Signature-256 is not sha256=<hex HMAC-SHA256 of the body>")
	}
	ev := promotion.Event{Delivery: h.Get("X-GitHub-Delivery"), Kind: promotion.EventIgnored}
	kind := h.Get("X-GitHub-Event")
	var err error
	switch kind {
	case "pull_request":
		err = pullRequestEvent(body, &ev)
	case "pull_request_review":
		err = reviewEvent(body, &ev)
	case "check_suite":
		var e gh.CheckSuiteEvent
		if err = json.Unmarshal(body, &e); err == nil {
			ev.Kind, ev.HeadSHA = promotion.EventChecks, e.GetCheckSuite().GetHeadSHA()
		}
	case "check_run":
		var e gh.CheckRunEvent
		if err = json.Unmarshal(body, &e); err == nil {
			ev.Kind, ev.HeadSHA = promotion.EventChecks, e.GetCheckRun().GetHeadSHA()
		}
	case "status":
		var e gh.StatusEvent
		if err = json.Unmarshal(body, &e); err == nil {
			ev.Kind, ev.HeadSHA = promotion.EventChecks, e.GetSHA()
		}
	case "delete":
		var e gh.DeleteEvent
		if err = json.Unmarshal(body, &e); err == nil && e.GetRefType() == "branch" {
			ev.Kind, ev.HeadRef, ev.Actor = promotion.EventUpdated, e.GetRef(), e.GetSender().GetLogin()
		}
	}
	if err != nil {
		return promotion.Event{}, derrors.Wrap(err, derrors.Invalid, "invalid_webhook", "parsing GitHub %s delivery", kind)
	}
	return ev, nil
}

// validSignature reports whether sig is "sha256=" and the hex HMAC-SHA256
// of body with secret. go-github's ValidateSignature is not used: it also
// takes sha1= and sha512= prefixes, and GitHub documents only sha256= for
// this header, so anything else is a forgery or a misconfiguration.
func validSignature(sig string, body, secret []byte) bool {
	hexSum, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

func pullRequestEvent(body []byte, ev *promotion.Event) error {
	var e gh.PullRequestEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return err
	}
	pr := e.GetPullRequest()
	ev.Number = pr.GetNumber()
	ev.HeadRef, ev.HeadSHA = pr.GetHead().GetRef(), pr.GetHead().GetSHA()
	ev.Actor = e.GetSender().GetLogin()
	switch e.GetAction() {
	case "closed":
		if pr.GetMerged() {
			ev.Kind, ev.MergeSHA, ev.Actor = promotion.EventMerged, pr.GetMergeCommitSHA(), pr.GetMergedBy().GetLogin()
		} else {
			ev.Kind = promotion.EventClosed
		}
	case "edited", "reopened", "synchronize", "ready_for_review":
		ev.Kind = promotion.EventUpdated
	}
	return nil
}

func reviewEvent(body []byte, ev *promotion.Event) error {
	var e gh.PullRequestReviewEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return err
	}
	switch e.GetAction() {
	case "submitted", "dismissed":
		pr := e.GetPullRequest()
		ev.Kind = promotion.EventReviewed
		ev.Number = pr.GetNumber()
		ev.HeadRef, ev.HeadSHA = pr.GetHead().GetRef(), pr.GetHead().GetSHA()
		ev.Actor = e.GetReview().GetUser().GetLogin()
	}
	return nil
}

var _ promotion.Webhooks = (*Provider)(nil)
