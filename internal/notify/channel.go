package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/stdwebhook"
)

// channel is one destination's format: webhook.go, slack.go, teams.go.
type channel interface {
	kind() string
	url() string
	// encode returns the body and extra headers of delivery id of m.
	encode(id string, now time.Time, m Message) ([]byte, map[string]string, error)
}

// caller is a channel that makes its own calls to a Git host's API
// (deployment statuses) instead of one POST of an encoded body. It returns
// the status that decides the outcome (2xx: delivered, also when there is
// nothing to tell the host) and the Retry-After asked for.
type caller interface {
	call(ctx context.Context, c *client, id string, m Message) (int, time.Duration, error)
}

func newChannel(d config.Destination) (channel, error) {
	switch d.Kind {
	case config.DestinationWebhook:
		key, err := stdwebhook.ParseSecret(d.Secret.Value())
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		return &webhook{to: d.URL.Value(), key: key}, nil
	case config.DestinationSlack:
		return &slack{to: d.URL.Value()}, nil
	case config.DestinationTeams:
		return &teams{to: d.URL.Value()}, nil
	case config.DestinationGitHubDeployment:
		return &githubDeployment{api: d.URL.Value(), token: d.Secret.Value()}, nil
	case config.DestinationGitLabDeployment:
		return &gitlabDeployment{api: d.URL.Value(), token: d.Secret.Value()}, nil
	case config.DestinationGiteaStatus:
		return &giteaStatus{api: d.URL.Value(), token: d.Secret.Value()}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", d.Kind)
}
