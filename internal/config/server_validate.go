package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Scopes a token may carry.
const (
	ScopeBuildsWrite     = "builds:write"
	ScopePromotionsWrite = "promotions:write"
	ScopeRead            = "read"
)

var (
	nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	hostRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$|^\[[0-9a-f:]+\](:[0-9]{1,5})?$`)
)

// Defaults fills unset fields with their documented defaults.
func (c *Server) Defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.Store.Driver == "" {
		c.Store.Driver = "sqlite"
	}
	if c.Store.Driver == "sqlite" && !c.Store.DSN.IsSet() {
		c.Store.DSN = Secret{value: filepath.Join(c.DataDir, "ferry.db"), source: "default"}
	}
	for i := range c.Repositories {
		r := &c.Repositories[i]
		if r.Branch == "" {
			r.Branch = "main"
		}
		if r.PipelineFile == "" {
			r.PipelineFile = "ferry.yaml"
		}
		if r.Name == "" {
			r.Name = repoNameFromURL(r.URL)
		}
		if r.Author.Name == "" {
			r.Author.Name = "Ferry"
		}
		if r.Author.Email == "" {
			r.Author.Email = "ferry@localhost"
		}
		if r.Auth.Token.IsSet() && r.Auth.Username == "" {
			r.Auth.Username = "x-access-token"
		}
		if r.Timeout == 0 {
			r.Timeout = Duration(30 * time.Second)
		}
		p := &r.Provider
		if p.Kind == "" {
			p.Kind = ProviderBuiltin
		}
		if p.URL == "" {
			switch p.Kind {
			case ProviderGitHub:
				p.URL = "https://api.github.com"
			case ProviderGitLab:
				p.URL = "https://gitlab.com"
			}
		}
		if p.Project == "" {
			p.Project = projectFromURL(r.URL)
		}
		if p.RequestsPerMinute == 0 {
			p.RequestsPerMinute = 60
		}
	}
	w := &c.Worker
	if w.BatchWindow == nil {
		d := Duration(time.Second)
		w.BatchWindow = &d
	}
	if w.PollInterval == 0 {
		w.PollInterval = Duration(2 * time.Second)
	}
	if w.Lease == 0 {
		w.Lease = Duration(2 * time.Minute)
	}
	if w.MaxBatch == 0 {
		w.MaxBatch = 100
	}
	if w.RetryMax == 0 {
		w.RetryMax = Duration(5 * time.Minute)
	}
	if w.ReconcileInterval == 0 {
		w.ReconcileInterval = Duration(time.Minute)
	}
	if w.PipelineRefresh == 0 {
		w.PipelineRefresh = Duration(30 * time.Second)
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	if c.Limits.MaxBodyBytes == 0 {
		c.Limits.MaxBodyBytes = 1 << 20
	}
	if c.Limits.RegistryTimeout == 0 {
		c.Limits.RegistryTimeout = Duration(10 * time.Second)
	}
	if c.Limits.IdempotencyTTL == 0 {
		c.Limits.IdempotencyTTL = Duration(24 * time.Hour)
	}
	if c.Limits.RequestsPerMinute == 0 {
		c.Limits.RequestsPerMinute = 600
	}
	if c.Limits.Burst == 0 {
		c.Limits.Burst = c.Limits.RequestsPerMinute
	}
}

// repoNameFromURL gives "envs" for "https://host/acme/envs.git".
func repoNameFromURL(u string) string {
	u = strings.TrimSuffix(strings.TrimRight(u, "/"), ".git")
	if i := strings.LastIndexAny(u, "/:"); i >= 0 {
		u = u[i+1:]
	}
	return strings.ToLower(u)
}

// fieldErrors collects "field: problem" messages.
type fieldErrors []string

func (e *fieldErrors) add(field, format string, args ...any) {
	*e = append(*e, field+": "+fmt.Sprintf(format, args...))
}

func (e fieldErrors) err() error {
	if len(e) == 0 {
		return nil
	}
	return fmt.Errorf("invalid config:\n  %s", strings.Join(e, "\n  "))
}

// Validate checks every field and names each one that is wrong.
func (c *Server) Validate() error {
	var errs fieldErrors
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs.add("listen", "%q is not host:port", c.Listen)
	}
	switch c.Store.Driver {
	case "sqlite", "postgres":
		if !c.Store.DSN.IsSet() {
			errs.add("store.dsn", "required for driver %s", c.Store.Driver)
		}
	default:
		errs.add("store.driver", "%q is not sqlite or postgres", c.Store.Driver)
	}
	hosts := map[string]bool{}
	for i, r := range c.Registries {
		f := fmt.Sprintf("registries[%d]", i)
		switch {
		case r.Host == "":
			errs.add(f+".host", "required")
		case strings.Contains(r.Host, "://"):
			errs.add(f+".host", "%q must be a host[:port] without a scheme", r.Host)
		case !hostRE.MatchString(r.Host):
			errs.add(f+".host", "%q is not a lowercase host[:port]", r.Host)
		case hosts[r.Host]:
			errs.add(f+".host", "%q is listed twice", r.Host)
		}
		hosts[r.Host] = true
		if r.Password.IsSet() && r.Username == "" {
			errs.add(f+".username", "required when password is set")
		}
		if r.Token.IsSet() && r.Password.IsSet() {
			errs.add(f+".token", "set token or username/password, not both")
		}
	}
	if len(c.Repositories) == 0 {
		errs.add("repositories", "at least one environment repository is required")
	}
	names := map[string]bool{}
	for i, r := range c.Repositories {
		f := fmt.Sprintf("repositories[%d]", i)
		if r.URL == "" {
			errs.add(f+".url", "required")
		}
		if !nameRE.MatchString(r.Name) {
			errs.add(f+".name", "%q must be lowercase letters, digits and dashes", r.Name)
		} else if names[r.Name] {
			errs.add(f+".name", "%q is used twice", r.Name)
		}
		names[r.Name] = true
		if r.Auth.Token.IsSet() && r.Auth.SSHKey.IsSet() {
			errs.add(f+".auth", "set token or sshKey, not both")
		}
		if r.Auth.Token.IsSet() && strings.HasPrefix(r.URL, "http://") && !isLoopbackURL(r.URL) {
			errs.add(f+".auth.token", "refusing to send a token over plain http to %s", redactURL(r.URL))
		}
		if embedsCredentials(r.URL) {
			errs.add(f+".url", "must not embed credentials; use auth.token")
		}
		if r.Timeout < 0 {
			errs.add(f+".timeout", "must not be negative")
		}
		validateProvider(&errs, f+".provider", r.Provider)
		if strings.HasPrefix(r.PipelineFile, "/") || strings.Contains(r.PipelineFile, "..") {
			errs.add(f+".pipelineFile", "%q must be a path inside the repository", r.PipelineFile)
		}
	}
	tokenNames := map[string]bool{}
	hashes := map[string]bool{}
	for i, t := range c.Tokens {
		f := fmt.Sprintf("tokens[%d]", i)
		if t.Name == "" {
			errs.add(f+".name", "required")
		} else if tokenNames[t.Name] {
			errs.add(f+".name", "%q is used twice", t.Name)
		}
		tokenNames[t.Name] = true
		h, err := hex.DecodeString(t.SHA256)
		switch {
		case err != nil || len(h) != 32:
			errs.add(f+".sha256", "must be 64 hex characters (printf %%s \"$TOKEN\" | sha256sum)")
		case hashes[strings.ToLower(t.SHA256)]:
			errs.add(f+".sha256", "the same token is configured twice")
		}
		hashes[strings.ToLower(t.SHA256)] = true
		if len(t.Scopes) == 0 {
			errs.add(f+".scopes", "at least one of %s, %s, %s", ScopeBuildsWrite, ScopePromotionsWrite, ScopeRead)
		}
		for _, s := range t.Scopes {
			if !slices.Contains([]string{ScopeBuildsWrite, ScopePromotionsWrite, ScopeRead}, s) {
				errs.add(f+".scopes", "unknown scope %q", s)
			}
		}
		if slices.Contains(t.Scopes, ScopeBuildsWrite) && len(t.Applications) == 0 {
			errs.add(f+".applications", "required with builds:write (list application names, or \"*\")")
		}
	}
	w := c.Worker
	if w.BatchWindow != nil && (w.BatchWindow.D() < 0 || w.BatchWindow.D() > time.Minute) {
		errs.add("worker.batchWindow", "must be between 0s and 1m")
	}
	if w.MaxBatch < 1 || w.MaxBatch > 1000 {
		errs.add("worker.maxBatch", "must be between 1 and 1000")
	}
	if w.Lease.D() < 5*time.Second {
		errs.add("worker.lease", "must be at least 5s")
	}
	for _, d := range []struct {
		field string
		d     Duration
	}{
		{"worker.pollInterval", w.PollInterval}, {"worker.retryMax", w.RetryMax},
		{"worker.pipelineRefresh", w.PipelineRefresh}, {"worker.reconcileInterval", w.ReconcileInterval},
	} {
		if d.d < 0 {
			errs.add(d.field, "must not be negative")
		}
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		errs.add("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if !slices.Contains([]string{"json", "console"}, c.Log.Format) {
		errs.add("log.format", "%q is not json or console", c.Log.Format)
	}
	validateLimits(&errs, c.Limits)
	validateWebhooks(&errs, c.Webhooks)
	return errs.err()
}

// validateLimits checks the limits block.
func validateLimits(errs *fieldErrors, l Limits) {
	if l.MaxBodyBytes < 1024 {
		errs.add("limits.maxBodyBytes", "must be at least 1024")
	}
	if l.RegistryTimeout < 0 {
		errs.add("limits.registryTimeout", "must not be negative")
	}
	if l.IdempotencyTTL.D() < time.Hour {
		errs.add("limits.idempotencyTTL", "must be at least 1h")
	}
	if l.RequestsPerMinute < 1 {
		errs.add("limits.requestsPerMinute", "must be at least 1")
	}
	if l.Burst < 1 {
		errs.add("limits.burst", "must be at least 1")
	}
}

// embedsCredentials reports whether a repository URL carries a secret in
// its userinfo: a password, or with http(s) any user (a token put there).
// The user of ssh://git@host/… is the SSH login, no secret. A URL with an
// @ that does not parse counts, to be safe.
func embedsCredentials(raw string) bool {
	if !strings.Contains(raw, "://") {
		return false // a path, or scp-like git@host:path
	}
	u, err := url.Parse(raw)
	if err != nil {
		return strings.Contains(raw, "@")
	}
	if u.User == nil {
		return false
	}
	if _, ok := u.User.Password(); ok {
		return true
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

func validateProvider(errs *fieldErrors, f string, p Provider) {
	switch p.Kind {
	case ProviderBuiltin:
		return
	case ProviderGitHub, ProviderGitLab, ProviderGitea:
	default:
		errs.add(f+".kind", "%q is not builtin, github, gitlab or gitea", p.Kind)
		return
	}
	if p.URL == "" {
		errs.add(f+".url", "required for %s (the API base URL)", p.Kind)
	} else if !strings.HasPrefix(p.URL, "https://") && !(strings.HasPrefix(p.URL, "http://") && isLoopbackURL(p.URL)) {
		errs.add(f+".url", "%q must be an https URL", redactURL(p.URL))
	}
	if p.Project == "" || !strings.Contains(p.Project, "/") {
		errs.add(f+".project", "required: owner/repo (could not take it from the repository URL)")
	}
	switch {
	case p.App != nil && p.Kind != ProviderGitHub:
		errs.add(f+".app", "only for github")
	case p.App != nil && (p.App.AppID == 0 || p.App.InstallationID == 0 || !p.App.PrivateKey.IsSet()):
		errs.add(f+".app", "appID, installationID and privateKey are required")
	case p.App == nil && !p.Token.IsSet():
		errs.add(f+".token", "required for %s", p.Kind)
	case p.App != nil && p.Token.IsSet():
		errs.add(f+".token", "set token or app, not both")
	}
	if !p.WebhookSecret.IsSet() {
		errs.add(f+".webhookSecret", "required: Ferry learns about merges from the host's webhooks")
	}
	if p.RequestsPerMinute < 1 || p.RequestsPerMinute > 5000 {
		errs.add(f+".requestsPerMinute", "must be between 1 and 5000")
	}
}

// projectFromURL gives "acme/envs" for https://host/acme/envs.git and
// git@host:acme/envs.git.
func projectFromURL(u string) string {
	u = strings.TrimSuffix(strings.TrimRight(u, "/"), ".git")
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.Index(u, "/"); j >= 0 {
			return u[j+1:]
		}
		return ""
	}
	if i := strings.Index(u, ":"); i >= 0 && !strings.HasPrefix(u, "/") {
		return u[i+1:]
	}
	return ""
}

func isLoopbackURL(u string) bool {
	rest := strings.TrimPrefix(u, "http://")
	host := strings.SplitN(rest, "/", 2)[0]
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL drops userinfo from a URL for messages.
func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.Index(rest, "@"); j >= 0 && j < strings.IndexAny(rest+"/", "/") {
			return u[:i+3] + "***@" + rest[j+1:]
		}
	}
	return u
}
