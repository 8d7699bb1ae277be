package server

import (
	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/supplychain"
)

func toRelease(r promotion.Release) api.Release {
	out := api.Release{
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
		Verification: toVerification(r.Verification),
		Fixes:        r.Fixes,
	}
	if !r.SourceCommittedAt.IsZero() {
		t := r.SourceCommittedAt.UTC()
		out.SourceCommittedAt = &t
	}
	return out
}

func toVerification(f *supplychain.Facts) *api.Verification {
	if f == nil {
		return nil
	}
	v := &api.Verification{VerifiedAt: f.VerifiedAt.UTC(), Signatures: []api.Signer{}, Provenance: []api.Provenance{}, Rejected: []string{}}
	for _, s := range f.Signatures {
		v.Signatures = append(v.Signatures, api.Signer(s))
	}
	for _, p := range f.Provenance {
		v.Provenance = append(v.Provenance, api.Provenance{Signer: api.Signer(p.Signer), PredicateType: p.PredicateType,
			Builder: p.Builder, SourceRepo: p.SourceRepo, SourceCommit: p.SourceCommit})
	}
	v.Rejected = append(v.Rejected, f.Rejected...)
	return v
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
		Approvals:   apiApprovals(p.Approvals),
		Diff:        p.Diff,
		SetRelease:  p.SetRelease,
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

// apiApprovals is a promotion's approvals on the wire; none is nil.
func apiApprovals(a []promotion.Approval) []api.Approval {
	if len(a) == 0 {
		return nil
	}
	out := make([]api.Approval, len(a))
	for i, x := range a {
		out[i] = api.Approval{User: x.User, Counted: x.Counted, Reason: x.Reason}
		if !x.At.IsZero() {
			at := x.At.UTC()
			out[i].At = &at
		}
	}
	return out
}
