package deploy_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// seriesRE finds a Ferry series in PromQL.
var seriesRE = regexp.MustCompile(`\bferry_[a-z0-9_]+`)

// definedRE finds where Ferry's Go code names a series: the Name of its
// Opts, or the first argument of prometheus.NewDesc.
var definedRE = regexp.MustCompile(`(?:Name:\s*|NewDesc\(\s*)"(ferry_[a-z0-9_]+)"`)

// definedSeries returns every series internal/ defines, with the suffixes a
// histogram exposes.
func definedSeries(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(filepath.Join("..", "internal"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range definedRE.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				out[m[1]+suffix] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("found no series defined under internal/")
	}
	return out
}

// checkExpr checks that expr names only defined series and that its
// brackets balance; it returns the series it names.
func checkExpr(t *testing.T, where, expr string, defined map[string]bool) []string {
	t.Helper()
	if strings.TrimSpace(expr) == "" {
		t.Errorf("%s: empty expression", where)
	}
	for _, pair := range []string{"()", "{}", "[]"} {
		if strings.Count(expr, pair[:1]) != strings.Count(expr, pair[1:]) {
			t.Errorf("%s: unbalanced %s in %q", where, pair, expr)
		}
	}
	names := seriesRE.FindAllString(expr, -1)
	if len(names) == 0 {
		t.Errorf("%s: %q names no Ferry series", where, expr)
	}
	for _, n := range names {
		if !defined[n] {
			t.Errorf("%s: %q names %s, which Ferry does not export", where, expr, n)
		}
	}
	return names
}

func TestAlertRules(t *testing.T) {
	defined := definedSeries(t)
	b, err := os.ReadFile(filepath.Join("monitoring", "alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert       string
				Expr        string
				For         string
				Labels      map[string]string
				Annotations map[string]string
			}
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	seen := map[string]bool{}
	for _, g := range file.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %q: needs a name and rules", g.Name)
		}
		for _, r := range g.Rules {
			where := "alert " + r.Alert
			switch {
			case !regexp.MustCompile(`^Ferry[A-Za-z]+$`).MatchString(r.Alert):
				t.Errorf("%s: alert names are FerryCamelCase", where)
			case seen[r.Alert]:
				t.Errorf("%s: named twice", where)
			case r.Labels["severity"] == "":
				t.Errorf("%s: no severity label", where)
			case r.Annotations["summary"] == "":
				t.Errorf("%s: no summary", where)
			}
			seen[r.Alert] = true
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", where, r.For, err)
				}
			}
			checkExpr(t, where, r.Expr, defined)
		}
	}
	if len(seen) == 0 {
		t.Fatal("alerts.yaml has no rules")
	}
}

func TestGrafanaDashboard(t *testing.T) {
	defined := definedSeries(t)
	b, err := os.ReadFile(filepath.Join("monitoring", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title, UID string
		Panels     []struct {
			ID      int
			Title   string
			Targets []struct{ RefID, Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	if dash.Title == "" || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("dashboard needs a title, a uid and panels: %+v", dash)
	}
	used := map[string]bool{}
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			for _, n := range checkExpr(t, "panel "+p.Title, q.Expr, defined) {
				used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")] = true
			}
		}
	}
	// Every series Ferry exports has a panel: an operator sees it all.
	var missing []string
	for n := range defined {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
		if base == n && !used[n] && !strings.HasSuffix(n, "_read_failures_total") {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("series without a panel: %v", missing)
	}
}
