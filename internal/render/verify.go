package render

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/manifest"
)

// Problem classifies a failed verification.
type Problem string

// Problems a verification finds.
const (
	// Unpinned: an image of the application renders other than pinned.
	Unpinned Problem = "unpinned"
	// NoImage: the output holds no container of the application's image.
	NoImage Problem = "no_image"
	// ForeignWrite: an image of another repository changed.
	ForeignWrite Problem = "foreign_write"
	// OtherChange: something besides the images changed.
	OtherChange Problem = "other_change"
	// Unrenderable: the target cannot be rendered (a template error, a
	// remote base or chart dependency, verify: render without a renderer).
	Unrenderable Problem = "unrenderable"
)

// Error is a failed verification, with the reason a person can act on.
type Error struct {
	Problem Problem
	Reason  string
}

func (e *Error) Error() string { return e.Reason }

func failf(p Problem, format string, args ...any) *Error {
	return &Error{Problem: p, Reason: fmt.Sprintf(format, args...)}
}

// Renderer says how a target is rendered.
type Renderer struct {
	Kind string // "kustomize" or "helm"; "" when there is none
	Dir  string // the kustomization's or the chart's directory
}

func (r Renderer) String() string {
	if r.Kind == "helm" {
		return "chart " + r.Dir
	}
	return "kustomization " + r.Dir
}

// Report is what a successful verification saw.
type Report struct {
	Renderer Renderer
	Images   int // rendered containers of the application, all pinned
	// Empty: the renderer renders no document at all, before or after (a
	// kustomization holding only images:), so there was nothing to prove.
	Empty bool
}

// Verifier renders targets before and after an edit. It holds no state and
// is safe for concurrent use.
type Verifier struct{}

// New returns a Verifier.
func New() *Verifier { return &Verifier{} }

// Find returns the renderer of target t: a kustomization in the directory of
// a kustomize, manifest or marker target, or the chart of a helm target
// (t.Chart, or the nearest Chart.yaml at or above the values file).
func (v *Verifier) Find(files Files, t config.Target) (Renderer, error) {
	if t.Kind == "helm" {
		dir, ok, err := findChart(files, t.Chart, t.Path)
		if err != nil || !ok {
			return Renderer{}, err
		}
		return Renderer{Kind: "helm", Dir: dir}, nil
	}
	dir := path.Dir(t.Path)
	for _, n := range kustomizationNames {
		_, err := files.ReadFile(path.Join(dir, n))
		if err == nil {
			return Renderer{Kind: "kustomize", Dir: dir}, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return Renderer{}, fmt.Errorf("looking for a kustomization in %s: %w", dir, err)
		}
	}
	return Renderer{}, nil
}

// Render renders r over files; valuesPath is the helm target's values file
// and release the Helm release name.
func (v *Verifier) Render(files Files, r Renderer, valuesPath, release string) ([]byte, error) {
	if r.Kind == "helm" {
		return renderChart(files, r.Dir, valuesPath, release)
	}
	return renderKustomize(files, r.Dir)
}

// Verify renders target t of app over files (with the batch's earlier edits)
// before and after edited replaces t.Path, and requires every rendered
// container of the application's repository to be exactly img (or
// repo@digest, which bitnami's charts render) and nothing else to change. With verify: edit, or no renderer found (and verify not
// set to render), there is nothing to render and it returns a zero Report.
// A failed verification is an *Error.
func (v *Verifier) Verify(files Files, edits map[string][]byte, app *config.Application, t config.Target, edited []byte, img manifest.Image) (Report, error) {
	if t.Verify == config.VerifyEdit {
		return Report{}, nil
	}
	before := withEdits(files, edits)
	r, err := v.Find(before, t)
	if err != nil {
		return Report{}, failf(Unrenderable, "%s: %v", t.Path, err)
	}
	if r.Kind == "" {
		if t.Verify == config.VerifyRender {
			return Report{}, failf(Unrenderable, "%s has verify: render, but no kustomization next to it and no Chart.yaml at or above it", t.Path)
		}
		return Report{}, nil
	}
	afterEdits := map[string][]byte{t.Path: edited}
	for p, b := range edits {
		if p != t.Path {
			afterEdits[p] = b
		}
	}
	after := withEdits(files, afterEdits)
	outBefore, err := v.Render(before, r, t.Path, app.Name)
	if err != nil {
		return Report{}, failf(Unrenderable, "%s does not render before the edit: %v", r, err)
	}
	outAfter, err := v.Render(after, r, t.Path, app.Name)
	if err != nil {
		return Report{}, failf(Unrenderable, "%s does not render after the edit: %v", r, err)
	}
	if t.Verify != config.VerifyRender && len(strings.TrimSpace(string(outBefore))) == 0 && len(strings.TrimSpace(string(outAfter))) == 0 {
		// Nothing deploys from here on its own (a kustomization holding only
		// images:, used as a component or by tooling): not proof of a pin,
		// not a failure either, unless verify: render asks for the proof.
		return Report{Renderer: r, Empty: true}, nil
	}
	n, err := check(r, t, app.Image, img, outBefore, outAfter)
	return Report{Renderer: r, Images: n}, err
}

// check compares two renders of r; it returns how many containers of the
// application's repository the second holds.
func check(r Renderer, t config.Target, image string, img manifest.Image, outBefore, outAfter []byte) (int, error) {
	docsBefore, err := decodeDocs(outBefore)
	if err != nil {
		return 0, failf(Unrenderable, "%s before the edit: %v", r, err)
	}
	docsAfter, err := decodeDocs(outAfter)
	if err != nil {
		return 0, failf(Unrenderable, "%s after the edit: %v", r, err)
	}
	repo := canonical(image)
	pinned := img.String()
	n := 0
	for _, c := range containers(docsAfter) {
		got := parseRef(c.image)
		if got.repo != repo {
			continue
		}
		n++
		// repo@digest is as pinned as repo:tag@digest: bitnami's charts
		// drop the tag when a digest is set.
		if got.digest == img.Digest && (got.tag == img.Tag || got.tag == "") {
			continue
		}
		if r.Kind == "helm" && got.digest == "" && got.tag == img.Tag {
			tagPath, digestPath := "image.tag", "image.digest"
			if t.Helm != nil && t.Helm.Tag != "" {
				tagPath = t.Helm.Tag
			}
			if t.Helm != nil && t.Helm.Digest != "" {
				digestPath = t.Helm.Digest
			}
			return n, failf(Unpinned, "%s renders `image: %s` (%s %s) — it ignores %s; set helm.tag without helm.digest so that Ferry writes tag@digest into %s, or make the template read the digest", r, c.image, c.doc, strings.TrimPrefix(c.path, "."), digestPath, tagPath)
		}
		return n, failf(Unpinned, "%s renders `image: %s` (%s %s), not the pinned %s", r, c.image, c.doc, strings.TrimPrefix(c.path, "."), pinned)
	}
	if n == 0 {
		return 0, failf(NoImage, "%s renders no container of %s: the edit would not reach the cluster", r, image)
	}
	var pairs []string
	for _, c := range containers(docsBefore) {
		old := parseRef(c.image)
		if old.repo != repo {
			continue
		}
		if old.tag != "" && old.tag != img.Tag {
			pairs = append(pairs, old.tag, img.Tag)
		}
		if old.digest != "" && old.digest != img.Digest {
			pairs = append(pairs, old.digest, img.Digest)
		}
	}
	d := &differ{bump: strings.NewReplacer(pairs...), repo: repo}
	d.docs(docsBefore, docsAfter)
	if len(d.foreign) > 0 {
		return n, failf(ForeignWrite, "%s: the edit changes images of other repositories: %s", r, strings.Join(d.foreign, "; "))
	}
	if len(d.other) > 0 {
		return n, failf(OtherChange, "%s: the edit changes more than the image of %s: %s", r, image, strings.Join(d.other, "; "))
	}
	return n, nil
}
