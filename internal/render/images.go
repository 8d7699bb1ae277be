package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/google/go-containerregistry/pkg/name"
	"gopkg.in/yaml.v3"
)

// containerLists are the pod spec fields that hold containers. Looking for
// them anywhere, instead of at the paths of known kinds, finds pods in
// Deployments, CronJob job templates and custom resources (Argo Rollouts,
// Knative services) alike.
var containerLists = []string{"containers", "initContainers", "ephemeralContainers"}

// decodeDocs splits rendered output into its documents, dropping empty ones.
func decodeDocs(b []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parsing the rendered output: %w", err)
		}
		if v != nil {
			docs = append(docs, v)
		}
	}
}

// docName names a document as kubectl would: Kind/name.
func docName(d any) string {
	m, _ := d.(map[string]any)
	meta, _ := m["metadata"].(map[string]any)
	return fmt.Sprintf("%v/%v", m["kind"], meta["name"])
}

// container is one rendered container.
type container struct {
	doc, path, image string
}

// containers lists every container of every document.
func containers(docs []any) []container {
	var out []container
	var walk func(doc string, v any, p string)
	walk = func(doc string, v any, p string) {
		switch t := v.(type) {
		case map[string]any:
			for _, k := range containerLists {
				list, _ := t[k].([]any)
				for i, c := range list {
					cm, _ := c.(map[string]any)
					if img, ok := cm["image"].(string); ok {
						out = append(out, container{doc: doc, path: p + "." + k + "[" + strconv.Itoa(i) + "]", image: img})
					}
				}
			}
			for k, c := range t {
				walk(doc, c, p+"."+k)
			}
		case []any:
			for i, c := range t {
				walk(doc, c, p+"["+strconv.Itoa(i)+"]")
			}
		}
	}
	for _, d := range docs {
		walk(docName(d), d, "")
	}
	return out
}

// isImageField reports whether path p (as containers builds them) is a
// container's image.
func isImageField(p string) bool {
	for _, k := range containerLists {
		if i := bytes.LastIndex([]byte(p), []byte("."+k+"[")); i >= 0 {
			rest := p[i+len(k)+2:]
			if j := bytes.IndexByte([]byte(rest), ']'); j >= 0 && rest[j+1:] == ".image" {
				return true
			}
		}
	}
	return false
}

// ref is an image reference split into its parts.
type ref struct{ repo, tag, digest string }

// parseRef splits "repo[:tag][@digest]"; repo is the canonical repository
// name (Docker Hub defaults filled in), or the input when it is not one.
func parseRef(s string) ref {
	var r ref
	rest := s
	if i := bytes.LastIndexByte([]byte(rest), '@'); i >= 0 {
		rest, r.digest = rest[:i], rest[i+1:]
	}
	if i := bytes.LastIndexByte([]byte(rest), ':'); i >= 0 && i > bytes.LastIndexByte([]byte(rest), '/') {
		rest, r.tag = rest[:i], rest[i+1:]
	}
	r.repo = rest
	if n, err := name.NewRepository(rest, name.WeakValidation); err == nil {
		r.repo = n.Name()
	}
	return r
}

// canonical is the repository's full name, or s when it is not one.
func canonical(s string) string {
	if n, err := name.NewRepository(s, name.WeakValidation); err == nil {
		return n.Name()
	}
	return s
}
