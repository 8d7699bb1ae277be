package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ferryhq/ferry/internal/manifest"
)

// runEdit runs "ferry edit" with args (the flags and arguments after "edit").
func runEdit(args []string, stdout, stderr io.Writer) int {
	return run(append([]string{"edit"}, args...), stdout, stderr)
}

// editOptions are the flags of "ferry edit".
type editOptions struct {
	t                      manifest.Target
	kind, chart            string
	inPlace, check, verify bool
}

func newEditCmd(stdout, stderr io.Writer) *cobra.Command {
	var o editOptions
	cmd := &cobra.Command{
		Use:   "edit --kind KIND [flags] FILE REPO:TAG@DIGEST",
		Short: "Set an image in a YAML file exactly as Ferry would commit it",
		Long: `Set an image in one YAML file exactly as Ferry would commit it.

Exit status: 0 done (or, with --check, nothing to change), 1 with --check
when the file would change, 2 on any error.`,
		Example: `  ferry edit --kind kustomize envs/prod/payments/kustomization.yaml registry.example.com/acme/payments:1.4.2@sha256:…`,
		Args:    cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			return exit(edit(o, args[0], args[1], stdout, stderr))
		},
	}
	f := cmd.Flags()
	t := &o.t
	f.StringVar(&o.kind, "kind", "", "target kind: kustomize, helm, manifest or marker")
	f.StringVar(&t.Image, "image-repo", "", "image repository to match (default: the reference's repository)")
	f.StringVar(&t.Name, "name", "", "marker name (for --kind marker)")
	f.StringVar(&t.RepositoryPath, "repository-path", "", "helm: dotted path of the repository (default image.repository)")
	f.StringVar(&t.TagPath, "tag-path", "", "helm: dotted path of the tag (default image.tag)")
	f.StringVar(&t.DigestPath, "digest-path", "", "helm: dotted path of the digest (default image.digest)")
	f.BoolVar(&o.inPlace, "in-place", false, "rewrite FILE instead of printing it")
	f.BoolVar(&o.check, "check", false, "write nothing; exit 1 if FILE would change, 0 if not")
	f.BoolVar(&o.verify, "verify", false, "render FILE's kustomization or chart (the current directory is the repository root) before and after the edit; refuse unless the image renders pinned and nothing else changes")
	f.StringVar(&o.chart, "chart", "", "helm, with --verify: the chart directory (default: the nearest Chart.yaml at or above FILE)")
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions([]string{"kustomize", "helm", "manifest", "marker"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func edit(o editOptions, file, ref string, stdout, stderr io.Writer) int {
	t, kind, inPlace, check, verify, chart := o.t, o.kind, &o.inPlace, &o.check, &o.verify, &o.chart
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
	if *verify && changed {
		if err := verifyEdit(file, *chart, t, out, img); err != nil {
			fmt.Fprintf(stderr, "ferry edit: %v\n", err)
			return 2
		}
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
