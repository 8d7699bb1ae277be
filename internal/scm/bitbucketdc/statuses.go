package bitbucketdc

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// statusPages bounds the pages of build statuses read for one commit, so
// that a runaway reporter cannot make the health gate read without end.
const statusPages = 10

// commitBuild is a build status with what the health gate shows of it
// (https://developer.atlassian.com/server/bitbucket/rest/v906/api-group-build-status/#api-build-status-latest-commits-commitid-get).
type commitBuild struct {
	Key         string `json:"key"`
	State       string `json:"state"` // SUCCESSFUL, FAILED, INPROGRESS
	Description string `json:"description"`
	URL         string `json:"url"`
	DateAdded   int64  `json:"dateAdded"` // milliseconds since the epoch
}

// CommitStatuses returns the build statuses of sha for the health gate
// (promotion.CommitStatuses), each named by its key and dated by
// dateAdded: SUCCESSFUL is green, FAILED red, INPROGRESS not yet.
func (p *Provider) CommitStatuses(ctx context.Context, sha string) ([]promotion.Status, error) {
	ctx, cancel := p.deadline(ctx)
	defer cancel()
	var out []promotion.Status
	start := 0
	for n := 0; n < statusPages; n++ {
		q := url.Values{"start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(pageLimit)}}
		var pg page[commitBuild]
		if err := p.do(ctx, "GET", p.root+"/rest/build-status/1.0/commits/"+url.PathEscape(sha)+"?"+q.Encode(), nil, &pg, "reading the build statuses of %s", sha); err != nil {
			return nil, err
		}
		for _, s := range pg.Values {
			st := promotion.Status{Context: s.Key, State: promotion.StatusPending, Description: s.Description, TargetURL: s.URL,
				UpdatedAt: time.UnixMilli(s.DateAdded).UTC()}
			switch s.State {
			case "SUCCESSFUL":
				st.State = promotion.StatusSuccess
			case "FAILED":
				st.State = promotion.StatusFailure
			}
			out = append(out, st)
		}
		if pg.IsLastPage || pg.NextPageStart <= start {
			break
		}
		start = pg.NextPageStart
	}
	return out, nil
}

var _ promotion.CommitStatuses = (*Provider)(nil)
