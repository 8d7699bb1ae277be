package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/ferryhq/ferry/internal/store/postgres"
	"github.com/ferryhq/ferry/internal/store/storetest"
)

// opener returns the suite's open function: one schema per test.
func opener(dsn string) func(t *testing.T) storetest.Store {
	var mu sync.Mutex
	dsns := map[*testing.T]string{}
	return func(t *testing.T) storetest.Store {
		t.Helper()
		mu.Lock()
		d, ok := dsns[t]
		if !ok {
			d = postgres.FreshSchema(t, dsn)
			dsns[t] = d
		}
		mu.Unlock()
		s, err := postgres.Open(context.Background(), d)
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestStore(t *testing.T) {
	storetest.Run(t, opener(postgres.DSNOrSkip(t)))
}

// TestOpenConcurrently starts several replicas on one empty schema at once:
// the advisory lock lets exactly one apply each migration, and all of them
// open.
func TestOpenConcurrently(t *testing.T) {
	dsn := postgres.FreshSchema(t, postgres.DSNOrSkip(t))
	var wg sync.WaitGroup
	errs := make([]error, 6)
	stores := make([]*postgres.Store, len(errs))
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(context.Background(), dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: Open() = %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	if err := stores[0].Ping(context.Background()); err != nil {
		t.Errorf("Ping() = %v", err)
	}
	n, err := postgres.AppliedMigrations(context.Background(), stores[0])
	if err != nil || n != postgres.MigrationCount() {
		t.Errorf("applied migrations = %d, %v; want %d", n, err, postgres.MigrationCount())
	}
}
