package promotion

import (
	"context"
	"errors"
	"io/fs"
	"strings"

	"github.com/ferryhq/ferry/internal/derrors"
)

// maxPromotionFile bounds the file PromotionFile returns: a manifest or a
// values file is kilobytes; a whole-file view of more helps nobody.
const maxPromotionFile = 1 << 20

// PromotionFile is the file a promotion edits, as a branch holds it now:
// the open pull request's branch while the promotion's pull request is
// open, the environment's branch otherwise.
type PromotionFile struct {
	Path, Branch, Head string
	Content            []byte
}

// PromotionFile reads the file a promotion's stored diff names from the
// branch that carries its change, for a whole-file view of that diff.
func (e *Engine) PromotionFile(ctx context.Context, id string) (PromotionFile, error) {
	p, err := e.store.GetPromotion(ctx, id)
	if err != nil {
		return PromotionFile{}, err
	}
	path := DiffPath(p.Diff)
	if path == "" {
		return PromotionFile{}, derrors.New(derrors.NotFound, "no_diff", "promotion %s has no stored diff", id)
	}
	ref, err := e.catalog.lookup(ctx, p.Application)
	if err != nil {
		return PromotionFile{}, err
	}
	branch := ""
	for _, env := range ref.pipeline.Environments {
		if env.Name == p.Environment {
			branch = ref.app.TargetFor(env.Name, env.Branch).Branch
		}
	}
	if p.State == StatePROpen && p.PRBranch != "" {
		branch = p.PRBranch
	}
	if branch == "" {
		return PromotionFile{}, derrors.New(derrors.NotFound, "unknown_environment",
			"application %s has no environment %s", p.Application, p.Environment)
	}
	snap, err := ref.repo.Git.Read(ctx, branch)
	if err != nil {
		return PromotionFile{}, derrors.Wrap(err, derrors.Unavailable, "git_unavailable",
			"reading branch %s of repository %s", branch, ref.repo.Name)
	}
	f := PromotionFile{Path: path, Branch: branch, Head: snap.Head()}
	st, err := snap.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, derrors.New(derrors.NotFound, "file_gone", "%s is no longer on branch %s", path, branch)
	}
	if err != nil {
		return f, err
	}
	if st.Size > maxPromotionFile {
		return f, derrors.New(derrors.Unprocessable, "file_too_large", "%s is %d bytes, above the %d a whole-file view shows",
			path, st.Size, maxPromotionFile)
	}
	if f.Content, err = snap.ReadFile(path); err != nil {
		return f, err
	}
	return f, nil
}

// DiffPath is the file a unified diff names in its "+++ b/" header, "" for
// none.
func DiffPath(diff string) string {
	for _, l := range strings.SplitN(diff, "\n", 3) {
		if p, ok := strings.CutPrefix(l, "+++ b/"); ok {
			return p
		}
	}
	return ""
}
