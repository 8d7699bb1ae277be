package server

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/promotion"
)

// isDryRun reports whether a request body asks for a dry run: the
// idempotency middleware records nothing for one, since a dry run writes
// nothing and may be asked again with the same key once the real request
// follows. A body that is not JSON is left to the handler to refuse.
func isDryRun(body []byte) bool {
	var v struct {
		DryRun bool `json:"dry_run"`
	}
	return json.NewDecoder(bytes.NewReader(body)).Decode(&v) == nil && v.DryRun
}

func toPreview(pv promotion.Preview) api.Preview {
	out := api.Preview{
		DryRun: true, Release: toRelease(pv.Release),
		Application: pv.Promotion.Application, Environment: pv.Promotion.Environment,
		Repository: pv.Repository, Branch: pv.Branch, Head: pv.Head, PullRequest: pv.PullRequest,
		Files: []api.FileDiff{}, Message: pv.Message, Noop: pv.Noop, Failure: pv.Failure,
		Held: pv.Held, Reason: pv.Reason, Until: optTime(pv.Until), Gates: []api.GateOutcome{},
	}
	for _, f := range pv.Files {
		out.Files = append(out.Files, api.FileDiff{Path: f.Path, Diff: f.Diff})
	}
	for _, g := range pv.Gates {
		out.Gates = append(out.Gates, api.GateOutcome{Gate: g.Gate, Open: g.Open, Reason: g.Reason, Until: optTime(g.Until)})
	}
	return out
}

func toSetPreview(sp promotion.SetPreview) api.SetPreview {
	out := api.SetPreview{
		Environment: sp.Environment, Repository: sp.Repository, Branch: sp.Branch, Head: sp.Head,
		PullRequest: sp.PullRequest, Members: []api.Preview{}, Message: sp.Message, Noop: sp.Noop,
		Failure: sp.Failure, Held: sp.Held, Reason: sp.Reason, Until: optTime(sp.Until),
	}
	for _, pv := range sp.Members {
		out.Members = append(out.Members, toPreview(pv))
	}
	return out
}

// optTime is t in UTC, or nil when it is zero.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
