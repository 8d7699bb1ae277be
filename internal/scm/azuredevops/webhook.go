package azuredevops

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// hookEvent is the part of a service hook's git.pullrequest.* event Ferry
// reads (https://learn.microsoft.com/azure/devops/service-hooks/events?view=azure-devops#git.pullrequest.updated).
type hookEvent struct {
	ID        string      `json:"id"`
	EventType string      `json:"eventType"`
	Resource  pullRequest `json:"resource"`
}

// Parse checks the service hook's basic auth against the configured user
// name and secret in constant time (Azure DevOps signs nothing; basic auth
// over HTTPS is what its web hooks offer) and returns what the event
// reports. Azure DevOps reports completion as an update whose status is
// completed; git.pullrequest.merged is a merge attempt, whose result
// changes only the mergeability.
func (p *Provider) Parse(h promotion.Headers, body []byte) (promotion.Event, error) {
	user, pass, ok := (&http.Request{Header: http.Header{"Authorization": {h.Get("Authorization")}}}).BasicAuth()
	if p.hookPass == "" || !ok ||
		subtle.ConstantTimeCompare([]byte(user), []byte(p.hookUser))&subtle.ConstantTimeCompare([]byte(pass), []byte(p.hookPass)) != 1 {
		return promotion.Event{}, derrors.New(derrors.Unauthenticated, "bad_signature", "the service hook's basic auth does not match the configured webhookUsername and webhookSecret")
	}
	var e hookEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return promotion.Event{}, derrors.Wrap(err, derrors.Invalid, "invalid_webhook", "parsing an Azure DevOps service hook event")
	}
	ev := promotion.Event{Delivery: e.ID, Kind: promotion.EventIgnored}
	if !strings.HasPrefix(e.EventType, "git.pullrequest.") {
		return ev, nil
	}
	pr := p.toPR(e.Resource)
	ev.Number, ev.HeadRef, ev.HeadSHA, ev.MergeSHA = pr.Number, pr.Head, pr.HeadSHA, pr.MergeSHA
	switch pr.State {
	case promotion.PRMerged:
		ev.Kind, ev.Actor = promotion.EventMerged, pr.MergedBy
	case promotion.PRClosed:
		ev.Kind, ev.Actor = promotion.EventClosed, pr.ClosedBy
	default:
		ev.Kind = promotion.EventUpdated
	}
	return ev, nil
}

var _ promotion.Webhooks = (*Provider)(nil)
