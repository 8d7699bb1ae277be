// Package ci tests the scripts in .ci/ that install and start what the tests
// need: they run on developers' machines too, so they must touch nothing they
// did not start themselves.
package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stub writes an executable shell script named name into dir.
func stub(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestDepsLeavesOthersRegistryRunning: a docker-registry that someone else
// started (here a decoy with the very command line Debian's service uses)
// is still running after .ci/deps.sh, which used to stop it with `pkill -f`.
func TestDepsLeavesOthersRegistryRunning(t *testing.T) {
	// Everything deps.sh would otherwise install or start is present and up:
	// the script has nothing to do but must not touch the decoy.
	bin := t.TempDir()
	stub(t, bin, "docker-registry", "exit 0")
	stub(t, bin, "make", "exit 0")
	stub(t, bin, "pg_ctlcluster", "exit 0")
	stub(t, bin, "pg_isready", "exit 0")
	stub(t, bin, "psql", "echo 1")
	stub(t, bin, "apt-get", "echo apt-get must not run >&2; exit 1")

	decoy := exec.Command("bash", "-c", `exec -a "docker-registry serve /etc/docker/registry/config.yml" sleep 3600`)
	if err := decoy.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = decoy.Wait(); close(exited) }()
	t.Cleanup(func() { _ = decoy.Process.Kill(); <-exited })
	time.Sleep(200 * time.Millisecond) // let bash exec sleep under its new name

	// deps.sh also builds Gitea into a cache found through GOCACHE, which
	// follows HOME: keep the real one, so that the cached build is found
	// instead of made again under the temporary HOME.
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "../../.ci/deps.sh")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "HOME="+t.TempDir(),
		"GOCACHE="+strings.TrimSpace(string(gocache)))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf(".ci/deps.sh: %v\n%s", err, out)
	}
	select {
	case <-exited:
		t.Fatalf("the registry .ci/deps.sh did not start is gone: %v", decoy.ProcessState)
	case <-time.After(200 * time.Millisecond):
	}
}
