package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/ferryhq/ferry/api"
)

// readManifest reads a build manifest: {"builds": [...]} or a bare array
// of builds.
func readManifest(path string) ([]api.BuildRequest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m struct {
		Builds []api.BuildRequest `json:"builds"`
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		err = json.Unmarshal(t, &m.Builds)
	} else {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", path, err)
	}
	if len(m.Builds) == 0 {
		return nil, fmt.Errorf("manifest %s lists no builds", path)
	}
	return m.Builds, nil
}

// notifySet reports a release set from a build manifest (ferry notify --set
// NAME --from FILE); it returns notify's exit status.
func notifySet(o notifyOptions, stdout, stderr io.Writer) int {
	if o.set == "" || o.from == "" {
		fmt.Fprintln(stderr, "ferry notify: --set and --from go together")
		return 2
	}
	builds, err := readManifest(o.from)
	if err != nil {
		fmt.Fprintf(stderr, "ferry notify: %v\n", err)
		return 2
	}
	for i := range builds {
		fillFromCI(&builds[i])
	}
	if o.idemKey == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		o.idemKey = hex.EncodeToString(b[:])
	}
	c := newClient(o.cf.server, o.cf.token, time.Minute)
	if o.caCert != "" {
		c.err = c.trustCA(o.caCert)
	}
	if c.err != nil {
		fmt.Fprintf(stderr, "ferry notify: %v\n", c.err)
		return 2
	}
	req := api.SetReleaseRequest{Set: o.set, Builds: builds}
	if o.req.DryRun {
		return notifySetDryRun(c, req, o.out.json(), stdout, stderr)
	}
	var sr api.SetRelease
	path := "/api/v1/release-sets"
	if o.wait > 0 {
		path += "?wait=" + o.wait.String() // the server waits: a CI token need not read
		c.http.Timeout = o.wait + time.Minute
	}
	for attempt := 0; ; attempt++ {
		_, err = c.do(context.Background(), http.MethodPost, path, req, map[string]string{"Idempotency-Key": o.idemKey}, &sr)
		if err == nil || exitCode(err) != 3 || attempt >= o.retries {
			break
		}
		d := time.Duration(1<<attempt) * time.Second
		fmt.Fprintf(stderr, "ferry notify: %v; retrying in %s\n", err, d)
		time.Sleep(d)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ferry notify: %v\n", err)
		var pe *problemError
		if errors.As(err, &pe) {
			for _, it := range pe.problem.Errors {
				fmt.Fprintf(stderr, "  %s: %s: %s\n", it.Name, it.Code, it.Detail)
			}
		}
		return exitCode(err)
	}
	code := 0
	if o.wait > 0 {
		code = setOutcome(sr.Promotions)
	}
	if o.out.json() {
		if c := writeJSON(stdout, sr); c != 0 {
			return c
		}
		return code
	}
	fmt.Fprintf(stdout, "accepted: release set %s (%s), %d members\n", sr.Set, sr.ID, len(sr.Members))
	for _, m := range sr.Members {
		ref := m.ReleaseID
		if m.Release != nil {
			ref = m.Release.Reference + " (release " + m.ReleaseID + ")"
		}
		fmt.Fprintf(stdout, "  %s: %s\n", m.Application, ref)
	}
	printSetPromotions(stdout, sr.Promotions)
	return code
}

// setOutcome is notify's status for a set's first promotions after a wait:
// 1 when one failed, 4 when one is still under way, else 0.
func setOutcome(ps []api.Promotion) int {
	code := 0
	for _, p := range ps {
		switch p.State {
		case "committed", "merged":
		case "failed", "rejected", "superseded":
			return 1
		default:
			code = 4
		}
	}
	return code
}

// printSetPromotions prints one line per promotion of a set release.
func printSetPromotions(w io.Writer, ps []api.Promotion) {
	for _, p := range ps {
		line := fmt.Sprintf("  %s → %s: %s", p.Application, p.Environment, p.State)
		switch {
		case p.Noop && (p.State == "committed" || p.State == "merged"):
			line += " (no change: already there)"
		case p.CommitSHA != "" && (p.State == "committed" || p.State == "merged"):
			line += " " + p.CommitSHA
		case p.PRURL != "":
			line += " " + p.PRURL
		}
		if p.Reason != "" {
			line += ": " + p.Reason
		}
		fmt.Fprintln(w, line)
	}
}
