package render

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// lazyFS is kustomize's in-memory file system filled from the repository on
// first use, one directory at a time: a kustomization reads a handful of
// directories, and copying a large repository per promotion would cost more
// than the render. Paths are absolute, "/" being the repository root.
type lazyFS struct {
	filesys.FileSystem
	src    Files
	loaded map[string]bool // directories whose entries are in memory
	notDir map[string]bool // paths found not to be directories
	// err is the first error met loading, or a kustomization asking for a
	// remote base; it is reported instead of kustomize's "not found".
	err error
}

func newLazyFS(src Files) *lazyFS {
	return &lazyFS{FileSystem: filesys.MakeFsInMemory(), src: src, loaded: map[string]bool{}, notDir: map[string]bool{}}
}

// repoPath turns an in-memory path into a repository path ("." for root).
func repoPath(p string) string {
	p = path.Clean("/" + filepath.ToSlash(p))
	if p == "/" {
		return "."
	}
	return strings.TrimPrefix(p, "/")
}

// ensure makes the in-memory file system able to answer about p: when p is
// a directory, its entries are loaded (and the directories above it made,
// empty until asked about); otherwise its parent directory is, which
// answers whether p exists and holds it if it is a file. Directories above
// are not listed: in a repository of thousands of applications,
// envs/dev/<app> sits in a directory of thousands of entries, and loading
// every directory from the root down cost more than the render (two per
// promotion).
func (l *lazyFS) ensure(p string) {
	rp := repoPath(p)
	if l.loaded[rp] || l.notDir[rp] || l.err != nil {
		return
	}
	if rp != "." && l.loaded[path.Dir(rp)] && !l.FileSystem.IsDir("/"+rp) {
		// Its directory is in memory, with every subdirectory: p is a file
		// or nothing, and the snapshot need not look it up again.
		l.notDir[rp] = true
		return
	}
	entries, err := l.src.ReadDir(rp)
	if err == nil {
		l.load(rp, entries)
		return
	}
	if rp == "." {
		l.err = fmt.Errorf("listing the repository root: %w", err)
		return
	}
	l.notDir[rp] = true
	parent := path.Dir(rp)
	l.ensure("/" + parent)
	if l.err == nil && l.FileSystem.IsDir("/"+rp) {
		// Listed as a directory by its parent, yet it could not be read.
		l.err = fmt.Errorf("listing %s: %w", rp, err)
	}
}

// load puts directory dir and its entries in memory: subdirectories empty
// (loaded when asked about), files with their content.
func (l *lazyFS) load(dir string, entries []fs.DirEntry) {
	l.loaded[dir] = true
	if dir != "." {
		if err := l.FileSystem.MkdirAll("/" + dir); err != nil {
			l.err = fmt.Errorf("copying %s: %w", dir, err)
			return
		}
	}
	for _, e := range entries {
		p := "/" + path.Join(dir, e.Name())
		switch {
		case e.IsDir():
			if err := l.FileSystem.MkdirAll(p); err != nil {
				l.err = fmt.Errorf("copying %s: %w", p, err)
			}
		case e.Type()&fs.ModeSymlink != 0:
			// Not followed, as the snapshot refuses them too.
		default:
			b, err := l.src.ReadFile(path.Join(dir, e.Name()))
			if err != nil {
				l.err = fmt.Errorf("reading %s: %w", path.Join(dir, e.Name()), err)
				return
			}
			if err := l.FileSystem.WriteFile(p, b); err != nil {
				l.err = fmt.Errorf("copying %s: %w", p, err)
			}
		}
	}
}

func (l *lazyFS) Open(p string) (filesys.File, error) {
	l.ensure(p)
	return l.FileSystem.Open(p)
}

func (l *lazyFS) IsDir(p string) bool {
	l.ensure(p)
	return l.FileSystem.IsDir(p)
}

func (l *lazyFS) ReadDir(p string) ([]string, error) {
	l.ensure(p)
	return l.FileSystem.ReadDir(p)
}

func (l *lazyFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	l.ensure(p)
	return l.FileSystem.CleanedAbs(p)
}

func (l *lazyFS) Exists(p string) bool {
	l.ensure(p)
	return l.FileSystem.Exists(p)
}

func (l *lazyFS) Glob(pattern string) ([]string, error) {
	l.ensure(path.Dir(pattern))
	return l.FileSystem.Glob(pattern)
}

func (l *lazyFS) ReadFile(p string) ([]byte, error) {
	l.ensure(p)
	b, err := l.FileSystem.ReadFile(p)
	if err == nil && isKustomization(path.Base(p)) {
		// Checked as kustomize reads it, before it follows what it names.
		if rerr := refuseRemote(repoPath(p), b); rerr != nil {
			if l.err == nil {
				l.err = rerr
			}
			return nil, rerr
		}
	}
	return b, err
}

// Walk loads the whole subtree first: kustomize walks only small trees.
func (l *lazyFS) Walk(p string, fn filepath.WalkFunc) error {
	l.ensureTree(repoPath(p))
	return l.FileSystem.Walk(p, fn)
}

func (l *lazyFS) ensureTree(dir string) {
	l.ensure("/" + dir)
	entries, err := l.src.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			l.ensureTree(path.Join(dir, e.Name()))
		}
	}
}
