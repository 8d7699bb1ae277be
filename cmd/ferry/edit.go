package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ferryhq/ferry/internal/manifest"
)

// runEdit implements "ferry edit": set an image in one YAML file exactly as
// Ferry would commit it. Exit status: 0 done (or, with --check, nothing to
// change), 1 with --check when the file would change, 2 on any error.
func runEdit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("edit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var t manifest.Target
	var kind string
	fs.StringVar(&kind, "kind", "", "target kind: kustomize, helm, manifest or marker")
	fs.StringVar(&t.Image, "image-repo", "", "image repository to match (default: the reference's repository)")
	fs.StringVar(&t.Name, "name", "", "marker name (for --kind marker)")
	fs.StringVar(&t.RepositoryPath, "repository-path", "", "helm: dotted path of the repository (default image.repository)")
	fs.StringVar(&t.TagPath, "tag-path", "", "helm: dotted path of the tag (default image.tag)")
	fs.StringVar(&t.DigestPath, "digest-path", "", "helm: dotted path of the digest (default image.digest)")
	inPlace := fs.Bool("in-place", false, "rewrite FILE instead of printing it")
	check := fs.Bool("check", false, "write nothing; exit 1 if FILE would change, 0 if not")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ferry edit --kind KIND [flags] FILE REPO:TAG@DIGEST")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return 2
	}
	file, ref := fs.Arg(0), fs.Arg(1)
	t.Kind = manifest.Kind(kind)
	switch t.Kind {
	case manifest.Kustomize, manifest.Helm, manifest.Manifest, manifest.Marker:
	default:
		fmt.Fprintf(stderr, "ferry edit: --kind must be kustomize, helm, manifest or marker, not %q\n", kind)
		return 2
	}
	img, err := manifest.ParseImage(ref)
	if err != nil {
		fmt.Fprintf(stderr, "ferry edit: %v\n", err)
		return 2
	}
	if img.Tag == "" || img.Digest == "" {
		fmt.Fprintf(stderr, "ferry edit: reference %q must be pinned as repo:tag@digest\n", ref)
		return 2
	}
	if t.Image == "" {
		t.Image = img.Repository
	}
	if t.Kind == manifest.Marker && t.Name == "" {
		fmt.Fprintln(stderr, "ferry edit: --kind marker needs --name")
		return 2
	}

	src, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "ferry edit: %v\n", err)
		return 2
	}
	out, changed, err := manifest.Set(file, src, t, img)
	if err != nil {
		var e *manifest.Error
		if errors.As(err, &e) {
			fmt.Fprintln(stderr, e.Error())
		} else {
			fmt.Fprintf(stderr, "ferry edit: %v\n", err)
		}
		return 2
	}
	switch {
	case *check:
		if changed {
			return 1
		}
		return 0
	case *inPlace:
		if !changed {
			return 0
		}
		if err := writeAtomic(file, out); err != nil {
			fmt.Fprintf(stderr, "ferry edit: %v\n", err)
			return 2
		}
		return 0
	}
	if _, err := io.Copy(stdout, bytes.NewReader(out)); err != nil {
		fmt.Fprintf(stderr, "ferry edit: %v\n", err)
		return 2
	}
	return 0
}

// writeAtomic replaces path with data through a temporary file in the same
// directory and a rename, keeping the file's mode, so that a reader never
// sees half a file. A symbolic link is followed, not replaced.
func writeAtomic(path string, data []byte) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", path, err)
	}
	info, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("reading mode of %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(real), "."+filepath.Base(real)+".ferry-*")
	if err != nil {
		return fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return fmt.Errorf("setting mode of %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), real); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}
