package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// gitlabDeployment records a deployment of the source commit to the
// environment of the same name on GitLab (POST /projects/:id/deployments),
// which GitLab shows on the merge request and the commit. GitLab takes
// running, success, failed or canceled at creation.
type gitlabDeployment struct{ api, token string }

func (g *gitlabDeployment) kind() string { return "gitlab-deployment" }
func (g *gitlabDeployment) url() string  { return g.api }

func (g *gitlabDeployment) encode(string, time.Time, Message) ([]byte, map[string]string, error) {
	return nil, nil, fmt.Errorf("gitlab-deployment makes its own calls")
}

func (g *gitlabDeployment) call(ctx context.Context, c *client, _ string, m Message) (int, time.Duration, error) {
	repo, phase, ok := deployment(m)
	if !ok {
		return http.StatusNoContent, 0, nil
	}
	status := map[string]string{"pending": "running", "success": "success", "failure": "failed", "inactive": "canceled"}[phase]
	ref := m.SourceBranch
	if ref == "" {
		ref = m.SourceCommit
	}
	body, _ := json.Marshal(map[string]any{"environment": m.Environment, "sha": m.SourceCommit, "ref": ref, "tag": false, "status": status})
	code, after, _, err := c.do(ctx, http.MethodPost, apiURL(g.api, "projects", url.PathEscape(repo), "deployments"), body,
		map[string]string{"PRIVATE-TOKEN": g.token})
	return code, after, err
}
