package server

import (
	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/promotion"
)

func toRelease(r promotion.Release) api.Release {
	return api.Release{
		ID:           r.ID,
		Application:  r.Application,
		Image:        r.Repository,
		Tag:          r.Tag,
		Digest:       r.Digest,
		Reference:    r.ImageRef(),
		SourceRepo:   r.SourceRepo,
		SourceCommit: r.SourceCommit,
		SourceBranch: r.SourceBranch,
		CIRunURL:     r.CIRunURL,
		ReportedBy:   r.ReportedBy,
		CreatedAt:    r.CreatedAt.UTC(),
	}
}

func toPromotion(p promotion.Promotion, rel *promotion.Release) api.Promotion {
	out := api.Promotion{
		ID:          p.ID,
		ReleaseID:   p.ReleaseID,
		Application: p.Application,
		Environment: p.Environment,
		State:       string(p.State),
		Reason:      p.Reason,
		CommitSHA:   p.CommitSHA,
		Noop:        p.Noop,
		Attempts:    p.Attempts,
		CreatedAt:   p.CreatedAt.UTC(),
		UpdatedAt:   p.UpdatedAt.UTC(),
		RequestedBy: p.RequestedBy,
		Forced:      p.Forced,
		PRNumber:    p.PRNumber,
		PRURL:       p.PRURL,
		PRBranch:    p.PRBranch,
		MergeSHA:    p.MergeSHA,
		MergedBy:    p.MergedBy,
		Approvers:   p.Approvers,
	}
	if !p.State.Terminal() && !p.NextAttemptAt.IsZero() {
		t := p.NextAttemptAt.UTC()
		out.NextAttemptAt = &t
	}
	if rel != nil {
		r := toRelease(*rel)
		out.Release = &r
	}
	return out
}

func toEvents(ts []promotion.Transition) []api.Event {
	out := make([]api.Event, 0, len(ts))
	for _, t := range ts {
		out = append(out, api.Event{At: t.At.UTC(), State: string(t.State), Actor: t.Actor, Reason: t.Reason})
	}
	return out
}

func toPromotions(ps []promotion.Promotion) []api.Promotion {
	out := make([]api.Promotion, 0, len(ps))
	for _, p := range ps {
		out = append(out, toPromotion(p, nil))
	}
	return out
}
