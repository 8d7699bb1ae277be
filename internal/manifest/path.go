package manifest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ValidatePath refuses a repo-relative path that is empty, absolute, climbs
// out with "..", or leads out of root through a symbolic link. Callers check
// a target's path with it before reading the file. A path that does not
// exist yet is accepted when its existing parents stay inside root.
func ValidatePath(root, rel string) error {
	switch {
	case rel == "":
		return errorf(rel, 0, "empty path")
	case filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") || strings.HasPrefix(rel, `\`) || filepath.VolumeName(rel) != "":
		return errorf(rel, 0, "path is absolute; want a path inside the repository")
	}
	for _, part := range strings.FieldsFunc(rel, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return errorf(rel, 0, "path climbs out of the repository with ..")
		}
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return errorf(rel, 0, "resolving repository root: %v", err)
	}
	// Resolve the longest existing prefix; what does not exist cannot be a link.
	p := filepath.Join(realRoot, filepath.FromSlash(rel))
	rest := ""
	for {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			p = filepath.Join(real, rest)
			break
		}
		if _, lerr := os.Lstat(p); lerr == nil || !errors.Is(err, fs.ErrNotExist) {
			// It exists but does not resolve: a dangling link may point anywhere.
			return errorf(rel, 0, "resolving path: %v", err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return errorf(rel, 0, "resolving path: %v", err)
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
	inside, err := filepath.Rel(realRoot, p)
	if err != nil || inside == ".." || strings.HasPrefix(inside, ".."+string(os.PathSeparator)) {
		return errorf(rel, 0, "path leads out of the repository through a symbolic link")
	}
	return nil
}
