package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/dora"
	"github.com/ferryhq/ferry/internal/store"
)

// Defaults of GET /api/v1/metrics/dora: the last 30 days in weeks, the
// span DORA's own reports look at.
const (
	doraWindow = 30 * 24 * time.Hour
	doraBucket = 7 * 24 * time.Hour
)

// getDora: GET /api/v1/metrics/dora?application=|set=&environment=&from=&to=&bucket=.
func (s *Server) getDora(c *gin.Context) {
	f, err := doraFilter(c, s.now())
	if err != nil {
		_ = c.Error(err)
		return
	}
	if s.dora == nil {
		_ = c.Error(derrors.New(derrors.Unavailable, "store_unavailable", "this store keeps no DORA metrics"))
		return
	}
	rep, err := dora.Compute(c.Request.Context(), s.dora, f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.JSON(http.StatusOK, toDora(rep))
}

// doraFilter reads the query of GET /api/v1/metrics/dora.
func doraFilter(c *gin.Context, now time.Time) (store.DoraFilter, error) {
	f := store.DoraFilter{Application: c.Query("application"), Set: c.Query("set"), Environment: c.Query("environment"),
		To: now.UTC(), Bucket: doraBucket}
	switch {
	case f.Application == "" && f.Set == "":
		return f, fieldError("application", "required (or set)")
	case f.Application != "" && f.Set != "":
		return f, fieldError("set", "give application or set, not both")
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"to", &f.To}, {"from", &f.From}} {
		if v := c.Query(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, fieldError(p.name, "%q is not an RFC 3339 time", v)
			}
			*p.dst = t.UTC()
		}
	}
	if f.From.IsZero() {
		f.From = f.To.Add(-doraWindow)
	}
	if v := c.Query("bucket"); v != "" {
		d, err := parseSpan(v)
		if err != nil || d < time.Hour {
			return f, fieldError("bucket", "%q is not a span of an hour or more such as 7d or 24h", v)
		}
		f.Bucket = d
	}
	if !f.From.Before(f.To) {
		return f, fieldError("from", "must be before to")
	}
	return f, nil
}

// parseSpan reads "7d" (days) or a Go duration ("12h").
func parseSpan(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 {
			return 0, strconv.ErrSyntax
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

func toDora(r dora.Report) api.DoraReport {
	out := api.DoraReport{Application: r.Application, Set: r.Set, From: r.From, To: r.To, BucketSeconds: int64(r.Bucket.Seconds()),
		Overall: toDoraTotals(r.Overall), Environments: []api.DoraEnvironment{}}
	for _, e := range r.Environments {
		ae := api.DoraEnvironment{Environment: e.Name, Totals: toDoraTotals(e.Totals), Buckets: []api.DoraBucket{}}
		for _, b := range e.Buckets {
			ae.Buckets = append(ae.Buckets, api.DoraBucket{Start: b.Start, Totals: toDoraTotals(b.Totals)})
		}
		out.Environments = append(out.Environments, ae)
	}
	return out
}

func toDoraTotals(t dora.Totals) api.DoraTotals {
	return api.DoraTotals{
		Deployments: t.Deployments, DeploymentsPerDay: t.PerDay,
		LeadTimeSeconds: t.LeadTime.Seconds(), LeadTimeMeasuredFrom: t.MeasuredFrom,
		LeadTimesFromSourceCommit: t.FromCommit, LeadTimesFromReport: t.FromReport,
		FailedChanges: t.Failures, ChangeFailureRate: t.FailureRate, TimeToRestoreSeconds: t.TimeToRestore.Seconds(),
	}
}
