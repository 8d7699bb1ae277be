package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// fullEnv sets the environment variables server-full.yaml reads.
func fullEnv(t *testing.T) {
	t.Setenv("FERRY_TEST_DSN", "postgres://ferry:dsn-password-value@db:5432/ferry")
	t.Setenv("FERRY_TEST_GITLAB_REGISTRY_TOKEN", "gitlab-registry-token-value")
	t.Setenv("FERRY_TEST_GIT_TOKEN", "git-token-value")
	t.Setenv("FERRY_TEST_SSH_PASSPHRASE", "ssh-passphrase-value")
}

// fullSecrets are every secret value server-full.yaml holds.
var fullSecrets = []string{
	"dsn-password-value", "gitlab-registry-token-value", "git-token-value", "ssh-passphrase-value",
	"ghcr-password-value", "signing-key-value", "ssh-key-value", "inline-passphrase-value", "github-api-token-value", "webhook-secret-value",
}

func d(s string) Duration {
	v, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return Duration(v)
}

func TestLoadServerFull(t *testing.T) {
	fullEnv(t)
	c, err := LoadServer("testdata/server-full.yaml")
	if err != nil {
		t.Fatalf("LoadServer: %v", err)
	}
	zero := d("0s")
	want := &Server{
		Listen:  "0.0.0.0:9090",
		DataDir: "/var/lib/ferry",
		Store:   Store{Driver: "postgres", DSN: Secret{"postgres://ferry:dsn-password-value@db:5432/ferry", "env:FERRY_TEST_DSN"}},
		Registries: []Registry{
			{Host: "ghcr.io", Username: "acme-bot", Password: Secret{"ghcr-password-value", "file:testdata/ghcr-password"},
				AuthHosts: []string{"ghcr-auth.example.com"}},
			{Host: "registry.gitlab.com", Token: Secret{"gitlab-registry-token-value", "env:FERRY_TEST_GITLAB_REGISTRY_TOKEN"},
				AuthHosts: []string{"gitlab.com"}},
			{Host: "127.0.0.1:5000", Insecure: true},
		},
		Repositories: []Repository{
			{
				Name: "envs", URL: "https://github.com/acme/envs.git", Branch: "production", PipelineFile: "deploy/ferry.yaml",
				Auth:        GitAuth{Username: "ferry-bot", Token: Secret{"git-token-value", "env:FERRY_TEST_GIT_TOKEN"}},
				Author:      Author{Name: "Ferry Bot", Email: "ferry@acme.example.com"},
				SigningKey:  Secret{"signing-key-value", "file:testdata/signing-key"},
				SigningPass: Secret{"inline-passphrase-value", "inline"},
				Timeout:     d("45s"),
				Provider: Provider{Kind: ProviderGitHub, URL: "https://api.github.com", Project: "acme/envs",
					Token: Secret{"github-api-token-value", "inline"}, WebhookSecret: Secret{"webhook-secret-value", "inline"},
					RequestsPerMinute: 60},
			},
			{
				// Name, branch, pipeline file, author and timeout defaulted.
				Name: "platform-envs", URL: "git@github.com:acme/Platform-Envs.git", Branch: "main", PipelineFile: "ferry.yaml",
				Auth: GitAuth{SSHKey: Secret{"ssh-key-value", "file:testdata/ssh-key"},
					SSHKeyPassphrase: Secret{"ssh-passphrase-value", "env:FERRY_TEST_SSH_PASSPHRASE"}, KnownHosts: "/etc/ferry/known_hosts"},
				Author:   Author{Name: "Ferry", Email: "ferry@localhost"},
				Timeout:  d("30s"),
				Provider: Provider{Kind: ProviderBuiltin, Project: "acme/Platform-Envs", RequestsPerMinute: 60},
			},
		},
		Tokens: []Token{
			{Name: "ci-payments", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				Scopes: []string{ScopeBuildsWrite}, Applications: []string{"payments", "checkout"}},
			{Name: "release-managers", SHA256: "60303AE22B998861BCE3B28F33EEC1BE758A213C86C93C076DBE9F558C11C752",
				Scopes: []string{ScopePromotionsWrite, ScopeRead}},
		},
		Worker: Worker{BatchWindow: &zero, PollInterval: d("5s"), Lease: d("3m"), MaxBatch: 50,
			RetryMax: d("10m"), PipelineRefresh: d("1m"), ReconcileInterval: d("1m")},
		Log:    Log{Level: "debug", Format: "console"},
		Limits: Limits{MaxBodyBytes: 65536, RegistryTimeout: d("20s"), IdempotencyTTL: d("24h"), RequestsPerMinute: 600, Burst: 600},
	}
	if !reflect.DeepEqual(c, want) {
		got, _ := json.MarshalIndent(c, "", "  ")
		exp, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("LoadServer =\n%s\nwant\n%s", got, exp)
		// Secrets print as [redacted]: compare them one by one.
		for i, r := range c.Repositories {
			t.Logf("repositories[%d] token=%q sshKey=%q signingKey=%q", i, r.Auth.Token.Value(), r.Auth.SSHKey.Value(), r.SigningKey.Value())
		}
	}
	// Zero is kept: it means "write as soon as the worker is free".
	if c.Worker.BatchWindow.D() != 0 {
		t.Errorf("batchWindow 0s became %v", c.Worker.BatchWindow.D())
	}
}

func TestParseServerDefaults(t *testing.T) {
	c, err := ParseServer(strings.NewReader("repositories:\n  - url: /srv/git/Envs.git\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.DataDir != "./data" || c.Store.Driver != "sqlite" ||
		c.Store.DSN.Value() != filepath.Join("data", "ferry.db") {
		t.Errorf("server defaults: listen %q dataDir %q store %q %q", c.Listen, c.DataDir, c.Store.Driver, c.Store.DSN.Value())
	}
	r := c.Repositories[0]
	if r.Name != "envs" || r.Branch != "main" || r.PipelineFile != "ferry.yaml" || r.Author != (Author{"Ferry", "ferry@localhost"}) ||
		r.Timeout.D() != 30*time.Second || r.Auth.Username != "" {
		t.Errorf("repository defaults: %+v", r)
	}
	w := c.Worker
	if w.BatchWindow == nil || w.BatchWindow.D() != time.Second || w.PollInterval.D() != 2*time.Second || w.Lease.D() != 2*time.Minute ||
		w.MaxBatch != 100 || w.RetryMax.D() != 5*time.Minute || w.PipelineRefresh.D() != 30*time.Second {
		t.Errorf("worker defaults: %+v (batchWindow %v)", w, w.BatchWindow)
	}
	if c.Log != (Log{"info", "json"}) || c.Limits.MaxBodyBytes != 1<<20 || c.Limits.RegistryTimeout.D() != 10*time.Second {
		t.Errorf("log/limits defaults: %+v %+v", c.Log, c.Limits)
	}

	c, err = ParseServer(strings.NewReader("repositories:\n  - url: https://git.example.com/acme/envs.git\n    auth: {token: t0k3n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Repositories[0].Auth.Username; got != "x-access-token" {
		t.Errorf("username with a token = %q, want x-access-token", got)
	}
}

func TestRepoNameFromURL(t *testing.T) {
	for url, want := range map[string]string{
		"https://github.com/acme/envs.git":      "envs",
		"https://github.com/acme/envs/":         "envs",
		"git@github.com:acme/Platform-Envs.git": "platform-envs",
		"git@github.com:envs.git":               "envs",
		"ssh://git@host:2222/acme/envs.git":     "envs",
		"file:///srv/git/env.git":               "env",
		"/srv/git/env":                          "env",
	} {
		if got := repoNameFromURL(url); got != want {
			t.Errorf("repoNameFromURL(%q) = %q, want %q", url, got, want)
		}
	}
}

// TestParseServerRepositoryURLs: every URL form the README lists is taken,
// the SSH login user of ssh://git@host/… included.
func TestParseServerRepositoryURLs(t *testing.T) {
	for _, u := range []string{
		"https://github.com/acme/envs.git",
		"ssh://git@github.com/acme/envs.git",
		"ssh://git@host:2222/acme/envs.git",
		"git@github.com:acme/envs.git",
		"file:///srv/git/envs.git",
		"/srv/git/envs.git",
	} {
		if _, err := ParseServer(strings.NewReader("repositories:\n  - url: " + u + "\n")); err != nil {
			t.Errorf("url %s: %v", u, err)
		}
	}
}

// valid is a minimal valid config the invalid cases start from.
const valid = `
repositories:
  - url: https://git.example.com/acme/envs.git
`

const hashA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestParseServerInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string // each in the error
	}{
		{"no repositories", "listen: 127.0.0.1:1\n", []string{"repositories: at least one environment repository is required"}},
		{"repository without url", "repositories:\n  - name: envs\n", []string{"repositories[0].url: required"}},
		{"second repository without url", valid + "  - name: other\n", []string{"repositories[1].url: required"}},
		{"repository bad name", "repositories:\n  - url: /x/y\n    name: Envs_1\n", []string{`repositories[0].name: "Envs_1" must be lowercase`}},
		{"repository name twice", valid + "  - url: https://git.example.com/other/envs.git\n", []string{`repositories[1].name: "envs" is used twice`}},
		{"token and ssh key", valid + "    auth: {token: a, sshKey: b}\n", []string{"repositories[0].auth: set token or sshKey, not both"}},
		{"token over plain http", "repositories:\n  - url: http://git.example.com/envs.git\n    auth: {token: a}\n",
			[]string{"repositories[0].auth.token: refusing to send a token over plain http to http://git.example.com/envs.git"}},
		{"credentials in url", "repositories:\n  - url: https://bot:hunter2@git.example.com/envs.git\n",
			[]string{"repositories[0].url: must not embed credentials"}},
		{"pipeline file outside", valid + "    pipelineFile: ../ferry.yaml\n", []string{`repositories[0].pipelineFile: "../ferry.yaml" must be a path inside`}},
		{"pipeline file absolute", valid + "    pipelineFile: /etc/ferry.yaml\n", []string{`repositories[0].pipelineFile: "/etc/ferry.yaml"`}},
		{"bad listen", valid + "listen: 8080\n", []string{`listen: "8080" is not host:port`}},
		{"bad store driver", valid + "store: {driver: mysql}\n", []string{`store.driver: "mysql" is not sqlite or postgres`}},
		{"postgres without dsn", valid + "store: {driver: postgres}\n", []string{"store.dsn: required for driver postgres"}},
		{"registry without host", valid + "registries:\n  - insecure: true\n", []string{"registries[0].host: required"}},
		{"registry host with scheme", valid + "registries:\n  - host: https://ghcr.io\n", []string{`registries[0].host: "https://ghcr.io" must be a host[:port] without a scheme`}},
		{"registry host uppercase", valid + "registries:\n  - host: GHCR.io\n", []string{`registries[0].host: "GHCR.io" is not a lowercase host[:port]`}},
		{"registry host path", valid + "registries:\n  - host: ghcr.io/acme\n", []string{`registries[0].host: "ghcr.io/acme"`}},
		{"registry listed twice", valid + "registries:\n  - host: ghcr.io\n  - host: ghcr.io\n", []string{`registries[1].host: "ghcr.io" is listed twice`}},
		{"registry password without username", valid + "registries:\n  - host: ghcr.io\n    password: p\n", []string{"registries[0].username: required when password is set"}},
		{"registry token and password", valid + "registries:\n  - host: ghcr.io\n    username: u\n    password: p\n    token: t\n", []string{"registries[0].token: set token or username/password, not both"}},
		{"token without name", valid + "tokens:\n  - sha256: " + hashA + "\n    scopes: [read]\n", []string{"tokens[0].name: required"}},
		{"token bad sha256", valid + "tokens:\n  - name: a\n    sha256: " + hashA + "\n    scopes: [read]\n  - name: b\n    sha256: abc\n    scopes: [read]\n",
			[]string{"tokens[1].sha256: must be 64 hex characters"}},
		{"token plain text", valid + "tokens:\n  - name: a\n    sha256: my-secret-token\n    scopes: [read]\n", []string{"tokens[0].sha256: must be 64 hex"}},
		{"same token twice", valid + "tokens:\n  - name: a\n    sha256: " + hashA + "\n    scopes: [read]\n  - name: b\n    sha256: " + strings.ToUpper(hashA) + "\n    scopes: [read]\n",
			[]string{"tokens[1].sha256: the same token is configured twice"}},
		{"token name twice", valid + "tokens:\n  - name: a\n    sha256: " + hashA + "\n    scopes: [read]\n  - name: a\n    sha256: " + strings.Repeat("0", 64) + "\n    scopes: [read]\n",
			[]string{`tokens[1].name: "a" is used twice`}},
		{"token without scopes", valid + "tokens:\n  - name: a\n    sha256: " + hashA + "\n", []string{"tokens[0].scopes: at least one of"}},
		{"token unknown scope", valid + "tokens:\n  - name: a\n    sha256: " + hashA + "\n    scopes: [admin]\n", []string{`tokens[0].scopes: unknown scope "admin"`}},
		{"builds token without applications", valid + "tokens:\n  - name: a\n    sha256: " + hashA + "\n    scopes: [builds:write]\n", []string{"tokens[0].applications: required with builds:write"}},
		{"batch window too long", valid + "worker: {batchWindow: 2m}\n", []string{"worker.batchWindow: must be between 0s and 1m"}},
		{"batch window negative", valid + "worker: {batchWindow: -1s}\n", []string{"worker.batchWindow"}},
		{"negative durations", valid + "worker: {pollInterval: -1s, retryMax: -1s, pipelineRefresh: -1s, reconcileInterval: -1m}\nlimits: {registryTimeout: -1s}\n",
			[]string{"worker.pollInterval: must not be negative", "worker.retryMax: must not be negative", "worker.pipelineRefresh: must not be negative",
				"worker.reconcileInterval: must not be negative", "limits.registryTimeout: must not be negative"}},
		{"negative repository timeout", "repositories:\n  - url: /srv/envs.git\n    timeout: -1s\n", []string{"repositories[0].timeout: must not be negative"}},
		{"token in https url", "repositories:\n  - url: https://ghp_secret@github.com/acme/envs.git\n", []string{"repositories[0].url: must not embed credentials"}},
		{"password in ssh url", "repositories:\n  - url: ssh://git:hunter2@github.com/acme/envs.git\n", []string{"repositories[0].url: must not embed credentials"}},
		{"max batch too big", valid + "worker: {maxBatch: 5000}\n", []string{"worker.maxBatch: must be between 1 and 1000"}},
		{"lease too short", valid + "worker: {lease: 1s}\n", []string{"worker.lease: must be at least 5s"}},
		{"bad duration", valid + "worker: {pollInterval: soon}\n", []string{`line 4: "soon" is not a duration`}},
		{"log level", valid + "log: {level: trace}\n", []string{`log.level: "trace" is not debug, info, warn or error`}},
		{"log format", valid + "log: {format: xml}\n", []string{`log.format: "xml" is not json or console`}},
		{"body limit", valid + "limits: {maxBodyBytes: 10}\n", []string{"limits.maxBodyBytes: must be at least 1024"}},
		{"unknown top-level field", valid + "listn: 127.0.0.1:1\n", []string{"line 4: field listn not found"}},
		{"unknown nested field", valid + "    brnach: main\n", []string{"line 4: field brnach not found"}},
		{"not a mapping", "- a\n- b\n", []string{"parsing:", "line 1"}},
		{"secret with env and file", valid + "    auth: {token: {env: A, file: /b}}\n", []string{"line 4: a secret takes env or file, not both"}},
		{"secret mapping empty", valid + "    auth: {token: {}}\n", []string{"line 4: a secret mapping needs env or file"}},
		{"secret as a list", valid + "    auth: {token: [a]}\n", []string{"line 4: a secret is a string or a mapping with env or file"}},
		{"secret from a missing file", valid + "    auth: {token: {file: testdata/no-such-file}}\n", []string{"line 4: reading secret file", "testdata/no-such-file"}},
		{"several problems at once", "listen: x\nrepositories:\n  - name: envs\nlog: {level: loud}\n",
			[]string{`listen: "x"`, "repositories[0].url: required", `log.level: "loud"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseServer(strings.NewReader(tc.yaml))
			if err == nil {
				t.Fatalf("ParseServer succeeded, want an error containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseServerTokenOverLoopbackHTTP(t *testing.T) {
	for _, url := range []string{"http://127.0.0.1:3000/envs.git", "http://localhost/envs.git", "http://[::1]:3000/envs.git"} {
		if _, err := ParseServer(strings.NewReader("repositories:\n  - url: " + url + "\n    auth: {token: t}\n")); err != nil {
			t.Errorf("token over http to %s: %v, want accepted (loopback)", url, err)
		}
	}
}

func TestSecretFromEnvAndFile(t *testing.T) {
	t.Setenv("FERRY_TEST_SECRET", "from-env")
	t.Setenv("FERRY_TEST_EMPTY", "")
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("from-file\r\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ yaml, value, source string }{
		{"literal", "literal", "inline"},
		{"'quoted literal'", "quoted literal", "inline"},
		{"{env: FERRY_TEST_SECRET}", "from-env", "env:FERRY_TEST_SECRET"},
		{"{env: FERRY_TEST_EMPTY}", "", "env:FERRY_TEST_EMPTY"},
		{"{file: " + file + "}", "from-file", "file:" + file}, // trailing newlines dropped
	} {
		var s Secret
		if err := yaml.Unmarshal([]byte(tc.yaml), &s); err != nil {
			t.Errorf("%s: %v", tc.yaml, err)
			continue
		}
		if s.Value() != tc.value || s.source != tc.source || s.IsSet() != (tc.value != "") {
			t.Errorf("%s: value %q source %q set %v, want %q %q", tc.yaml, s.Value(), s.source, s.IsSet(), tc.value, tc.source)
		}
	}
}

func TestSecretMissingEnv(t *testing.T) {
	os.Unsetenv("FERRY_TEST_UNSET") // t.Setenv would leave it set
	_, err := ParseServer(strings.NewReader(valid + "    auth:\n      token: {env: FERRY_TEST_UNSET}\n"))
	if err == nil || !strings.Contains(err.Error(), "line 5: environment variable FERRY_TEST_UNSET is not set") {
		t.Errorf("error = %v, want it to name the variable and the line", err)
	}
}

// TestSecretsNeverPrinted: no way of printing or dumping the config shows a
// secret.
func TestSecretsNeverPrinted(t *testing.T) {
	fullEnv(t)
	c, err := LoadServer("testdata/server-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	ys, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"%v %+v":     fmt.Sprintf("%v %+v", c, c),
		"%v %+v (*)": fmt.Sprintf("%v %+v", *c, *c),
		"%#v":        fmt.Sprintf("%#v", c),
		"%v repos":   fmt.Sprintf("%v", c.Repositories),
		"json":       string(js),
		"yaml":       string(ys),
	} {
		for _, s := range fullSecrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains the secret %q", name, s)
			}
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s output does not show [redacted]:\n%s", name, out)
		}
	}
	// What is printed is still the value where it is used.
	if c.Repositories[0].Auth.Token.Value() != "git-token-value" {
		t.Errorf("token value = %q", c.Repositories[0].Auth.Token.Value())
	}
}

func TestLoadServerErrors(t *testing.T) {
	if _, err := LoadServer("testdata/no-such.yaml"); err == nil || !strings.Contains(err.Error(), "reading config") {
		t.Errorf("missing file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "ferry-server.yaml")
	if err := os.WriteFile(path, []byte("listen: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadServer(path); err == nil || !strings.HasPrefix(err.Error(), path+": invalid config") {
		t.Errorf("invalid file: %v, want it prefixed with the path", err)
	}
}

// TestValidateWithoutDefaults: Validate on a config built in code, without
// Defaults, reports its problems instead of panicking.
func TestValidateWithoutDefaults(t *testing.T) {
	err := (&Server{}).Validate()
	if err == nil {
		t.Fatal("Validate on a zero Server: nil, want errors")
	}
	for _, w := range []string{"listen:", "store.driver:", "repositories:", "worker.maxBatch:", "worker.lease:"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %s", err, w)
		}
	}
}
