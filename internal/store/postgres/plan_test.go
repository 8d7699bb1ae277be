package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// explain returns PostgreSQL's plan for q.
func explain(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), "EXPLAIN "+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q, err)
	}
	return strings.Join(lines, "\n")
}

// TestListPlans checks, on 100,000 analyzed promotions, that every list
// filter reads an index, with no sequential scan, and that single filters
// and application+environment read it in order, with no sort.
func TestListPlans(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	// 20 applications × 5 environments × 8 states, one release per 1000 rows.
	for _, q := range []string{
		`INSERT INTO releases (id, application, repository, tag, digest, created_at)
		 SELECT 'rel-' || r, 'app-' || (r % 20), 'registry.example.com/app', 'v' || r, 'sha256:' || r,
		        timestamptz '2025-01-01' + r * interval '1 minute'
		 FROM generate_series(0, 99) r`,
		`INSERT INTO promotions (id, release_id, application, environment, state, next_attempt_at, lease_until, created_at, updated_at, pr_number)
		 SELECT 'prm-' || lpad(n::text, 7, '0'), 'rel-' || (n / 1000), 'app-' || ((n / 1000) % 20),
		        (ARRAY['dev','qa','stage','prod','dr'])[n % 5 + 1], s, t, '0001-01-01Z', t, t,
		        CASE WHEN s IN ('pr-open', 'merged', 'rejected') THEN n % 5000 + 1 ELSE 0 END
		 FROM generate_series(0, 99999) n,
		      LATERAL (SELECT timestamptz '2025-01-01' + (n / 1000) * interval '1 minute' + (n % 1000) * interval '1 millisecond' AS t,
		                      (ARRAY['pending','waiting','committed','pr-open','merged','rejected','superseded','failed'])[(n / 5) % 8 + 1] AS s) x`,
		`INSERT INTO promotion_transitions (promotion_id, at, state, actor)
		 SELECT id, created_at, state, 'ferry' FROM promotions`,
		`ANALYZE releases`,
		`ANALYZE promotions`,
		`ANALYZE promotion_transitions`,
	} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatalf("loading: %v", err)
		}
	}
	cursor := &store.Cursor{CreatedAt: time.Date(2025, 1, 1, 2, 0, 0, 0, time.UTC), ID: "prm-0120000"}
	for _, tc := range []struct {
		name   string
		f      promotion.PromotionFilter
		sorted bool // read in index order, no Sort node
	}{
		{"none", promotion.PromotionFilter{}, true},
		{"application", promotion.PromotionFilter{Application: "app-7"}, true},
		{"environment", promotion.PromotionFilter{Environment: "prod"}, true},
		{"state", promotion.PromotionFilter{State: promotion.StateFailed}, true},
		{"release", promotion.PromotionFilter{ReleaseID: "rel-17"}, true},
		{"application and environment", promotion.PromotionFilter{Application: "app-7", Environment: "prod"}, true},
		{"environment and state", promotion.PromotionFilter{Environment: "prod", State: promotion.StateMerged}, false},
		{"application, environment and state", promotion.PromotionFilter{Application: "app-7", Environment: "prod", State: promotion.StateMerged}, false},
		{"pull request of an application and environment", promotion.PromotionFilter{Application: "app-7", Environment: "prod", PRNumber: 42}, true},
		// Alone, a number matches the few promotions of PRs with that
		// number in any repository: they may be sorted.
		{"pull request", promotion.PromotionFilter{PRNumber: 42}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []*store.Cursor{nil, cursor} {
				q, args := s.ListPromotionsQuery(tc.f, 50, c)
				p := explain(t, s, q, args)
				t.Logf("cursor %v:\n%s", c != nil, p)
				if strings.Contains(p, "Seq Scan") || !strings.Contains(p, "Index") {
					t.Errorf("plan does not use an index:\n%s", p)
				}
				if tc.sorted && strings.Contains(p, "Sort") {
					t.Errorf("plan sorts:\n%s", p)
				}
			}
		})
	}
	t.Run("claim", func(t *testing.T) {
		now := time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC)
		p := explain(t, s, claimQuery, []any{now, 10, "w", now.Add(time.Minute)})
		t.Logf("%s", p)
		if strings.Contains(p, "Seq Scan on promotions") || strings.Contains(p, "Sort") {
			t.Errorf("claim plan scans or sorts:\n%s", p)
		}
		if !strings.Contains(p, "promotions_due") {
			t.Errorf("claim plan does not read the partial index promotions_due:\n%s", p)
		}
	})
	t.Run("transitions", func(t *testing.T) {
		p := explain(t, s, s.TransitionsQuery(), []any{"prm-0042000"})
		t.Logf("%s", p)
		if strings.Contains(p, "Seq Scan") || strings.Contains(p, "Sort") || !strings.Contains(p, "promotion_transitions_promotion") {
			t.Errorf("transitions plan does not read promotion_transitions_promotion in order:\n%s", p)
		}
	})
	// Last: it vacuums, as autovacuum would after a load, so that the
	// planner knows the index-only read needs no heap.
	t.Run("dora", func(t *testing.T) {
		if _, err := s.pool.Exec(ctx, `VACUUM ANALYZE promotions`); err != nil {
			t.Fatal(err)
		}
		from := time.Date(2025, 1, 1, 0, 10, 0, 0, time.UTC)
		for _, env := range []string{"", "prod"} {
			f := store.DoraFilter{Application: "app-7", Environment: env, From: from, To: from.Add(time.Hour), Bucket: time.Hour}
			q, args := s.DoraQuery(f)
			p := explain(t, s, q, args)
			t.Logf("environment %q:\n%s", env, p)
			if !strings.Contains(p, "Index Only Scan using promotions_deployed_dora") || strings.Contains(p, "releases") {
				t.Errorf("environment %q: plan does not read promotions_deployed_dora alone:\n%s", env, p)
			}
			if strings.Contains(p, "WindowAgg") {
				t.Errorf("environment %q: plan has a window function:\n%s", env, p)
			}
			// Sorting every deployment of the window for the GROUP BY was
			// most of the query (EXPLAIN ANALYZE, 1M promotions): the
			// query has no ORDER BY so the groups go to a hash table.
			if !strings.Contains(p, "HashAggregate") || strings.Contains(p, "Sort") {
				t.Errorf("environment %q: plan does not group in a hash table without sorting:\n%s", env, p)
			}
		}
		p := explain(t, s, s.PreviousDeploymentQuery(), []any{"app-7", "prod", from, from, "rel-0042000"})
		t.Logf("previous deployment:\n%s", p)
		if !strings.Contains(p, "promotions_deployed_next") || strings.Contains(p, "Sort") {
			t.Errorf("the deployment before one is not read from promotions_deployed_next in order:\n%s", p)
		}
		p = explain(t, s, s.MarkRestoredQuery(), []any{"prm-0042000", "prm-0041000"})
		t.Logf("mark restored:\n%s", p)
		if !strings.Contains(p, "promotions_deployed_next") || strings.Contains(p, "Sort") || strings.Contains(p, "Seq Scan") {
			t.Errorf("the deployment after one is not read from promotions_deployed_next in order:\n%s", p)
		}
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
