package console

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ferryhq/ferry/internal/dora"
	"github.com/ferryhq/ferry/internal/store"
)

// The DORA page: per environment, the last doraWeeks weeks as bars of
// deployments per week and a line of the mean lead time, drawn as SVG on
// the server (no script), with the window's totals in a table.
const (
	doraWeeks   = 12
	chartWidth  = 600
	chartHeight = 160
	chartPad    = 24
)

type doraData struct {
	page
	Name         string
	From, To     time.Time
	Overall      dora.Totals
	Environments []doraChart
}

// doraChart is one environment's totals and chart, in SVG coordinates.
type doraChart struct {
	Name          string
	Totals        dora.Totals
	Bars          []doraBar
	LeadLine      string // the points of the lead-time polyline
	MaxDeploys    int
	MaxLead       string
	Width, Height int
}

type doraBar struct {
	X, Y, W, H  int
	LabelY      int
	Label       string // the bucket's week, under the bar
	Deployments int
	Lead        string
}

// doraPage: GET /ui/apps/{name}/dora.
func (c *Console) doraPage(w http.ResponseWriter, r *http.Request, v viewer) {
	name := r.PathValue("name")
	if c.cfg.Dora == nil {
		c.refuse(w, r, v, http.StatusNotFound, "This store keeps no DORA metrics.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), c.cfg.PageTimeout)
	defer cancel()
	week := 7 * 24 * time.Hour
	to := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	rep, err := dora.Compute(ctx, c.cfg.Dora, store.DoraFilter{Application: name, From: to.Add(-doraWeeks * week), To: to, Bucket: week})
	if err != nil {
		c.refuse(w, r, v, statusOf(err), c.errorText("the DORA metrics of "+name, err))
		return
	}
	d := doraData{page: c.newPage(v, name+": DORA metrics"), Name: name, From: rep.From, To: rep.To, Overall: rep.Overall}
	for _, e := range rep.Environments {
		d.Environments = append(d.Environments, chartOf(e))
	}
	c.render(w, http.StatusOK, "dora", d)
}

// chartOf lays out one environment's buckets: bars scaled to the busiest
// week, the lead-time line to the slowest week's mean.
func chartOf(e dora.Environment) doraChart {
	ch := doraChart{Name: e.Name, Totals: e.Totals, Width: chartWidth, Height: chartHeight, MaxDeploys: 1}
	var maxLead time.Duration
	for _, b := range e.Buckets {
		ch.MaxDeploys = max(ch.MaxDeploys, b.Deployments)
		maxLead = max(maxLead, b.LeadTime)
	}
	ch.MaxLead = maxLead.String()
	plot := chartHeight - 2*chartPad
	step := (chartWidth - 2*chartPad) / max(len(e.Buckets), 1)
	for i, b := range e.Buckets {
		h := b.Deployments * plot / ch.MaxDeploys
		x := chartPad + i*step
		ch.Bars = append(ch.Bars, doraBar{X: x + 2, Y: chartPad + plot - h, W: step - 4, H: h, LabelY: chartHeight - 8,
			Label: b.Start.Format("Jan 2"), Deployments: b.Deployments, Lead: b.LeadTime.String()})
		if b.Deployments > 0 && maxLead > 0 {
			y := chartPad + plot - int(int64(plot)*int64(b.LeadTime)/int64(maxLead))
			ch.LeadLine += fmt.Sprintf("%d,%d ", x+step/2, y)
		}
	}
	return ch
}
