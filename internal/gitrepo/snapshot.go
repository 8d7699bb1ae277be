package gitrepo

import (
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Snapshot is a read-only view of one branch head. It stays valid, and
// keeps showing the same commit, for as long as the caller holds it.
type Snapshot interface {
	// Branch is the branch the snapshot was taken for.
	Branch() string
	// Head is the commit SHA, or "" when the branch does not exist. In the
	// snapshot Commit gives to build for a branch made with FromBranch, it
	// is the base branch's head: the parent the new commit will have.
	Head() string
	// ReadFile returns the content of the file at the slash-separated path.
	// Paths with "..", absolute paths and paths through a symbolic link give
	// an error wrapping ErrUnsafePath; a missing file one wrapping
	// fs.ErrNotExist.
	ReadFile(path string) ([]byte, error)
	// Stat returns the blob id and size of the file at path without reading
	// it, with the errors of ReadFile: a caller can refuse a file that is too
	// large, or skip one it has already read.
	Stat(path string) (FileStat, error)
	// ReadDir lists the directory at the slash-separated path ("." is the
	// root), refusing unsafe paths as ReadFile does.
	ReadDir(path string) ([]fs.DirEntry, error)
	// Walk visits commits from the head backwards, newest first, as far as
	// the local (shallow) history goes and at most max of them; fn returns
	// false to stop.
	Walk(max int, fn func(c CommitInfo) bool) error
}

type snapshot struct {
	c      *clone
	branch string
	head   plumbing.Hash
}

func (s *snapshot) Branch() string { return s.branch }

func (s *snapshot) Head() string {
	if s.head.IsZero() {
		return ""
	}
	return s.head.String()
}

// FileStat identifies a file's content in a snapshot.
type FileStat struct {
	// Blob is the Git blob id: equal ids mean equal content.
	Blob string
	// Size is the content's length in bytes.
	Size int64
}

func (s *snapshot) Stat(path string) (FileStat, error) {
	s.c.mu.RLock()
	defer s.c.mu.RUnlock()
	h, err := s.fileEntry(path)
	if err != nil {
		return FileStat{}, err
	}
	obj, err := s.c.st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return FileStat{}, fmt.Errorf("reading blob of %q: %w", path, err)
	}
	return FileStat{Blob: h.String(), Size: obj.Size()}, nil
}

// fileEntry returns the blob hash of the regular file at path; the caller
// holds s.c.mu.
func (s *snapshot) fileEntry(path string) (plumbing.Hash, error) {
	parts, err := splitPath(path)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading %q: %w", path, err)
	}
	if s.head.IsZero() {
		return plumbing.ZeroHash, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
	}
	commit, err := object.GetCommit(s.c.st, s.head)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading commit %s: %w", s.head, err)
	}
	e, err := lookup(s.c.st, commit.TreeHash, parts)
	if err != nil {
		return plumbing.ZeroHash, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	switch e.Mode {
	case filemode.Regular, filemode.Executable, filemode.Deprecated:
	case filemode.Dir:
		return plumbing.ZeroHash, fmt.Errorf("reading %q: is a directory", path)
	default:
		return plumbing.ZeroHash, fmt.Errorf("reading %q: not a regular file (mode %s)", path, e.Mode)
	}
	return e.Hash, nil
}

func (s *snapshot) ReadFile(path string) ([]byte, error) {
	s.c.mu.RLock()
	defer s.c.mu.RUnlock()
	h, err := s.fileEntry(path)
	if err != nil {
		return nil, err
	}
	blob, err := object.GetBlob(s.c.st, h)
	if err != nil {
		return nil, fmt.Errorf("reading blob of %q: %w", path, err)
	}
	rd, err := blob.Reader()
	if err != nil {
		return nil, fmt.Errorf("reading blob of %q: %w", path, err)
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// lookup finds the entry at parts under the tree root. A symbolic link on
// the way or at the end gives ErrUnsafePath; a missing entry fs.ErrNotExist.
func lookup(st storer.EncodedObjectStorer, root plumbing.Hash, parts []string) (object.TreeEntry, error) {
	treeHash := root
	for i, name := range parts {
		tree, err := object.GetTree(st, treeHash)
		if err != nil {
			return object.TreeEntry{}, fmt.Errorf("reading tree %s: %w", treeHash, err)
		}
		e := findEntry(tree.Entries, name)
		if e == nil {
			return object.TreeEntry{}, fs.ErrNotExist
		}
		if e.Mode == filemode.Symlink {
			return object.TreeEntry{}, fmt.Errorf("%w: %q is a symbolic link", ErrUnsafePath, strings.Join(parts[:i+1], "/"))
		}
		if i == len(parts)-1 {
			return *e, nil
		}
		if e.Mode != filemode.Dir {
			return object.TreeEntry{}, fs.ErrNotExist
		}
		treeHash = e.Hash
	}
	return object.TreeEntry{}, fs.ErrNotExist
}

// findEntry returns the entry called name, or nil.
func findEntry(entries []object.TreeEntry, name string) *object.TreeEntry {
	for i := range entries {
		if entries[i].Name == name {
			return &entries[i]
		}
	}
	return nil
}
