// Package config reads and validates Ferry's two configuration files: the
// server's own (ferry-server.yaml) and the pipeline kept in each environment
// repository (ferry.yaml).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Server is the server configuration, ferry-server.yaml.
type Server struct {
	// Listen is the HTTP listen address. Default "127.0.0.1:8080".
	Listen string `yaml:"listen"`
	// TLS, when set, makes Ferry serve HTTPS on Listen.
	TLS *TLS `yaml:"tls"`
	// AnonymousRead lets requests without a token read the API (GET) and see
	// the web page at /. Default false: every read needs a token with scope read.
	AnonymousRead bool `yaml:"anonymousRead"`
	// DataDir holds the SQLite store and Git caches. Default "./data".
	DataDir      string       `yaml:"dataDir"`
	Store        Store        `yaml:"store"`
	Registries   []Registry   `yaml:"registries"`
	Repositories []Repository `yaml:"repositories"`
	Tokens       []Token      `yaml:"tokens"`
	// Webhooks are CI senders that sign their build reports.
	Webhooks []Webhook `yaml:"webhooks"`
	// Notifications are the outbound messages about promotions.
	Notifications Notifications `yaml:"notifications"`
	// Console configures the web console (single sign-on).
	Console Console `yaml:"console"`
	Worker  Worker  `yaml:"worker"`
	Log     Log     `yaml:"log"`
	Limits  Limits  `yaml:"limits"`
	// TrustedRoot is the path of a Sigstore trusted_root.json (Fulcio CAs,
	// Rekor and CT log keys, timestamp authorities) for keyless signature
	// gates. Ferry never fetches it: update the file to rotate the root.
	TrustedRoot string `yaml:"trustedRoot"`
}

// Store chooses the store driver.
type Store struct {
	// Driver is "sqlite" (default) or "postgres".
	Driver string `yaml:"driver"`
	// DSN is a file path for sqlite (default DataDir/ferry.db) or a
	// PostgreSQL connection string; it may hold a password, so it is a Secret.
	DSN Secret `yaml:"dsn"`
}

// Registry is an allowlisted container registry. No other registry is contacted.
type Registry struct {
	// Host is "ghcr.io", "registry.example.com:5000", or "docker.io" for Docker Hub.
	Host string `yaml:"host"`
	// Insecure talks plain HTTP (local registries only).
	Insecure bool `yaml:"insecure"`
	// Username and Password override the Docker config keychain for this host.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// Token is a registry bearer token, instead of username and password.
	Token Secret `yaml:"token"`
	// AuthHosts are other hosts this registry's token service lives on.
	AuthHosts []string `yaml:"authHosts"`
}

// Repository is an environment repository Ferry writes to.
type Repository struct {
	// Name identifies the repository in logs and the API. Default: derived from URL.
	Name string `yaml:"name"`
	// URL is https://…, ssh://…, git@host:path, file:///… or an absolute path.
	URL string `yaml:"url"`
	// Branch holds ferry.yaml and is the default branch of targets. Default "main".
	Branch string `yaml:"branch"`
	// PipelineFile is the path of the pipeline in the repo. Default "ferry.yaml".
	PipelineFile string   `yaml:"pipelineFile"`
	Auth         GitAuth  `yaml:"auth"`
	Author       Author   `yaml:"author"`
	SigningKey   Secret   `yaml:"signingKey"`
	SigningPass  Secret   `yaml:"signingKeyPassphrase"`
	Timeout      Duration `yaml:"timeout"`
	// Provider is the Git host's pull-request API, for pull-request
	// environments. Default: the built-in provider.
	Provider Provider `yaml:"provider"`
}

// Provider kinds.
const (
	ProviderBuiltin = "builtin"
	ProviderGitHub  = "github"
	ProviderGitLab  = "gitlab"
	ProviderGitea   = "gitea"
	// ProviderBitbucket is Bitbucket Cloud (bitbucket.org).
	ProviderBitbucket = "bitbucket"
	// ProviderBitbucketDC is Bitbucket Data Center (or Server), self-hosted.
	ProviderBitbucketDC = "bitbucket-datacenter"
	// ProviderAzureDevOps is Azure DevOps Services or Server (Azure Repos).
	ProviderAzureDevOps = "azure-devops"
)

// Provider configures pull requests on the repository's Git host.
type Provider struct {
	// Kind is builtin (default), github, gitlab, gitea (also Forgejo),
	// bitbucket (Cloud), bitbucket-datacenter or azure-devops.
	Kind string `yaml:"kind"`
	// URL is the API base: default https://api.github.com for github,
	// https://gitlab.com for gitlab and https://api.bitbucket.org/2.0 for
	// bitbucket; for azure-devops the organization's URL
	// (https://dev.azure.com/acme); required for gitea, bitbucket-datacenter
	// and self-hosted hosts.
	URL string `yaml:"url"`
	// Project is "owner/repo" (GitHub, Gitea), "group/project" (GitLab),
	// "workspace/repo" (Bitbucket Cloud), "PROJECTKEY/repo" (Bitbucket Data
	// Center) or "project/repo" (Azure DevOps). Default: taken from the
	// repository URL.
	Project string `yaml:"project"`
	// Token is an API token (GitHub: contents and pull requests write;
	// GitLab: api scope; Gitea: repository write; Bitbucket Cloud: a
	// repository access token, or an app password with Username; Bitbucket
	// Data Center: an HTTP access token; Azure DevOps: a personal access
	// token with Code read & write).
	Token Secret `yaml:"token"`
	// Username, when set, sends Token as the password of HTTP basic auth
	// (Bitbucket Cloud app passwords and API tokens, Bitbucket Data Center
	// personal tokens of that user); only for bitbucket and
	// bitbucket-datacenter.
	Username string `yaml:"username"`
	// WebhookUsername is the basic-auth user name Azure DevOps service hooks
	// send, with WebhookSecret as the password; only for azure-devops.
	WebhookUsername string `yaml:"webhookUsername"`
	// App authenticates as a GitHub App installation instead of a token.
	App *GitHubApp `yaml:"app"`
	// WebhookSecret verifies the host's webhooks (GitHub, Gitea and
	// Bitbucket HMAC, GitLab X-Gitlab-Token, Azure DevOps basic-auth
	// password).
	WebhookSecret Secret `yaml:"webhookSecret"`
	// RequestsPerMinute bounds content-creating calls to the host. Default 60.
	RequestsPerMinute int `yaml:"requestsPerMinute"`
	// Timeout bounds one call to the host's API (all of its requests).
	// Default 15s.
	Timeout Duration `yaml:"timeout"`
}

// GitHubApp is a GitHub App installation.
type GitHubApp struct {
	AppID          int64  `yaml:"appID"`
	InstallationID int64  `yaml:"installationID"`
	PrivateKey     Secret `yaml:"privateKey"`
}

// GitAuth holds credentials for an environment repository.
type GitAuth struct {
	// Username for HTTPS token auth. Default "x-access-token" (GitHub; GitLab
	// and Gitea accept any non-empty name with a token).
	Username string `yaml:"username"`
	Token    Secret `yaml:"token"`
	// SSHKey is a PEM private key for ssh:// and scp-like URLs.
	SSHKey           Secret `yaml:"sshKey"`
	SSHKeyPassphrase Secret `yaml:"sshKeyPassphrase"`
	// KnownHosts is a known_hosts file. Default ~/.ssh/known_hosts.
	KnownHosts string `yaml:"knownHosts"`
}

// Author signs Ferry's commits.
type Author struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
}

// Token is an API token. Only its SHA-256 is stored.
type Token struct {
	// Name says who holds the token; it is recorded as the reporter of builds.
	Name string `yaml:"name"`
	// SHA256 is the hex SHA-256 of the token (`printf %s "$TOKEN" | sha256sum`).
	SHA256 string `yaml:"sha256"`
	// Scopes: "builds:write", "promotions:write", "read".
	Scopes []string `yaml:"scopes"`
	// Applications limits builds:write, and promotions:write (promote,
	// approve, cancel), to these applications; "*" means all. Without it a
	// promotions:write token may act on every application.
	Applications []string `yaml:"applications"`
	// Environments limits promotions:write to these environments, e.g. a
	// release manager's token for prod only; "*" or none means all.
	Environments []string `yaml:"environments"`
}

// Worker tunes the promotion worker.
type Worker struct {
	// BatchWindow is how long updates are gathered before one commit per
	// branch is written. Default 1s; 0 writes as soon as the worker is free.
	BatchWindow *Duration `yaml:"batchWindow"`
	// PollInterval is how often the worker looks for due work without being
	// woken. Default 2s.
	PollInterval Duration `yaml:"pollInterval"`
	// Lease is how long a worker holds claimed work before another may take it. Default 2m.
	Lease Duration `yaml:"lease"`
	// MaxBatch bounds the promotions in one commit. Default 100.
	MaxBatch int `yaml:"maxBatch"`
	// RetryMax caps the backoff between retries of transient failures. Default 5m.
	RetryMax Duration `yaml:"retryMax"`
	// PipelineRefresh is how often ferry.yaml is re-read. Default 30s.
	PipelineRefresh Duration `yaml:"pipelineRefresh"`
	// ReconcileInterval is how often an open pull request is looked at on
	// its host when no webhook said it changed. Default 1m.
	ReconcileInterval Duration `yaml:"reconcileInterval"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is json (default) or console.
	Format string `yaml:"format"`
}

// Limits bounds what callers may send.
type Limits struct {
	// MaxBodyBytes bounds request bodies. Default 1 MiB.
	MaxBodyBytes int64 `yaml:"maxBodyBytes"`
	// RegistryTimeout bounds one registry call. Default 10s.
	RegistryTimeout Duration `yaml:"registryTimeout"`
	// IdempotencyTTL is how long Idempotency-Key and webhook delivery
	// records are kept. Default 24h.
	IdempotencyTTL Duration `yaml:"idempotencyTTL"`
	// RequestsPerMinute is the steady request rate allowed per token, per
	// webhook sender, and per client IP for unauthenticated requests.
	// Default 600.
	RequestsPerMinute int `yaml:"requestsPerMinute"`
	// Burst is how many requests may come at once above the steady rate.
	// Default: RequestsPerMinute.
	Burst int `yaml:"burst"`
}

// LoadServer reads and validates a server config file.
func LoadServer(path string) (*Server, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	defer f.Close()
	c, err := ParseServer(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseServer decodes a server config strictly (unknown fields are errors),
// applies defaults and validates every field.
func ParseServer(r io.Reader) (*Server, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, err
	}
	var c Server
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parsing: %w", err)
	}
	c.Defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}
