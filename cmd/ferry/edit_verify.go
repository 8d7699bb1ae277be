package main

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/manifest"
	"github.com/ferryhq/ferry/internal/render"
)

// dirFiles serves a directory as render.Files.
type dirFiles struct{ fsys fs.FS }

func (d dirFiles) ReadFile(p string) ([]byte, error)       { return fs.ReadFile(d.fsys, p) }
func (d dirFiles) ReadDir(p string) ([]fs.DirEntry, error) { return fs.ReadDir(d.fsys, p) }

// verifyEdit is `ferry edit --verify`: render verification as a promotion
// does it, with the current directory as the repository root.
func verifyEdit(file, chart string, t manifest.Target, out []byte, img manifest.Image) error {
	rel := filepath.ToSlash(filepath.Clean(file))
	if filepath.IsAbs(file) || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("--verify renders from the current directory as the repository root; %s is outside it", file)
	}
	target := config.Target{Kind: string(t.Kind), Path: rel, Chart: path.Clean(filepath.ToSlash(chart)), Verify: config.VerifyRender}
	if chart == "" {
		target.Chart = ""
	}
	if t.Kind == manifest.Helm {
		target.Helm = &config.HelmPaths{Repository: t.RepositoryPath, Tag: t.TagPath, Digest: t.DigestPath, Registry: t.RegistryPath}
	}
	app := &config.Application{Name: strings.TrimSuffix(path.Base(rel), path.Ext(rel)), Image: t.Image}
	_, err := render.New().Verify(dirFiles{os.DirFS(".")}, nil, app, target, out, img)
	return err
}
