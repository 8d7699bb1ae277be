package promotion

import (
	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/manifest"
)

// RenderVerifier proves an edit by rendering its target the way the deploy
// tool will, before and after: every rendered container of the application
// must run img, pinned, and nothing else may change. edits holds the batch's
// earlier edits; edited is the target file after this one. Its error is the
// reason the promotion fails, for good: retrying renders the same bytes.
type RenderVerifier interface {
	VerifyRender(s gitrepo.Snapshot, edits map[string][]byte, app *config.Application, t config.Target, edited []byte, img manifest.Image) error
}

// verifyRender runs the engine's RenderVerifier, if it has one, on a changed
// edit.
func (e *Engine) verifyRender(s gitrepo.Snapshot, edits map[string][]byte, it *item, out []byte, changed bool, err error) ([]byte, bool, error) {
	if err != nil || !changed || e.render == nil {
		return out, changed, err
	}
	img := manifest.Image{Repository: it.rel.Repository, Tag: it.rel.Tag, Digest: it.rel.Digest}
	if verr := e.render.VerifyRender(s, edits, it.app, it.target, out, img); verr != nil {
		return nil, false, verr
	}
	return out, changed, nil
}
