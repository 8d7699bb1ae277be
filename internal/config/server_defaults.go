package config

import (
	"path/filepath"
	"strings"
	"time"
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
		c.Repositories[i].defaults()
	}
	c.Worker.defaults()
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "json"
	}
	c.Limits.defaults()
	if c.Console.OIDC != nil {
		c.Console.OIDC.defaults()
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

// defaults fills a repository's unset fields, its provider's included.
func (r *Repository) defaults() {
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
		case ProviderBitbucket:
			p.URL = "https://api.bitbucket.org/2.0"
		}
	}
	if p.Project == "" {
		p.Project = hostProject(p.Kind, projectFromURL(r.URL))
	}
	if p.RequestsPerMinute == 0 {
		p.RequestsPerMinute = 60
	}
}

// defaults fills the worker block's unset fields.
func (w *Worker) defaults() {
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
}

// defaults fills the limits block's unset fields.
func (l *Limits) defaults() {
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = 1 << 20
	}
	if l.RegistryTimeout == 0 {
		l.RegistryTimeout = Duration(10 * time.Second)
	}
	if l.IdempotencyTTL == 0 {
		l.IdempotencyTTL = Duration(24 * time.Hour)
	}
	if l.RequestsPerMinute == 0 {
		l.RequestsPerMinute = 600
	}
	if l.Burst == 0 {
		l.Burst = l.RequestsPerMinute
	}
}
