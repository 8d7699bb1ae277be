package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// githubDeployment records on GitHub a Deployment of the source commit per
// environment and promotion, and a deployment status for each of its
// events, so the application's pull request and commit show "deployed to
// prod" (POST /repos/{owner}/{repo}/deployments and
// /deployments/{id}/statuses). The deployment carries the promotion id in
// its payload and is found again by it, so a retried or repeated delivery
// adds a status, never a second deployment.
type githubDeployment struct{ api, token string }

func (g *githubDeployment) kind() string { return "github-deployment" }
func (g *githubDeployment) url() string  { return g.api }

func (g *githubDeployment) encode(string, time.Time, Message) ([]byte, map[string]string, error) {
	return nil, nil, fmt.Errorf("github-deployment makes its own calls")
}

func (g *githubDeployment) headers() map[string]string {
	return map[string]string{"Authorization": "Bearer " + g.token, "Accept": "application/vnd.github+json",
		"X-GitHub-Api-Version": "2022-11-28"}
}

type ghDeployment struct {
	ID      int64 `json:"id"`
	Payload struct {
		Promotion string `json:"ferry_promotion"`
	} `json:"payload"`
}

func (g *githubDeployment) call(ctx context.Context, c *client, _ string, m Message) (int, time.Duration, error) {
	repo, phase, ok := deployment(m)
	if !ok {
		return http.StatusNoContent, 0, nil
	}
	deployments := apiURL(g.api, "repos", repo, "deployments")
	q := url.Values{"sha": {m.SourceCommit}, "environment": {m.Environment}, "per_page": {"100"}}
	status, after, body, err := c.do(ctx, http.MethodGet, deployments+"?"+q.Encode(), nil, g.headers())
	if err != nil || status != http.StatusOK {
		return status, after, err
	}
	var list []ghDeployment
	if err := json.Unmarshal(body, &list); err != nil {
		return 0, 0, fmt.Errorf("reading GitHub's deployments: %v", err)
	}
	var id int64
	for _, d := range list {
		if d.Payload.Promotion == m.PromotionID {
			id = d.ID
			break
		}
	}
	if id == 0 {
		req, _ := json.Marshal(map[string]any{
			"ref": m.SourceCommit, "environment": m.Environment, "description": m.description(),
			// Ferry tells of a deployment that happened: no merge of the
			// default branch, no wait for the commit's checks.
			"auto_merge": false, "required_contexts": []string{},
			"payload": map[string]string{"ferry_promotion": m.PromotionID, "release": m.To},
		})
		status, after, body, err = c.do(ctx, http.MethodPost, deployments, req, g.headers())
		if err != nil || status != http.StatusCreated {
			return status, after, err
		}
		var d ghDeployment
		if err := json.Unmarshal(body, &d); err != nil || d.ID == 0 {
			return 0, 0, fmt.Errorf("reading the deployment GitHub created: %v", err)
		}
		id = d.ID
	}
	st := map[string]any{"state": phase, "description": m.description(), "environment": m.Environment}
	if m.ConsoleURL != "" {
		st["log_url"] = m.ConsoleURL
	}
	req, _ := json.Marshal(st)
	status, after, _, err = c.do(ctx, http.MethodPost, deployments+"/"+strconv.FormatInt(id, 10)+"/statuses", req, g.headers())
	return status, after, err
}
