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

	check := func(t *testing.T, q string, args []any, wantIndex string) {
		t.Helper()
		p := plan(t, s, q, args)
		t.Logf("%s\n%s", q, p)
		if strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("plan sorts:\n%s", p)
		}
		if !strings.Contains(p, "USING INDEX "+wantIndex+" ") && !strings.HasSuffix(p, "USING INDEX "+wantIndex) {
			t.Errorf("plan does not use index %s:\n%s", wantIndex, p)
		}
	}
	for _, tc := range []struct {
		name      string
		f         promotion.PromotionFilter
		wantIndex string
	}{
		{"none", promotion.PromotionFilter{}, "promotions_created"},
		{"application", promotion.PromotionFilter{Application: "a"}, "promotions_app_created"},
		{"environment", promotion.PromotionFilter{Environment: "e"}, "promotions_env_created"},
		{"state", promotion.PromotionFilter{State: promotion.StateFailed}, "promotions_state_created"},
		{"release", promotion.PromotionFilter{ReleaseID: "r"}, "promotions_release_created"},
		{"application and environment", promotion.PromotionFilter{Application: "a", Environment: "e"}, "promotions_app_env_created"},
		{"application, environment and state", promotion.PromotionFilter{Application: "a", Environment: "e", State: promotion.StatePending}, "promotions_app_env_created"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []*store.Cursor{nil, cursor} {
				q, args := listPromotionsQuery(tc.f, 50, c)
				check(t, q, args, tc.wantIndex)
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
				q, args := listReleasesQuery(tc.f, 50, c)
				check(t, q, args, tc.wantIndex)
			}
		})
	}
	t.Run("claim", func(t *testing.T) {
		check(t, claimQuery, []any{int64(1), int64(1), 10}, "promotions_state_created")
	})
}
