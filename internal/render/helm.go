package render

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/ignore"
)

// maxChartFiles bounds what one chart may hold, so a directory mistaken for
// a chart cannot make every promotion read the repository.
const maxChartFiles = 2000

// findChart returns the chart directory of a values file: declared, or the
// nearest directory holding a Chart.yaml from the values file's directory
// up to the root. ok is false when there is none.
func findChart(files Files, declared, valuesPath string) (dir string, ok bool, err error) {
	if declared != "" {
		dir = path.Clean(declared)
		if _, err := files.ReadFile(path.Join(dir, "Chart.yaml")); err != nil {
			return "", false, fmt.Errorf("reading the declared chart %s: %w", dir, err)
		}
		return dir, true, nil
	}
	for dir = path.Dir(valuesPath); ; dir = path.Dir(dir) {
		_, err := files.ReadFile(path.Join(dir, "Chart.yaml"))
		if err == nil {
			return dir, true, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", false, fmt.Errorf("looking for Chart.yaml in %s: %w", dir, err)
		}
		if dir == "." {
			return "", false, nil
		}
	}
}

// loadChart reads the chart in dir, honouring its .helmignore as `helm
// template` does.
func loadChart(files Files, dir string) (*chart.Chart, error) {
	rules := ignore.Empty()
	if b, err := files.ReadFile(path.Join(dir, ignore.HelmIgnore)); err == nil {
		if rules, err = ignore.Parse(strings.NewReader(string(b))); err != nil {
			return nil, fmt.Errorf("parsing %s/.helmignore: %w", dir, err)
		}
	}
	rules.AddDefaults()
	var bf []*loader.BufferedFile
	var walk func(rel string) error
	walk = func(rel string) error {
		entries, err := files.ReadDir(path.Join(dir, rel))
		if err != nil {
			return fmt.Errorf("listing chart %s: %w", dir, err)
		}
		for _, e := range entries {
			name := path.Join(rel, e.Name())
			info, err := e.Info()
			if err != nil {
				return fmt.Errorf("reading chart %s: %w", dir, err)
			}
			if rules.Ignore(name, info) {
				continue
			}
			switch {
			case e.IsDir():
				if err := walk(name); err != nil {
					return err
				}
			case e.Type()&fs.ModeSymlink != 0:
				// Not followed, as the snapshot refuses them too.
			default:
				if len(bf) >= maxChartFiles {
					return fmt.Errorf("chart %s holds over %d files", dir, maxChartFiles)
				}
				b, err := files.ReadFile(path.Join(dir, name))
				if err != nil {
					return fmt.Errorf("reading chart %s: %w", dir, err)
				}
				bf = append(bf, &loader.BufferedFile{Name: name, Data: b})
			}
		}
		return nil
	}
	if err := walk("."); err != nil {
		return nil, err
	}
	ch, err := loader.LoadFiles(bf)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", dir, err)
	}
	return ch, nil
}

// missingDependency names a dependency the chart declares but does not
// vendor under charts/: one from a remote repository.
func missingDependency(ch *chart.Chart) *chart.Dependency {
	have := map[string]bool{}
	for _, sub := range ch.Dependencies() {
		have[sub.Name()] = true
	}
	for _, d := range ch.Metadata.Dependencies {
		if !have[d.Name] {
			return d
		}
	}
	return nil
}

// renderChart renders the chart in dir with the values file at valuesPath
// over the chart's defaults, as `helm template` would with -f valuesPath.
// Manifests come out in file-name order; NOTES.txt is left out.
func renderChart(files Files, dir, valuesPath, release string) ([]byte, error) {
	ch, err := loadChart(files, dir)
	if err != nil {
		return nil, err
	}
	if d := missingDependency(ch); d != nil {
		return nil, fmt.Errorf("chart %s depends on %s %s from %s, which is not vendored under %s/charts; charts from remote repositories are not rendered: run helm dependency build and commit charts/, or set verify: edit on the target", dir, d.Name, d.Version, d.Repository, dir)
	}
	vals := chartutil.Values{}
	if valuesPath != path.Join(dir, "values.yaml") {
		b, err := files.ReadFile(valuesPath)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", valuesPath, err)
		}
		if vals, err = chartutil.ReadValues(b); err != nil {
			return nil, fmt.Errorf("reading %s: %w", valuesPath, err)
		}
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return nil, fmt.Errorf("processing the dependencies of chart %s: %w", dir, err)
	}
	opts := chartutil.ReleaseOptions{Name: release, Namespace: "default", Revision: 1, IsInstall: true}
	rv, err := chartutil.ToRenderValues(ch, vals, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, fmt.Errorf("preparing the values of chart %s: %w", dir, err)
	}
	out, err := engine.Render(ch, rv)
	if err != nil {
		return nil, fmt.Errorf("rendering chart %s: %w", dir, err)
	}
	names := make([]string, 0, len(out))
	for n := range out {
		if strings.HasSuffix(n, "NOTES.txt") || strings.TrimSpace(out[n]) == "" {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", n, out[n])
	}
	return []byte(b.String()), nil
}
