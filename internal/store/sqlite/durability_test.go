package sqlite

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

// crashEnv makes the test binary act as a process that records a release
// and is killed before it can close the store.
const crashEnv = "FERRY_SQLITE_CRASH_PATH"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		s, err := Open(context.Background(), path)
		if err == nil {
			r := promotion.Release{ID: "rel-1", Application: "payments", Repository: "r", Tag: "v1", Digest: "sha256:1"}
			_, _, err = s.CreateRelease(context.Background(), r, nil)
		}
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(2)
		}
		os.Stdout.WriteString("recorded\n")
		time.Sleep(time.Minute) // killed here, store open
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// TestCrashKeepsCommittedWrites kills (SIGKILL) a process right after
// CreateRelease returned, without Close, and finds the release on reopening.
func TestCrashKeepsCommittedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ferry.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("recorded\n"))
	if _, err := out.Read(buf); err != nil || string(buf) != "recorded\n" {
		cmd.Process.Kill()
		t.Fatalf("child said %q, %v", buf, err)
	}
	cmd.Process.Kill()
	cmd.Wait()

	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopening after crash: %v", err)
	}
	defer s.Close()
	if _, err := s.GetRelease(context.Background(), "rel-1"); err != nil {
		t.Errorf("GetRelease after crash = %v, want the release", err)
	}
}

// TestReadersDoNotWaitForWriter holds a write transaction open and reads
// meanwhile: in WAL mode the reader sees the last commit at once.
func TestReadersDoNotWaitForWriter(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO releases (id, application, repository, tag, digest, created_at)
		VALUES ('rel-1', 'a', 'r', 't', 'd', 0)`); err != nil {
		t.Fatal(err)
	}

	rctx, cancel := context.WithTimeout(ctx, time.Second) // well under busy_timeout
	defer cancel()
	start := time.Now()
	_, err = s.GetRelease(rctx, "rel-1")
	if !errors.Is(err, derrors.ErrNotFound) {
		t.Errorf("GetRelease during a write = %v, want not found (uncommitted)", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("read took %s while a write was open", d)
	}
	if err := s.Ping(rctx); err != nil {
		t.Errorf("Ping during a write = %v", err)
	}
}
