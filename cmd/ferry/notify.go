package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/server"
)

// runNotify reports a build, for CI. Exit status: 0 accepted (and, with
// --wait, committed); 1 refused, or the promotion failed; 2 usage; 3 Ferry
// unreachable or unavailable after retries; 4 --wait ended before the commit.
func runNotify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("notify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var req api.BuildRequest
	serverURL := fs.String("server", "", "Ferry's URL (default $FERRY_SERVER or http://127.0.0.1:8080)")
	token := fs.String("token", "", "API token with builds:write (default $FERRY_TOKEN)")
	fs.StringVar(&req.Application, "application", "", "application name (required)")
	fs.StringVar(&req.Image, "image", "", "image repository, without tag (required)")
	fs.StringVar(&req.Tag, "tag", "", "image tag (required)")
	fs.StringVar(&req.Digest, "digest", "", "image digest; Ferry checks the registry serves it for the tag")
	fs.StringVar(&req.SourceRepo, "source-repo", "", "source repository URL (default from the CI's environment)")
	fs.StringVar(&req.SourceCommit, "source-commit", "", "source commit (default from the CI's environment)")
	fs.StringVar(&req.SourceBranch, "source-branch", "", "source branch (default from the CI's environment)")
	fs.StringVar(&req.CIRunURL, "ci-run-url", "", "URL of this CI run (default from the CI's environment)")
	wait := fs.Duration("wait", 0, "wait up to this long for the commit in the first environment, e.g. 2m")
	retries := fs.Int("retries", 5, "retries while Ferry is unreachable or unavailable")
	idemKey := fs.String("idempotency-key", "", "Idempotency-Key header, or the webhook-id when signing (default: a random key reused across retries)")
	whSecret := fs.String("webhook-secret", "", "sign the report with this whsec_… secret instead of sending a token (default $FERRY_WEBHOOK_SECRET)")
	sender := fs.String("sender", "", "the webhook sender name configured on the server (with --webhook-secret)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if req.Application == "" || req.Image == "" || req.Tag == "" {
		fmt.Fprintln(stderr, "ferry notify: --application, --image and --tag are required")
		return 2
	}
	if *whSecret == "" {
		*whSecret = os.Getenv("FERRY_WEBHOOK_SECRET")
	}
	var whKey []byte
	if *whSecret != "" {
		k, err := config.WebhookKey(*whSecret)
		if err != nil || *sender == "" {
			fmt.Fprintln(stderr, "ferry notify: signing needs --sender and a whsec_… secret of 24 to 64 bytes")
			return 2
		}
		whKey = k
	}
	fillFromCI(&req)
	if *idemKey == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		*idemKey = hex.EncodeToString(b[:])
	}
	c := newClient(*serverURL, *token, *wait+time.Minute)
	path := "/api/v1/builds"
	if whKey != nil {
		path = "/api/v1/hooks/" + url.PathEscape(*sender) + "/builds"
		c.token = ""
	}
	body, err := json.Marshal(req)
	if err != nil {
		fmt.Fprintf(stderr, "ferry notify: %v\n", err)
		return 2
	}
	if *wait > 0 {
		path += "?wait=" + wait.String()
	}
	var resp api.BuildResponse
	for attempt := 0; ; attempt++ {
		headers := map[string]string{"Idempotency-Key": *idemKey}
		if whKey != nil {
			// Signed afresh on each attempt: the delivery id stays, the timestamp moves.
			ts := time.Now().Unix()
			headers = map[string]string{
				server.HeaderWebhookID:        *idemKey,
				server.HeaderWebhookTimestamp: strconv.FormatInt(ts, 10),
				server.HeaderWebhookSignature: server.SignWebhook(whKey, *idemKey, ts, body),
			}
		}
		_, err = c.do(context.Background(), http.MethodPost, path, json.RawMessage(body), headers, &resp)
		if err == nil || exitCode(err) == 1 || attempt >= *retries {
			break
		}
		d := time.Duration(1<<attempt) * time.Second
		var pe *problemError
		if errors.As(err, &pe) {
			if s, perr := strconv.Atoi(pe.retryAfter); perr == nil && s > 0 {
				d = time.Duration(s) * time.Second
			}
		}
		fmt.Fprintf(stderr, "ferry notify: %v; retrying in %s\n", err, d)
		time.Sleep(d)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ferry notify: %v\n", err)
		return exitCode(err)
	}
	r, p := resp.Release, resp.Promotion
	verb := "accepted"
	if resp.Duplicate {
		verb = "already reported"
	}
	fmt.Fprintf(stdout, "%s: %s %s (release %s)\n", verb, r.Application, r.Reference, r.ID)
	switch {
	case p.State == "committed" && p.Noop:
		fmt.Fprintf(stdout, "%s: already at this release (branch head %s), no commit made\n", p.Environment, p.CommitSHA)
	case p.State == "committed" || p.State == "merged":
		fmt.Fprintf(stdout, "%s: committed %s\n", p.Environment, p.CommitSHA)
	case p.State == "failed" || p.State == "rejected":
		fmt.Fprintf(stdout, "%s: %s: %s\n", p.Environment, p.State, p.Reason)
		return 1
	default:
		fmt.Fprintf(stdout, "%s: %s (promotion %s)", p.Environment, p.State, p.ID)
		if p.Reason != "" {
			fmt.Fprintf(stdout, ": %s", p.Reason)
		}
		fmt.Fprintln(stdout)
		if *wait > 0 {
			return 4
		}
	}
	return 0
}

// fillFromCI fills unset source fields from GitHub Actions' or GitLab CI's
// environment.
func fillFromCI(r *api.BuildRequest) {
	env := os.Getenv
	set := func(dst *string, v string) {
		if *dst == "" && v != "" {
			*dst = v
		}
	}
	if env("GITHUB_ACTIONS") == "true" {
		server, repo := env("GITHUB_SERVER_URL"), env("GITHUB_REPOSITORY")
		set(&r.SourceCommit, env("GITHUB_SHA"))
		set(&r.SourceBranch, env("GITHUB_REF_NAME"))
		if server != "" && repo != "" {
			set(&r.SourceRepo, server+"/"+repo)
			if id := env("GITHUB_RUN_ID"); id != "" {
				set(&r.CIRunURL, server+"/"+repo+"/actions/runs/"+id)
			}
		}
	}
	if env("GITLAB_CI") == "true" {
		set(&r.SourceCommit, env("CI_COMMIT_SHA"))
		set(&r.SourceBranch, env("CI_COMMIT_REF_NAME"))
		set(&r.SourceRepo, env("CI_PROJECT_URL"))
		set(&r.CIRunURL, env("CI_PIPELINE_URL"))
	}
}
