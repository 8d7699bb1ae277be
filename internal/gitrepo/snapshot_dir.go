package gitrepo

import (
	"fmt"
	"io/fs"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ReadDir lists the directory at the slash-separated path ("." is the
// root) in Git's order. Symbolic links are listed with fs.ModeSymlink; no
// content is read.
func (s *snapshot) ReadDir(path string) ([]fs.DirEntry, error) {
	if s.head.IsZero() {
		return nil, &fs.PathError{Op: "readdir", Path: path, Err: fs.ErrNotExist}
	}
	s.c.mu.RLock()
	defer s.c.mu.RUnlock()
	commit, err := object.GetCommit(s.c.st, s.head)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", s.head, err)
	}
	tree := commit.TreeHash
	if path != "." && path != "" {
		parts, err := splitPath(path)
		if err != nil {
			return nil, fmt.Errorf("listing %q: %w", path, err)
		}
		e, err := lookup(s.c.st, commit.TreeHash, parts)
		if err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: path, Err: err}
		}
		if e.Mode != filemode.Dir {
			return nil, fmt.Errorf("listing %q: not a directory", path)
		}
		tree = e.Hash
	}
	t, err := object.GetTree(s.c.st, tree)
	if err != nil {
		return nil, fmt.Errorf("reading tree %s: %w", tree, err)
	}
	out := make([]fs.DirEntry, 0, len(t.Entries))
	for _, e := range t.Entries {
		out = append(out, dirEntry{name: e.Name, mode: e.Mode, hash: e.Hash})
	}
	return out, nil
}

// dirEntry is a tree entry as an fs.DirEntry.
type dirEntry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (d dirEntry) Name() string               { return d.name }
func (d dirEntry) IsDir() bool                { return d.mode == filemode.Dir }
func (d dirEntry) Type() fs.FileMode          { return d.fsMode().Type() }
func (d dirEntry) Info() (fs.FileInfo, error) { return d, nil }

func (d dirEntry) fsMode() fs.FileMode {
	m, err := d.mode.ToOSFileMode()
	if err != nil {
		return fs.ModeIrregular
	}
	return m
}

// dirEntry is its own FileInfo; sizes would need the blob, so they are 0.
func (d dirEntry) Size() int64        { return 0 }
func (d dirEntry) Mode() fs.FileMode  { return d.fsMode() }
func (d dirEntry) ModTime() time.Time { return time.Time{} }
func (d dirEntry) Sys() any           { return d.hash }
