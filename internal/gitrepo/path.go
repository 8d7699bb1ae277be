package gitrepo

import (
	"fmt"
	"strings"
)

// splitPath checks that p is a clean relative slash-separated path inside
// the repository and returns its components. It refuses absolute paths,
// "." and ".." components, empty components, backslashes, NUL bytes and any
// ".git" component (git fsck rejects trees holding one).
func splitPath(p string) ([]string, error) {
	if p == "" {
		return nil, fmt.Errorf("%w: empty path", ErrUnsafePath)
	}
	if strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("%w: %q is absolute", ErrUnsafePath, p)
	}
	if strings.ContainsAny(p, "\\\x00") {
		return nil, fmt.Errorf("%w: %q contains a backslash or NUL", ErrUnsafePath, p)
	}
	parts := strings.Split(p, "/")
	for _, c := range parts {
		switch {
		case c == "" || c == ".":
			return nil, fmt.Errorf("%w: %q is not a clean path", ErrUnsafePath, p)
		case c == "..":
			return nil, fmt.Errorf("%w: %q leaves the repository", ErrUnsafePath, p)
		case strings.EqualFold(c, ".git"):
			return nil, fmt.Errorf("%w: %q goes into .git", ErrUnsafePath, p)
		}
	}
	return parts, nil
}
