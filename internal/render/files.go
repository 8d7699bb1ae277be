package render

import (
	"io/fs"
)

// Files is a read-only repository tree with slash-separated paths relative
// to its root ("." is the root). gitrepo.Snapshot is one.
type Files interface {
	ReadFile(path string) ([]byte, error)
	ReadDir(path string) ([]fs.DirEntry, error)
}

// overlay shows edited file contents over a tree. Edits replace files that
// exist; they never add or remove entries, which is all Ferry's edits do.
type overlay struct {
	Files
	edits map[string][]byte
}

func (o overlay) ReadFile(path string) ([]byte, error) {
	if b, ok := o.edits[path]; ok {
		return b, nil
	}
	return o.Files.ReadFile(path)
}

// withEdits returns files with edits laid over it.
func withEdits(files Files, edits map[string][]byte) Files {
	if len(edits) == 0 {
		return files
	}
	return overlay{Files: files, edits: edits}
}
