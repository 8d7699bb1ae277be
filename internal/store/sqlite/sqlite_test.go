package sqlite_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ferryhq/ferry/internal/store/sqlite"
	"github.com/ferryhq/ferry/internal/store/storetest"
)

// opener returns the suite's open function: one database file per test, in
// a directory that does not exist yet (Open must create it).
func opener() func(t *testing.T) storetest.Store {
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	return func(t *testing.T) storetest.Store {
		t.Helper()
		mu.Lock()
		path, ok := paths[t]
		if !ok {
			path = filepath.Join(t.TempDir(), "data", "ferry.db")
			paths[t] = path
		}
		mu.Unlock()
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open(%q) = %v", path, err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestStore(t *testing.T) {
	storetest.Run(t, opener())
}
