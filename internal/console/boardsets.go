package console

import (
	"context"

	"github.com/ferryhq/ferry/internal/promotion"
)

// setRow is one release set on the board: its newest set release and,
// per member, where that member's release is in each environment.
type setRow struct {
	Name    string
	ID      string
	Members []setMember
}

type setMember struct {
	Application string
	Tag         string
	Cells       []setCell // the board's columns
}

// setCell is a member release in one environment: running there, or the
// state of its latest promotion there, or nothing yet.
type setCell struct {
	Env     string
	Running bool
	State   string
	// Promotion is the latest promotion's id, when there is one.
	Promotion string
}

// setRows reads the newest set release of each set that has one. rows
// are the board's applications, whose cells say what runs where.
func (c *Console) setRows(ctx context.Context, envs []string, rows []boardRow) ([]setRow, error) {
	page, err := c.engine.SetReleases(ctx, promotion.SetReleaseFilter{Limit: 200})
	if err != nil {
		return nil, err
	}
	running := map[string]map[string]string{} // application → environment → release id
	for _, row := range rows {
		running[row.Name] = map[string]string{}
		for _, cl := range row.Cells {
			if cl.Release != nil {
				running[row.Name][cl.Env] = cl.Release.ID
			}
		}
	}
	var out []setRow
	seen := map[string]bool{}
	for _, s := range page.Items { // newest first
		if seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		sr := setRow{Name: s.Name, ID: s.ID}
		for i, app := range s.Applications {
			if i >= len(s.Releases) {
				break
			}
			rel := s.Releases[i]
			m := setMember{Application: app}
			if r, err := c.engine.Release(ctx, rel); err == nil {
				m.Tag = r.Tag
			}
			latest := map[string]promotion.Promotion{}
			if ps, err := c.engine.Promotions(ctx, promotion.PromotionFilter{Application: app, ReleaseID: rel, Limit: 100}); err == nil {
				for _, p := range ps.Items { // newest first
					if _, ok := latest[p.Environment]; !ok {
						latest[p.Environment] = p
					}
				}
			}
			for _, e := range envs {
				cl := setCell{Env: e, Running: running[app][e] == rel}
				if p, ok := latest[e]; ok {
					cl.State, cl.Promotion = string(p.State), p.ID
				}
				m.Cells = append(m.Cells, cl)
			}
			sr.Members = append(sr.Members, m)
		}
		out = append(out, sr)
	}
	return out, nil
}
