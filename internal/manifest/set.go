package manifest

import (
	"bytes"
)

// Set returns src with the target set to img, and whether anything changed.
// file is the repo-relative path used in error messages only; Set never
// touches the disk. img must be pinned: repository, tag and digest. When
// nothing changes, out is src itself. On error, out is nil.
func Set(file string, src []byte, t Target, img Image, opts ...Option) (out []byte, changed bool, err error) {
	if err := img.validate(); err != nil {
		return nil, false, errorf(file, 0, "refusing to write %s: %v", img, err)
	}
	f, err := parse(file, src, makeOptions(opts))
	if err != nil {
		return nil, false, err
	}
	e := newEditor(f)
	switch t.Kind {
	case Kustomize:
		err = e.setKustomize(t, img)
	case Helm:
		err = e.setHelm(t, img)
	case Manifest:
		if t.Image == "" {
			return nil, false, errorf(file, 0, "manifest target needs an image repository")
		}
		err = e.setManifest(t, img)
	case Marker:
		if t.Name == "" {
			return nil, false, errorf(file, 0, "marker target needs a name")
		}
		err = e.setMarker(t, img)
	default:
		return nil, false, errorf(file, 0, "unknown target kind %q", t.Kind)
	}
	if err != nil {
		return nil, false, err
	}
	if len(e.edits) == 0 {
		return src, false, nil
	}
	out, perr := e.apply()
	if perr != nil {
		return nil, false, perr
	}
	if verr := e.verify(out); verr != nil {
		return nil, false, verr
	}
	return out, !bytes.Equal(out, src), nil
}

// Get reports what the target holds now. Fields the file does not hold are
// empty, except Repository, which falls back to t.Image.
func Get(file string, src []byte, t Target, opts ...Option) (Image, error) {
	f, err := parse(file, src, makeOptions(opts))
	if err != nil {
		return Image{}, err
	}
	switch t.Kind {
	case Kustomize:
		return f.getKustomize(t)
	case Helm:
		return f.getHelm(t)
	case Manifest:
		return f.getManifest(t)
	case Marker:
		return f.getMarker(t)
	}
	return Image{}, errorf(file, 0, "unknown target kind %q", t.Kind)
}
