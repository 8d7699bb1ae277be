package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// plan returns SQLite's query plan for q, one step a line.
func plan(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", q, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(steps, "\n")
}

// TestListPlans checks that every list filter, on the first page and after
// a cursor, reads one index in order: no full table scan, no sort.
func TestListPlans(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cursor := &store.Cursor{CreatedAt: time.Now(), ID: "prm-1"}

	check := func(t *testing.T, q string, args []any, wantIndex string, sorted bool) {
		t.Helper()
		p := plan(t, s, q, args)
		t.Logf("%s\n%s", q, p)
		if sorted && strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("plan sorts:\n%s", p)
		}
		if strings.HasPrefix(p, "SCAN promotions\n") || p == "SCAN promotions" {
			t.Errorf("plan scans the table:\n%s", p)
		}
		if !strings.Contains(p, "INDEX "+wantIndex+" ") && !strings.HasSuffix(p, "INDEX "+wantIndex) {
			t.Errorf("plan does not use index %s:\n%s", wantIndex, p)
		}
	}
	for _, tc := range []struct {
		name      string
		f         promotion.PromotionFilter
		wantIndex string
		sorted    bool // read in index order, no sort
	}{
		{"none", promotion.PromotionFilter{}, "promotions_created", true},
		{"application", promotion.PromotionFilter{Application: "a"}, "promotions_app_created", true},
		{"environment", promotion.PromotionFilter{Environment: "e"}, "promotions_env_created", true},
		{"state", promotion.PromotionFilter{State: promotion.StateFailed}, "promotions_state_created", true},
		{"release", promotion.PromotionFilter{ReleaseID: "r"}, "promotions_release_created", true},
		{"application and environment", promotion.PromotionFilter{Application: "a", Environment: "e"}, "promotions_app_env_created", true},
		{"application, environment and state", promotion.PromotionFilter{Application: "a", Environment: "e", State: promotion.StatePending}, "promotions_app_env_created", true},
		{"environment and state", promotion.PromotionFilter{Environment: "e", State: promotion.StateMerged}, "promotions_env_created", true},
		{"release and state", promotion.PromotionFilter{ReleaseID: "r", State: promotion.StateMerged}, "promotions_release_created", true},
		{"pull request of an application and environment", promotion.PromotionFilter{Application: "a", Environment: "e", PRNumber: 7}, "promotions_pr", true},
		{"pull request, application, environment and state", promotion.PromotionFilter{Application: "a", Environment: "e", PRNumber: 7, State: promotion.StatePROpen}, "promotions_pr", true},
		// Alone, a number matches the few promotions of PRs with that
		// number in any repository: they are sorted.
		{"pull request", promotion.PromotionFilter{PRNumber: 7}, "promotions_pr", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []*store.Cursor{nil, cursor} {
				q, args := s.ListPromotionsQuery(tc.f, 50, c)
				check(t, q, args, tc.wantIndex, tc.sorted)
			}
		})
	}
	for _, tc := range []struct {
		name      string
		f         promotion.ReleaseFilter
		wantIndex string
	}{
		{"releases", promotion.ReleaseFilter{}, "releases_created"},
		{"releases of an application", promotion.ReleaseFilter{Application: "a"}, "releases_app_created"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []*store.Cursor{nil, cursor} {
				q, args := s.ListReleasesQuery(tc.f, 50, c)
				check(t, q, args, tc.wantIndex, true)
			}
		})
	}
	t.Run("claim", func(t *testing.T) {
		check(t, claimQuery, []any{int64(1), int64(1), 10}, "promotions_due", true)
	})
	t.Run("transitions", func(t *testing.T) {
		check(t, s.TransitionsQuery(), []any{"prm-1"}, "promotion_transitions_promotion", true)
	})
}

// TestActiveStates holds the SQL of the active states to store.ActiveStates
// and to the predicate of the partial index the claim query reads.
func TestActiveStates(t *testing.T) {
	var quoted []string
	for _, st := range store.ActiveStates {
		quoted = append(quoted, "'"+string(st)+"'")
	}
	if want := "state IN (" + strings.Join(quoted, ", ") + ")"; store.ActiveStatesSQL != want {
		t.Errorf("store.ActiveStatesSQL = %s, want %s", store.ActiveStatesSQL, want)
	}
	b, err := migrationFS.ReadFile("migrations/0002_pull_requests.sql")
	if err != nil {
		t.Fatal(err)
	}
	if want := "ON promotions (created_at, id) WHERE " + store.ActiveStatesSQL + ";"; !strings.Contains(string(b), want) {
		t.Errorf("migration 0002 has no index %q", want)
	}
}

// TestDoraPlan checks that the DORA query reads an application's
// deployments in the window as a range of the partial index
// promotions_deployed_dora alone (its WHERE clause repeats the index's
// predicate, as SQLite needs), with no join: the release's times and fix
// mark ride on the promotion (migration 0015).
func TestDoraPlan(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	from := time.Now()
	for _, env := range []string{"", "prod"} {
		f := store.DoraFilter{Application: "a", Environment: env, From: from, To: from.Add(time.Hour), Bucket: time.Hour}
		q, args := s.DoraQuery(f)
		if strings.Contains(q, " OVER ") {
			t.Errorf("the DORA query uses a window function:\n%s", q)
		}
		p := plan(t, s, q, args)
		t.Logf("%s", p)
		if !strings.Contains(p, "USING COVERING INDEX promotions_deployed_dora (application=? AND updated_at>? AND updated_at<?)") {
			t.Errorf("environment %q: plan does not read promotions_deployed_dora:\n%s", env, p)
		}
		if strings.Contains(p, "releases") {
			t.Errorf("environment %q: plan reads releases:\n%s", env, p)
		}
	}
	// markRestores finds the deployment before the one written in
	// promotions_deployed_next (migration 0016), in order, with no sort.
	p := plan(t, s, s.PreviousDeploymentQuery(), []any{"a", "prod", from.UnixMicro(), from.UnixMicro(), "rel-1"})
	t.Logf("%s", p)
	if !strings.Contains(p, "promotions_deployed_next (application=? AND environment=? AND updated_at<?)") || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("the deployment before one is not read from promotions_deployed_next in order:\n%s", p)
	}
	p = plan(t, s, s.MarkRestoredQuery(), []any{"prm-1", "prm-2"})
	t.Logf("%s", p)
	if !strings.Contains(p, "promotions_deployed_next (application=? AND environment=? AND updated_at>?)") || strings.Contains(p, "TEMP B-TREE") || strings.Contains(p, "SCAN") {
		t.Errorf("the deployment after one is not read from promotions_deployed_next in order:\n%s", p)
	}
}
