package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/stdwebhook"
)

// runNotify runs "ferry notify" with args (the flags after "notify").
func runNotify(args []string, stdout, stderr io.Writer) int {
	return run(append([]string{"notify"}, args...), stdout, stderr)
}

// notifyOptions are the flags of "ferry notify".
type notifyOptions struct {
	cf                                clientFlags
	out                               outputFlag
	req                               api.BuildRequest
	wait                              time.Duration
	retries                           int
	idemKey, whSecret, sender, caCert string
	committedAt                       string
	// set and from report a whole release set from a build manifest.
	set, from string
}

func newNotifyCmd(stdout, stderr io.Writer) *cobra.Command {
	var o notifyOptions
	cmd := &cobra.Command{
		Use:   "notify --application APP --image REPO --tag TAG [--digest D] [--wait 2m]",
		Short: "Report a build (for CI)",
		Long: `Report a build to Ferry, for CI. Source repository, commit, branch and CI run
URL default to GitHub Actions' or GitLab CI's variables.

Exit status: 0 accepted (and, with --wait, committed); 1 refused, or the
promotion failed; 2 usage; 3 Ferry unreachable or unavailable after
retries; 4 --wait ended before the commit.`,
		Example: `  ferry notify --application payments --image registry.example.com/acme/payments --tag 1.4.2 --wait 2m
  ferry notify --set shop --from build-manifest.json --dry-run
  ferry notify --set shop --from build-manifest.json --wait 5m`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return exit(notify(o, stdout, stderr)) },
	}
	f := cmd.Flags()
	req := &o.req
	f.StringVar(&o.set, "set", "", "report a whole release set (with --from): every member verified, one failure refuses all")
	f.StringVar(&o.from, "from", "", "JSON build manifest of the set: {\"builds\": [{\"application\", \"image\", \"tag\", \"digest\"}, …]}")
	f.StringVar(&req.Application, "application", "", "application name (required)")
	f.StringVar(&req.Image, "image", "", "image repository, without tag (required)")
	f.StringVar(&req.Tag, "tag", "", "image tag (required)")
	f.StringVar(&req.Digest, "digest", "", "image digest; Ferry checks the registry serves it for the tag")
	f.BoolVar(&req.DryRun, "dry-run", false, "verify and show the diff, commit message and gates of the first promotion (with --set: the set's one commit); record nothing")
	f.StringVar(&req.SourceRepo, "source-repo", "", "source repository URL (default from the CI's environment)")
	f.StringVar(&req.SourceCommit, "source-commit", "", "source commit (default from the CI's environment)")
	f.StringVar(&req.SourceBranch, "source-branch", "", "source branch (default from the CI's environment)")
	f.StringVar(&req.CIRunURL, "ci-run-url", "", "URL of this CI run (default from the CI's environment)")
	f.StringVar(&o.committedAt, "source-committed-at", "", `when the source commit was made, RFC 3339, e.g. "$(git show -s --format=%cI HEAD)": DORA lead time starts there (default: at the report)`)
	f.StringVar(&req.Fixes, "fixes", "", "mark this build a fix-forward of that release id (DORA: the deployment of that release it replaces counts as a failed change)")
	f.DurationVar(&o.wait, "wait", 0, "wait up to this long for the commit in the first environment, e.g. 2m")
	f.IntVar(&o.retries, "retries", 5, "retries while Ferry is unreachable or unavailable")
	f.StringVar(&o.idemKey, "idempotency-key", "", "Idempotency-Key header, or the webhook-id when signing (default: a random key reused across retries)")
	f.StringVar(&o.whSecret, "webhook-secret", "", "sign the report with this whsec_… secret instead of sending a token (default $FERRY_WEBHOOK_SECRET)")
	f.StringVar(&o.sender, "sender", "", "the webhook sender name configured on the server (with --webhook-secret)")
	f.StringVar(&o.caCert, "cacert", "", "PEM file of CA certificates to trust for Ferry's HTTPS, besides the system's (default $FERRY_CACERT)")
	o.cf.register(cmd, "builds:write")
	o.out.register(cmd, false)
	_ = cmd.RegisterFlagCompletionFunc("application", completeApplications(&o.cf))
	_ = cmd.MarkFlagFilename("cacert", "pem", "crt")
	return cmd
}

// notify reports a build; it returns the exit status documented on the
// command.
func notify(o notifyOptions, stdout, stderr io.Writer) int {
	req, wait, retries, idemKey, whSecret, sender, caCert := o.req, &o.wait, &o.retries, &o.idemKey, &o.whSecret, &o.sender, &o.caCert
	serverURL, token := &o.cf.server, &o.cf.token
	if o.set != "" || o.from != "" {
		return notifySet(o, stdout, stderr)
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
		k, err := stdwebhook.ParseSecret(*whSecret)
		if err != nil || *sender == "" {
			fmt.Fprintln(stderr, "ferry notify: signing needs --sender and a whsec_… secret of 24 to 64 bytes")
			return 2
		}
		whKey = k
	}
	if o.committedAt != "" {
		t, err := time.Parse(time.RFC3339, o.committedAt)
		if err != nil {
			fmt.Fprintf(stderr, "ferry notify: --source-committed-at %q is not an RFC 3339 time such as 2026-03-02T09:12:44Z\n", o.committedAt)
			return 2
		}
		req.SourceCommittedAt = &t
	}
	fillFromCI(&req)
	if *idemKey == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		*idemKey = hex.EncodeToString(b[:])
	}
	c := newClient(*serverURL, *token, *wait+time.Minute)
	if *caCert != "" {
		c.err = c.trustCA(*caCert)
	}
	if c.err != nil {
		fmt.Fprintf(stderr, "ferry notify: %v\n", c.err)
		return 2
	}
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
	if req.DryRun {
		headers := map[string]string{}
		if whKey != nil {
			headers = stdwebhook.Headers(whKey, *idemKey, time.Now().Unix(), body)
		}
		return notifyDryRun(c, path, body, headers, stdout, stderr)
	}
	if *wait > 0 {
		path += "?wait=" + wait.String()
	}
	var resp api.BuildResponse
	for attempt := 0; ; attempt++ {
		headers := map[string]string{"Idempotency-Key": *idemKey}
		if whKey != nil {
			// Signed afresh on each attempt: the delivery id stays, the timestamp moves.
			headers = stdwebhook.Headers(whKey, *idemKey, time.Now().Unix(), body)
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
	if o.out.json() {
		if code := writeJSON(stdout, resp); code != 0 {
			return code
		}
		stdout = io.Discard // the exit status still follows the promotion
	}
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
// environment. URLs taken from there lose any credentials they carry
// (GitLab's CI_REPOSITORY_URL holds the job token): Ferry refuses URLs with
// credentials, since they would be written into Git for good.
func fillFromCI(r *api.BuildRequest) {
	env := func(k string) string { return withoutCredentials(os.Getenv(k)) }
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
		set(&r.SourceRepo, env("CI_REPOSITORY_URL"))
		set(&r.CIRunURL, env("CI_PIPELINE_URL"))
	}
}

// withoutCredentials returns an http(s) URL without its userinfo, and any
// other value as it is.
func withoutCredentials(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.User == nil || (u.Scheme != "https" && u.Scheme != "http") {
		return v
	}
	u.User = nil
	return u.String()
}
