package bitbucket

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// statusPages bounds the pages of build statuses (100 each) read for one
// commit, so that a runaway reporter cannot make the health gate read
// without end.
const statusPages = 10

// buildStatus is a commit status with what the health gate shows of it
// (https://developer.atlassian.com/cloud/bitbucket/rest/api-group-commit-statuses/#api-repositories-workspace-repo-slug-commit-commit-statuses-get).
type buildStatus struct {
	Key         string    `json:"key"`
	Name        string    `json:"name"`
	State       string    `json:"state"` // SUCCESSFUL, FAILED, INPROGRESS, STOPPED
	Description string    `json:"description"`
	URL         string    `json:"url"`
	CreatedOn   time.Time `json:"created_on"`
	UpdatedOn   time.Time `json:"updated_on"`
}

// CommitStatuses returns the build statuses of sha for the health gate
// (promotion.CommitStatuses), each named by its key: Bitbucket keeps one
// status per key and updates it in place, so a status holds since its
// updated_on. SUCCESSFUL is green, FAILED red, STOPPED an error (it did not
// finish), INPROGRESS not yet.
func (p *Provider) CommitStatuses(ctx context.Context, sha string) ([]promotion.Status, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	var out []promotion.Status
	next := fmt.Sprintf("%s/commit/%s/statuses?pagelen=100", p.api, url.PathEscape(sha))
	for n := 0; next != "" && n < statusPages; n++ {
		var pg page[buildStatus]
		if err := p.do(ctx, "GET", next, nil, &pg, "reading the build statuses of %s", sha); err != nil {
			return nil, err
		}
		for _, s := range pg.Values {
			st := promotion.Status{Context: s.Key, State: promotion.StatusPending, Description: s.Description, TargetURL: s.URL, UpdatedAt: s.UpdatedOn}
			if st.UpdatedAt.IsZero() {
				st.UpdatedAt = s.CreatedOn
			}
			switch s.State {
			case "SUCCESSFUL":
				st.State = promotion.StatusSuccess
			case "FAILED":
				st.State = promotion.StatusFailure
			case "STOPPED":
				st.State = promotion.StatusError
			}
			out = append(out, st)
		}
		next = pg.Next
	}
	return out, nil
}

var _ promotion.CommitStatuses = (*Provider)(nil)
