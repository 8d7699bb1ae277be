package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferryhq/ferry/internal/promotion"
)

// releaseRow is one release and where it has been.
type releaseRow struct {
	promotion.Release
	// Been is the state of its latest promotion into each environment ("" never).
	Been []been
}

type been struct {
	Env     string
	State   string
	Running bool
	// Offer is "promote" or "roll back" when the viewer may move this
	// release into Env, "" otherwise.
	Offer string
	Link  string
}

type applicationData struct {
	page
	Name       string
	Image      string
	Envs       []string
	Releases   []releaseRow
	NextRel    string
	History    []flight
	NextHist   string
	Filter     historyFilter
	States     []string
	Error      string
	Warning    string
	SearchNote string
	// RangeError says why the time range was refused (no history then).
	RangeError string
}

type historyFilter struct {
	Environment, State, Cursor, Query, RelCursor string
	// From and To bound the history by creation time (UTC), as typed.
	From, To string
}

// With returns the page's query string with the history cursor
// set to cursor (and the release cursor kept).
func (f historyFilter) With(key, value string) string {
	q := url.Values{}
	for k, v := range map[string]string{"environment": f.Environment, "state": f.State, "q": f.Query,
		"cursor": f.Cursor, "rcursor": f.RelCursor, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	q.Set(key, value)
	return "?" + q.Encode()
}

// application shows an application's releases, newest first, with where
// each has been, and its promotion history with filters and paging.
func (c *Console) application(w http.ResponseWriter, r *http.Request, v viewer) {
	ctx, cancel := context.WithTimeout(r.Context(), c.cfg.PageTimeout)
	defer cancel()
	name := r.PathValue("name")
	q := r.URL.Query()
	f := historyFilter{Environment: q.Get("environment"), State: q.Get("state"), Cursor: q.Get("cursor"),
		Query: strings.TrimSpace(q.Get("q")), RelCursor: q.Get("rcursor"),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	st, err := c.engine.ApplicationStatus(ctx, name)
	if err != nil {
		c.refuse(w, r, v, statusOf(err), c.errorText("application "+name, err))
		return
	}
	d := applicationData{page: c.newPage(v, name), Name: name, Image: st.Image, Filter: f, Warning: st.PipelineWarning,
		States: []string{"pending", "waiting", "committed", "pr-open", "merged", "rejected", "superseded", "failed"}}
	running := map[string]string{} // env → release id
	from := map[string]string{}
	for _, e := range st.Environments {
		d.Envs = append(d.Envs, e.Env.Name)
		from[e.Env.Name] = e.Env.From
		if e.Release != nil {
			running[e.Env.Name] = e.Release.ID
		}
	}

	var rels []promotion.Release
	var releaseID string
	if f.Query != "" {
		rels, releaseID = c.search(ctx, name, f.Query)
		switch {
		case len(rels) == 0:
			d.SearchNote = "No release of " + name + " has a tag or digest starting with “" + f.Query + "”."
		case releaseID == "":
			d.SearchNote = "Several releases match; history shows them all."
		}
	} else {
		page, err := c.engine.Releases(ctx, promotion.ReleaseFilter{Application: name, Limit: 10, Cursor: f.RelCursor})
		if err != nil {
			d.Error = c.errorText("releases", err)
		}
		rels, d.NextRel = page.Items, page.Next
	}
	for _, rel := range rels {
		d.Releases = append(d.Releases, c.whereBeen(ctx, v, rel, d.Envs, running, from))
	}

	filter := promotion.PromotionFilter{Application: name, Environment: f.Environment, State: promotion.State(f.State),
		ReleaseID: releaseID, Limit: 20, Cursor: f.Cursor}
	var rangeErr error
	filter.Since, filter.Until, rangeErr = timeRange(f.From, f.To)
	if rangeErr != nil {
		d.RangeError = "Time range: " + rangeErr.Error() + "."
	}
	if rangeErr == nil && (f.Query == "" || releaseID != "" || len(rels) > 1) {
		hist, err := c.engine.Promotions(ctx, filter)
		if err != nil {
			d.Error = c.errorText("history", err)
		}
		d.History, d.NextHist = c.withTags(ctx, hist.Items), hist.Next
	}
	c.render(w, http.StatusOK, "application", d)
}

// search finds an application's releases whose tag or digest starts with
// query (or equals it), among its newest 500; it returns the one release id
// when exactly one matches.
func (c *Console) search(ctx context.Context, app, query string) ([]promotion.Release, string) {
	page, err := c.engine.Releases(ctx, promotion.ReleaseFilter{Application: app, Limit: 500})
	if err != nil {
		return nil, ""
	}
	var out []promotion.Release
	for _, r := range page.Items {
		if r.Tag == query || r.Digest == query || r.ID == query {
			return []promotion.Release{r}, r.ID
		}
		if strings.HasPrefix(r.Tag, query) || strings.HasPrefix(r.Digest, query) || strings.HasPrefix(strings.TrimPrefix(r.Digest, "sha256:"), query) {
			out = append(out, r)
		}
	}
	if len(out) == 1 {
		return out, out[0].ID
	}
	return out, ""
}

// whereBeen says, for each environment, how far rel got there, and what
// the viewer may do with it.
func (c *Console) whereBeen(ctx context.Context, v viewer, rel promotion.Release, envs []string, running, from map[string]string) releaseRow {
	row := releaseRow{Release: rel}
	latest := map[string]promotion.State{}
	completed := map[string]bool{}
	if page, err := c.engine.Promotions(ctx, promotion.PromotionFilter{Application: rel.Application, ReleaseID: rel.ID, Limit: 100}); err == nil {
		for _, p := range page.Items { // newest first
			if _, ok := latest[p.Environment]; !ok {
				latest[p.Environment] = p.State
			}
			if p.State == promotion.StateCommitted || p.State == promotion.StateMerged {
				completed[p.Environment] = true
			}
		}
	}
	for _, e := range envs {
		b := been{Env: e, State: string(latest[e]), Running: running[e] == rel.ID}
		if !b.Running && v.mayAct(rel.Application, e) {
			switch {
			case completed[e]:
				b.Offer = "Roll back to"
			case from[e] == "" || completed[from[e]]:
				b.Offer = "Promote to"
			}
			if b.Offer != "" {
				b.Link = "/ui/promote?" + url.Values{"application": {rel.Application}, "environment": {e}, "release": {rel.ID}}.Encode()
			}
		}
		row.Been = append(row.Been, b)
	}
	return row
}
