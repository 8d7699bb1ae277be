package manifest

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// helmPaths fills in the default paths. RegistryPath has no default: a
// registry key next to the repository (bitnami's image.registry) is found by
// registryPath.
func helmPaths(t Target) (repo, tag, digest string) {
	repo, tag, digest = t.RepositoryPath, t.TagPath, t.DigestPath
	if repo == "" {
		repo = "image.repository"
	}
	if tag == "" {
		tag = "image.tag"
	}
	if digest == "" {
		digest = "image.digest"
	}
	return repo, tag, digest
}

// resolved is where a dotted path led.
type resolved struct {
	key, val *yaml.Node // the pair at the end of the path, when it exists
	// parent is the scalar pair the walk stopped at when the path's last step
	// could not be taken because its parent is a string ("image: repo:tag").
	parentKey, parent *yaml.Node
}

// resolve follows a dotted path (numbers index sequences) from root,
// refusing to walk through an alias: an edit there would change every place
// that uses the anchor.
func (f *file) resolve(root *yaml.Node, path string) (resolved, error) {
	segs := strings.Split(path, ".")
	cur := root
	var key *yaml.Node
	for i, seg := range segs {
		if cur.Kind == yaml.AliasNode {
			return resolved{}, errorf(f.name, cur.Line, "path %s goes through alias *%s; refusing to break it", path, cur.Value)
		}
		if f.aliased[cur] > 0 && cur.Kind != yaml.ScalarNode {
			return resolved{}, errorf(f.name, cur.Line, "path %s goes through &%s, which %d alias(es) use; editing it would change them too", path, cur.Anchor, f.aliased[cur])
		}
		var next *yaml.Node
		switch cur.Kind {
		case yaml.MappingNode:
			key, next = lookup(cur, seg)
		case yaml.SequenceNode:
			if n, err := strconv.Atoi(seg); err == nil && n >= 0 && n < len(cur.Content) {
				key, next = nil, cur.Content[n]
			}
		case yaml.ScalarNode:
			if i == len(segs)-1 && cur.Tag == "!!str" {
				return resolved{parentKey: key, parent: cur}, nil
			}
		}
		if next == nil {
			return resolved{}, nil
		}
		cur = next
	}
	return resolved{key: key, val: cur}, nil
}

// helmSpot is where a Helm target lives in one document.
type helmSpot struct {
	root                  *yaml.Node // the document's root
	form                  *yaml.Node // the string form, if used
	formKey               *yaml.Node
	repo, tag, digest     resolved
	registry              resolved // the registry joined to repo, when there is one
	repoPath, tagPath, dp string
	regPath               string
}

func (f *file) findHelm(t Target) (*helmSpot, error) {
	rp, tp, dp := helmPaths(t)
	for _, d := range f.docs {
		if len(d.Content) == 0 {
			continue
		}
		root := d.Content[0]
		s := &helmSpot{root: root, repoPath: rp, tagPath: tp, dp: dp, regPath: registryPath(t, rp)}
		var err error
		if s.repo, err = f.resolve(root, rp); err != nil {
			return nil, err
		}
		if s.registry, err = f.resolve(root, s.regPath); err != nil {
			return nil, err
		}
		if s.tag, err = f.resolve(root, tp); err != nil {
			return nil, err
		}
		if s.digest, err = f.resolve(root, dp); err != nil {
			return nil, err
		}
		if s.tag.val != nil {
			return s, nil
		}
		switch {
		case s.repo.val != nil && s.repo.val.Kind == yaml.ScalarNode && s.repo.val.Tag == "!!str":
			s.form, s.formKey = s.repo.val, s.repo.key
			return s, nil
		case s.repo.parent != nil:
			s.form, s.formKey = s.repo.parent, s.repo.parentKey
			return s, nil
		}
	}
	return nil, notFoundf(f.name, 0, "no %s and no image string at %s", tp, rp)
}

func (e *editor) setHelm(t Target, img Image) error {
	s, err := e.f.findHelm(t)
	if err != nil {
		return err
	}
	if err := e.f.checkHelmRepo(t, s, img); err != nil {
		return err
	}
	if s.form != nil {
		return e.setPair(s.formKey, s.form, formValue(s.form.Value, img), s.repoPath)
	}
	if s.digest.val == nil && t.DigestPath != "" {
		// Named explicitly, the digest key is added rather than folded into
		// the tag: the chart that was configured to read it must see it.
		if err := e.setPair(s.tag.key, s.tag.val, img.Tag, s.tagPath); err != nil {
			return err
		}
		return e.addDigestKey(s, img.Digest)
	}
	if s.digest.val == nil {
		return e.setPair(s.tag.key, s.tag.val, img.Tag+"@"+img.Digest, s.tagPath)
	}
	if err := e.setPair(s.tag.key, s.tag.val, img.Tag, s.tagPath); err != nil {
		return err
	}
	return e.setPair(s.digest.key, s.digest.val, img.Digest, s.dp)
}

// setPair sets a value reached by a path, naming the path when refusing.
func (e *editor) setPair(key, val *yaml.Node, v, path string) error {
	if val.Kind == yaml.MappingNode || val.Kind == yaml.SequenceNode {
		return errorf(e.f.name, val.Line, "%s is a %s, expected a string", path, kindName(val))
	}
	if key == nil {
		return e.setScalar(val, v)
	}
	return e.setValue(key, val, v)
}

// formValue writes img over an image string, keeping its repository
// spelling when it names the same repository.
func formValue(old string, img Image) string {
	repo := img.Repository
	if r := splitImage(old).Repository; sameRepo(r, repo) {
		repo = r
	}
	return Image{Repository: repo, Tag: img.Tag, Digest: img.Digest}.String()
}

func (f *file) getHelm(t Target) (Image, error) {
	s, err := f.findHelm(t)
	if err != nil {
		return Image{}, err
	}
	if s.form != nil {
		return splitImage(s.form.Value), nil
	}
	img := Image{Repository: t.Image}
	if r := s.repoValue(); r != "" {
		img.Repository = r
	}
	img.Tag, img.Digest = splitTag(stringValue(s.tag.val))
	if d := stringValue(s.digest.val); d != "" {
		img.Digest = d
	}
	return img, nil
}
