package console

import (
	"context"
	"net/http"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// cell is one application in one environment on the board.
type cell struct {
	Env     string
	Tag     string
	Digest  string
	Release *promotion.Release
	// Since is when the running release completed its promotion here.
	Since time.Time
	// Behind counts the releases between this one and the previous
	// environment's; Differs is set when they are not the same image.
	Differs  bool
	Behind   int
	From     string
	Err      string
	InFlight []flight
	// Pin is the environment's pin: automatic promotions wait on it.
	Pin *promotion.Pin
}

// flight is a promotion in flight, with its release's tag.
type flight struct {
	promotion.Promotion
	Tag string
}

type boardRow struct {
	Name    string
	Image   string
	Warning string
	Cells   []cell
}

type boardData struct {
	page
	Envs   []string
	Rows   []boardRow
	Errors []string
	// Warnings name each repository whose newest ferry.yaml did not load.
	Warnings []string
	Recent   []flight
	// Sets are the release sets that have a set release, newest of each.
	Sets []setRow
}

// board is applications × environments: what runs where since when, how
// it differs from the previous environment, and what is in flight.
func (c *Console) board(w http.ResponseWriter, r *http.Request, v viewer) {
	ctx, cancel := context.WithTimeout(r.Context(), c.cfg.PageTimeout)
	defer cancel()
	d := boardData{page: c.newPage(v, "Board")}
	seen, warned := map[string]bool{}, map[string]bool{}
	for _, a := range c.engine.Applications(ctx) {
		for _, e := range a.Environments {
			if !seen[e] {
				seen[e] = true
				d.Envs = append(d.Envs, e)
			}
		}
		if a.PipelineWarning != "" && !warned[a.Repository] {
			warned[a.Repository] = true
			d.Warnings = append(d.Warnings, "repository "+a.Repository+": "+a.PipelineWarning)
		}
		// Past the page's budget, the applications not yet read say so
		// instead of holding the page for as long as a slow Git host takes.
		if ctx.Err() != nil {
			d.Errors = append(d.Errors, a.Name+": not read, the page ran out of time ("+c.cfg.PageTimeout.String()+")")
			continue
		}
		st, err := c.engine.ApplicationStatus(ctx, a.Name)
		if err != nil {
			d.Errors = append(d.Errors, c.errorText(a.Name, err))
			continue
		}
		cells, err := c.cells(ctx, st)
		if err != nil {
			d.Errors = append(d.Errors, c.errorText(a.Name, err))
			continue
		}
		d.Rows = append(d.Rows, boardRow{Name: a.Name, Image: a.Image, Warning: a.PipelineWarning, Cells: cells})
	}
	// Cells follow the board's columns; an application without an
	// environment gets an empty cell there.
	for i, row := range d.Rows {
		byEnv := map[string]cell{}
		for _, cl := range row.Cells {
			byEnv[cl.Env] = cl
		}
		out := make([]cell, 0, len(d.Envs))
		for _, e := range d.Envs {
			cl, ok := byEnv[e]
			if !ok {
				cl = cell{Env: e, Err: "not in this application's pipeline"}
			}
			out = append(out, cl)
		}
		d.Rows[i].Cells = out
	}
	sets, err := c.setRows(r.Context(), d.Envs, d.Rows)
	if err != nil {
		d.Errors = append(d.Errors, c.errorText("release sets", err))
	}
	d.Sets = sets
	// The latest promotions come from the store, apart from the Git budget.
	recent, err := c.engine.Promotions(r.Context(), promotion.PromotionFilter{Limit: 15})
	if err != nil {
		d.Errors = append(d.Errors, c.errorText("promotions", err))
	}
	d.Recent = c.withTags(r.Context(), recent.Items)
	c.render(w, http.StatusOK, "board", d)
}

// cells reads one application's environments for the board.
func (c *Console) cells(ctx context.Context, st promotion.AppStatus) ([]cell, error) {
	releases, err := c.engine.Releases(ctx, promotion.ReleaseFilter{Application: st.Name, Limit: 200})
	if err != nil {
		return nil, err
	}
	index := map[string]int{} // release id → position, 0 newest
	for i, r := range releases.Items {
		index[r.ID] = i
	}
	var out []cell
	byEnv := map[string]cell{}
	for _, e := range st.Environments {
		cl := cell{Env: e.Env.Name, Tag: e.Current.Tag, Digest: e.Current.Digest, Release: e.Release, Err: e.Err, From: e.Env.From, Pin: e.Pin}
		if e.Release != nil {
			cl.Since = c.since(ctx, st.Name, e.Env.Name, e.Release.ID)
		}
		if prev, ok := byEnv[e.Env.From]; ok && e.Env.From != "" && e.Err == "" && prev.Err == "" {
			cl.Differs = prev.Digest != cl.Digest
			if cl.Differs && prev.Release != nil && cl.Release != nil {
				pi, ok1 := index[prev.Release.ID]
				ci, ok2 := index[cl.Release.ID]
				if ok1 && ok2 {
					cl.Behind = ci - pi
				}
			}
		}
		cl.InFlight = c.withTags(ctx, e.InFlight)
		byEnv[cl.Env] = cl
		out = append(out, cl)
	}
	return out, nil
}

// since is when release last completed its promotion into env.
func (c *Console) since(ctx context.Context, app, env, release string) time.Time {
	page, err := c.engine.Promotions(ctx, promotion.PromotionFilter{Application: app, Environment: env, ReleaseID: release, Limit: 20})
	if err != nil {
		return time.Time{}
	}
	for _, p := range page.Items {
		if p.State == promotion.StateCommitted || p.State == promotion.StateMerged {
			return p.UpdatedAt
		}
	}
	return time.Time{}
}

// withTags adds the release tag to each promotion.
func (c *Console) withTags(ctx context.Context, ps []promotion.Promotion) []flight {
	tags := map[string]string{}
	out := make([]flight, 0, len(ps))
	for _, p := range ps {
		tag, ok := tags[p.ReleaseID]
		if !ok {
			if r, err := c.engine.Release(ctx, p.ReleaseID); err == nil {
				tag = r.Tag
			}
			tags[p.ReleaseID] = tag
		}
		out = append(out, flight{Promotion: p, Tag: tag})
	}
	return out
}
