package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/server"
)

func hexSHA(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// configWithToken is a valid server config whose one token has value tok;
// tokens of the same length give files of the same size.
func configWithToken(tok string) string {
	return "repositories:\n  - url: /srv/git/envs.git\ntokens:\n  - name: ci\n    sha256: " + hexSHA(tok) + "\n    scopes: [read]\n"
}

func TestReloadSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ferry-server.yaml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(configWithToken("token-a"))
	cfg, err := config.LoadServer(path)
	if err != nil {
		t.Fatal(err)
	}
	tokens, hooks := server.NewTokens(cfg.Tokens), server.NewHooks(cfg.Webhooks)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); reloadSecrets(ctx, path, 10*time.Millisecond, tokens, hooks, zap.NewNop()) }()
	defer func() { cancel(); <-done }()

	wantToken := func(what, value string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, ok := tokens.Lookup(value); ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: token %q not in use after 5s", what, value)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wantToken("start", "token-a")

	// The file changes (a later modification time): the new token replaces the old.
	write(configWithToken("token-b"))
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	wantToken("file changed", "token-b")
	if _, ok := tokens.Lookup("token-a"); ok {
		t.Error("the old token still works")
	}

	// A broken file keeps what is in use.
	write(configWithToken("token-b") + "tokens: [oops\n")
	time.Sleep(100 * time.Millisecond)
	if _, ok := tokens.Lookup("token-b"); !ok {
		t.Fatal("a broken file dropped the tokens in use")
	}

	// SIGHUP re-reads even when the file looks unchanged (same size and time).
	write(configWithToken("token-b"))
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the poll has seen this stamp
	fi, _ := os.Stat(path)
	// Written aside and renamed over, so that no poll sees a stamp in between.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(configWithToken("token-c")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, ok := tokens.Lookup("token-c"); ok {
		t.Fatal("reloaded without a change of stamp or a SIGHUP; the test proves nothing")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	wantToken("SIGHUP", "token-c")
}
