package gitrepo

import (
	"fmt"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// dirEdit is the set of files to write under one directory.
type dirEdit struct {
	files map[string][]byte
	dirs  map[string]*dirEdit
}

// newDirEdit groups files by directory, refusing unsafe paths and a name
// used both as a file and as a directory.
func newDirEdit(files map[string][]byte) (*dirEdit, error) {
	root := &dirEdit{}
	for p, content := range files {
		parts, err := splitPath(p)
		if err != nil {
			return nil, fmt.Errorf("writing %q: %w", p, err)
		}
		d := root
		for _, name := range parts[:len(parts)-1] {
			if _, ok := d.files[name]; ok {
				return nil, fmt.Errorf("writing %q: %q is also written as a file", p, name)
			}
			if d.dirs == nil {
				d.dirs = map[string]*dirEdit{}
			}
			if d.dirs[name] == nil {
				d.dirs[name] = &dirEdit{}
			}
			d = d.dirs[name]
		}
		name := parts[len(parts)-1]
		if _, ok := d.dirs[name]; ok {
			return nil, fmt.Errorf("writing %q: it is also written as a directory", p)
		}
		if d.files == nil {
			d.files = map[string][]byte{}
		}
		d.files[name] = content
	}
	return root, nil
}

// writeTree stores the tree that is tree (zero: empty) with d written in
// and returns its hash. Subtrees d does not touch keep their hashes, and a
// tree whose entries all stay the same is returned as is, so a no-op edit
// gives back the original hash. dir is the path of tree, for errors.
func writeTree(st storer.EncodedObjectStorer, tree plumbing.Hash, dir string, d *dirEdit) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !tree.IsZero() {
		t, err := object.GetTree(st, tree)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("reading tree %q: %w", dir, err)
		}
		entries = append(entries, t.Entries...)
	}
	changed := tree.IsZero()
	set := func(name string, mode filemode.FileMode, h plumbing.Hash) {
		if e := findEntry(entries, name); e != nil {
			if e.Hash != h {
				e.Hash = h
				changed = true
			}
			return
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: mode, Hash: h})
		changed = true
	}

	for name, content := range d.files {
		p := join(dir, name)
		mode := filemode.Regular
		if e := findEntry(entries, name); e != nil {
			switch e.Mode {
			case filemode.Regular, filemode.Executable, filemode.Deprecated:
				mode = e.Mode // keep the file's mode
			case filemode.Symlink:
				return plumbing.ZeroHash, fmt.Errorf("writing %q: %w: it is a symbolic link", p, ErrUnsafePath)
			case filemode.Dir:
				return plumbing.ZeroHash, fmt.Errorf("writing %q: it is a directory", p)
			default:
				return plumbing.ZeroHash, fmt.Errorf("writing %q: not a regular file (mode %s)", p, e.Mode)
			}
		}
		h, err := writeBlob(st, content)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("writing %q: %w", p, err)
		}
		set(name, mode, h)
	}

	for name, sub := range d.dirs {
		p := join(dir, name)
		var subtree plumbing.Hash
		if e := findEntry(entries, name); e != nil {
			switch e.Mode {
			case filemode.Dir:
				subtree = e.Hash
			case filemode.Symlink:
				return plumbing.ZeroHash, fmt.Errorf("writing under %q: %w: it is a symbolic link", p, ErrUnsafePath)
			default:
				return plumbing.ZeroHash, fmt.Errorf("writing under %q: it is not a directory", p)
			}
		}
		h, err := writeTree(st, subtree, p, sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		set(name, filemode.Dir, h)
	}

	if !changed {
		return tree, nil
	}
	sort.Sort(gitOrder(entries))
	t := &object.Tree{Entries: entries}
	obj := st.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encoding tree %q: %w", dir, err)
	}
	h, err := st.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("storing tree %q: %w", dir, err)
	}
	return h, nil
}

func writeBlob(st storer.EncodedObjectStorer, content []byte) (plumbing.Hash, error) {
	obj := st.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(content)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return st.SetEncodedObject(obj)
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// gitOrder sorts tree entries as Git does: by name, comparing a directory
// as if its name ended in "/" (so "a-b/" < "a.yaml" < "a/" < "a0").
type gitOrder []object.TreeEntry

func (o gitOrder) Len() int      { return len(o) }
func (o gitOrder) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o gitOrder) Less(i, j int) bool {
	return sortName(o[i]) < sortName(o[j])
}

func sortName(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}
