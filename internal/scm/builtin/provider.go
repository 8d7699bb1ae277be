// Package builtin is the pull-request provider for Git servers without a
// pull-request API (and dev mode): a pull request is Ferry's own record of
// a ferry/<app>/<env>.<id> branch, approved through Ferry's API, and merged by
// Ferry with a merge commit that makes the edit again on the base branch,
// never a force push or a fast-forward.
package builtin

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// Store keeps the provider's pull requests and approvals.
type Store interface {
	CreatePullRequest(ctx context.Context, pr store.PullRequest) (store.PullRequest, error)
	GetPullRequest(ctx context.Context, repo string, number int) (store.PullRequest, error)
	OpenPullRequest(ctx context.Context, repo, head string) (store.PullRequest, error)
	UpdatePullRequest(ctx context.Context, pr store.PullRequest) error
	AddApproval(ctx context.Context, repo string, number int, headSHA, actor string, at time.Time) (bool, error)
	Approvals(ctx context.Context, repo string, number int, headSHA string) ([]store.Approval, error)
	// Statuses are the commit statuses posted to Ferry's API (statuses.go).
	Statuses(ctx context.Context, repo, sha string) ([]store.CommitStatus, error)
}

// createAttempts bounds the tries at a new number when concurrent creates
// in the same repository take the one read (PostgreSQL, several replicas):
// each conflict means another create succeeded, so a few always suffice.
const createAttempts = 5

// Provider is one repository's built-in pull requests. It implements
// promotion.PullRequests, promotion.Reviews and promotion.EditMerger.
type Provider struct {
	repo    string
	git     *gitrepo.Repo
	store   Store
	console string
	log     *zap.Logger
	now     func() time.Time
}

// New returns the built-in provider of repository repo. console prefixes
// the pull requests' URLs, /pulls/<repository>/<number>: Ferry's own
// address, or "" for paths relative to it.
func New(repo string, git *gitrepo.Repo, st Store, console string, log *zap.Logger) *Provider {
	return &Provider{repo: repo, git: git, store: st, console: console, log: log, now: time.Now}
}

// Ensure records the pull request of spec.Head, a branch Ferry has pushed:
// the open one of that branch gets the new head (approvals of the old head
// no longer count), else a new one gets the repository's next number.
func (p *Provider) Ensure(ctx context.Context, spec promotion.PRSpec) (promotion.PR, error) {
	snap, err := p.git.Read(ctx, spec.Head)
	if err != nil {
		return promotion.PR{}, fmt.Errorf("reading %s: %w", spec.Head, err)
	}
	now := p.now().UTC()
	rec, err := p.store.OpenPullRequest(ctx, p.repo, spec.Head)
	switch {
	case err == nil:
		rec.HeadSHA, rec.Base, rec.UpdatedAt = snap.Head(), spec.Base, now
		if err := p.store.UpdatePullRequest(ctx, rec); err != nil {
			return promotion.PR{}, err
		}
	case errors.Is(err, derrors.ErrNotFound):
		rec = store.PullRequest{Repository: p.repo, Head: spec.Head, Base: spec.Base, HeadSHA: snap.Head(),
			State: string(promotion.PROpen), CreatedAt: now, UpdatedAt: now}
		for i := 0; ; i++ {
			created, err := p.store.CreatePullRequest(ctx, rec)
			if errors.Is(err, derrors.ErrConflict) && i+1 < createAttempts {
				continue
			}
			if err != nil {
				return promotion.PR{}, err
			}
			rec = created
			break
		}
	default:
		return promotion.PR{}, err
	}
	return p.pr(ctx, rec)
}

// Get returns a pull request with the approvals of its current head.
func (p *Provider) Get(ctx context.Context, number int) (promotion.PR, error) {
	rec, err := p.store.GetPullRequest(ctx, p.repo, number)
	if err != nil {
		return promotion.PR{}, err
	}
	return p.pr(ctx, rec)
}

// Approve records actor's approval of an open pull request's head.
func (p *Provider) Approve(ctx context.Context, number int, actor string) (promotion.PR, error) {
	rec, err := p.store.GetPullRequest(ctx, p.repo, number)
	if err != nil {
		return promotion.PR{}, err
	}
	if rec.State != string(promotion.PROpen) {
		return promotion.PR{}, derrors.New(derrors.Conflict, "not_approvable",
			"pull request #%d is %s; only an open pull request can be approved", number, rec.State)
	}
	if _, err := p.store.AddApproval(ctx, p.repo, number, rec.HeadSHA, actor, p.now().UTC()); err != nil {
		return promotion.PR{}, err
	}
	return p.pr(ctx, rec)
}

// Merge is refused: a built-in pull request merges only by making Ferry's
// edit again on its base (MergeEdit), which the engine does.
func (p *Provider) Merge(_ context.Context, number int, _ string) (promotion.PR, error) {
	return promotion.PR{}, fmt.Errorf("merging built-in pull request #%d needs Ferry's edit (MergeEdit)", number)
}

// MergeEdit merges an open pull request whose head is still sha with a
// merge commit on its base: the edit made again on the base's head, the
// pull request's head as second parent. The approval last given is
// recorded as who merged it. The branch is deleted afterwards: it is this
// pull request's alone (the next one gets a branch of its own), so a
// branch left over is never reused.
func (p *Provider) MergeEdit(ctx context.Context, number int, sha string, edit promotion.Edit) (promotion.PR, error) {
	rec, err := p.store.GetPullRequest(ctx, p.repo, number)
	if err != nil {
		return promotion.PR{}, err
	}
	switch {
	case rec.State == string(promotion.PRMerged):
		return p.pr(ctx, rec) // merged by an attempt whose answer was lost
	case rec.State != string(promotion.PROpen):
		return promotion.PR{}, derrors.New(derrors.Conflict, "not_mergeable", "pull request #%d is %s", number, rec.State)
	case sha != "" && sha != rec.HeadSHA:
		return promotion.PR{}, derrors.New(derrors.Conflict, "head_moved",
			"pull request #%d's head is %.8s, not %.8s", number, rec.HeadSHA, sha)
	}
	given, err := p.store.Approvals(ctx, p.repo, number, rec.HeadSHA)
	if err != nil {
		return promotion.PR{}, err
	}
	res, err := p.git.Commit(ctx, rec.Base, func(s gitrepo.Snapshot) (gitrepo.Change, error) {
		files, err := edit.Apply(s)
		if err != nil || len(files) == 0 {
			return gitrepo.Change{}, err
		}
		return gitrepo.Change{Message: edit.Message, Files: files}, nil
	}, gitrepo.MergeParent(rec.Head))
	if err != nil {
		return promotion.PR{}, fmt.Errorf("merging %s into %s: %w", rec.Head, rec.Base, err)
	}
	rec.State, rec.MergeSHA, rec.UpdatedAt = string(promotion.PRMerged), res.SHA, p.now().UTC()
	if len(given) > 0 {
		rec.MergedBy = given[len(given)-1].Actor
	}
	if err := p.store.UpdatePullRequest(ctx, rec); err != nil {
		return promotion.PR{}, err
	}
	p.deleteBranch(ctx, rec.Head)
	return p.pr(ctx, rec)
}

// Close closes an open pull request unmerged and deletes its branch.
func (p *Provider) Close(ctx context.Context, number int, comment string) error {
	rec, err := p.store.GetPullRequest(ctx, p.repo, number)
	if err != nil {
		return err
	}
	if rec.State != string(promotion.PROpen) {
		return nil
	}
	rec.State, rec.UpdatedAt = string(promotion.PRClosed), p.now().UTC()
	if err := p.store.UpdatePullRequest(ctx, rec); err != nil {
		return err
	}
	p.log.Info("closed built-in pull request", zap.String("repo", p.repo), zap.Int("number", number), zap.String("why", comment))
	p.deleteBranch(ctx, rec.Head)
	return nil
}

func (p *Provider) deleteBranch(ctx context.Context, branch string) {
	if err := p.git.DeleteBranch(ctx, branch); err != nil {
		p.log.Warn("deleting a built-in pull request's branch", zap.String("branch", branch), zap.Error(err))
	}
}

// pr is rec as the engine reads a pull request, with its head's approvals.
func (p *Provider) pr(ctx context.Context, rec store.PullRequest) (promotion.PR, error) {
	given, err := p.store.Approvals(ctx, p.repo, rec.Number, rec.HeadSHA)
	if err != nil {
		return promotion.PR{}, err
	}
	approvals := make([]promotion.Approval, 0, len(given))
	approvers := make([]string, 0, len(given))
	for _, a := range given {
		approvals = append(approvals, promotion.Approval{User: a.Actor, Counted: true, At: a.At})
		approvers = append(approvers, a.Actor)
	}
	return promotion.PR{
		Number: rec.Number, URL: p.URL(rec.Number), State: promotion.PRState(rec.State),
		Head: rec.Head, HeadSHA: rec.HeadSHA, Base: rec.Base,
		MergeSHA: rec.MergeSHA, MergedBy: rec.MergedBy, ClosedBy: rec.ClosedBy,
		Approvals: approvals, Approvers: approvers,
		// Nothing but approvals stands in a built-in pull request's way:
		// Ferry merges by making its edit again, so it cannot conflict.
		Mergeable: rec.State == string(promotion.PROpen),
		UpdatedAt: rec.UpdatedAt,
	}, nil
}

// URL is pull request number's address on Ferry: /pulls/<repository>/<number>.
func (p *Provider) URL(number int) string {
	return p.console + "/pulls/" + url.PathEscape(p.repo) + "/" + strconv.Itoa(number)
}

// Providers returns what promotion.Deps.Builtin takes: each repository's
// built-in provider, on one store.
func Providers(st Store, console string, log *zap.Logger) func(r *promotion.Repo) promotion.PullRequests {
	return func(r *promotion.Repo) promotion.PullRequests {
		return New(r.Name, r.Git, st, console, log.With(zap.String("repo", r.Name)))
	}
}
