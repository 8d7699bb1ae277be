package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// giteaStatus sets a commit status "ferry/<environment>" on the source
// commit on Gitea or Forgejo (POST /repos/{owner}/{repo}/statuses/{sha}):
// the latest status of a context wins, so a repeat changes nothing.
type giteaStatus struct{ api, token string }

func (g *giteaStatus) kind() string { return "gitea-status" }
func (g *giteaStatus) url() string  { return g.api }

func (g *giteaStatus) encode(string, time.Time, Message) ([]byte, map[string]string, error) {
	return nil, nil, fmt.Errorf("gitea-status makes its own calls")
}

func (g *giteaStatus) call(ctx context.Context, c *client, _ string, m Message) (int, time.Duration, error) {
	repo, phase, ok := deployment(m)
	if !ok {
		return http.StatusNoContent, 0, nil
	}
	state := map[string]string{"pending": "pending", "success": "success", "failure": "failure", "inactive": "warning"}[phase]
	st := map[string]string{"state": state, "context": "ferry/" + m.Environment, "description": m.description()}
	if m.ConsoleURL != "" {
		st["target_url"] = m.ConsoleURL
	}
	body, _ := json.Marshal(st)
	code, after, _, err := c.do(ctx, http.MethodPost, apiURL(g.api, "repos", repo, "statuses", m.SourceCommit), body,
		map[string]string{"Authorization": "token " + g.token})
	return code, after, err
}
