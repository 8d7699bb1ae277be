package config

import (
	"encoding/hex"
	"fmt"
	"net"
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
	// ScopeStatusesWrite posts commit statuses (POST /api/v1/statuses) for
	// the health gate of repositories on plain Git servers.
	ScopeStatusesWrite = "statuses:write"
)

var (
	nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	hostRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$|^\[[0-9a-f:]+\](:[0-9]{1,5})?$`)
)

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
	validateStore(&errs, c.Store)
	validateRegistries(&errs, c.Registries)
	validateRepositories(&errs, c.Repositories)
	validateTokens(&errs, c.Tokens)
	validateWorker(&errs, c.Worker)
	validateLog(&errs, c.Log)
	validateLimits(&errs, c.Limits)
	validateWebhooks(&errs, c.Webhooks)
	validateNotifications(&errs, c.Notifications)
	validateConsole(&errs, c.Console)
	validateTLS(&errs, c.TLS)
	validateTrustedRoot(&errs, c.TrustedRoot)
	return errs.err()
}

// validateStore checks the store block.
func validateStore(errs *fieldErrors, st Store) {
	switch st.Driver {
	case "sqlite", "postgres":
		if !st.DSN.IsSet() {
			errs.add("store.dsn", "required for driver %s", st.Driver)
		}
	default:
		errs.add("store.driver", "%q is not sqlite or postgres", st.Driver)
	}
}

// validateRegistries checks the registries: each host once, and one way
// to authenticate.
func validateRegistries(errs *fieldErrors, rs []Registry) {
	hosts := map[string]bool{}
	for i, r := range rs {
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
}

// validateRepositories checks the environment repositories: at least one,
// names unique.
func validateRepositories(errs *fieldErrors, rs []Repository) {
	if len(rs) == 0 {
		errs.add("repositories", "at least one environment repository is required")
	}
	names := map[string]bool{}
	for i, r := range rs {
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
		validateRepository(errs, f, r)
	}
}

// validateTokens checks the API tokens: names and hashes unique, known
// scopes.
func validateTokens(errs *fieldErrors, ts []Token) {
	tokenNames := map[string]bool{}
	hashes := map[string]bool{}
	for i, t := range ts {
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
			errs.add(f+".scopes", "at least one of %s, %s, %s, %s", ScopeBuildsWrite, ScopePromotionsWrite, ScopeRead, ScopeStatusesWrite)
		}
		for _, s := range t.Scopes {
			if !slices.Contains([]string{ScopeBuildsWrite, ScopePromotionsWrite, ScopeRead, ScopeStatusesWrite}, s) {
				errs.add(f+".scopes", "unknown scope %q", s)
			}
		}
		if slices.Contains(t.Scopes, ScopeBuildsWrite) && len(t.Applications) == 0 {
			errs.add(f+".applications", "required with builds:write (list application names, or \"*\")")
		}
		for j, env := range t.Environments {
			if env == "" {
				errs.add(fmt.Sprintf("%s.environments[%d]", f, j), "must not be empty")
			}
		}
		if len(t.Environments) > 0 && !slices.Contains(t.Scopes, ScopePromotionsWrite) {
			errs.add(f+".environments", "limits %s only; the token lacks it", ScopePromotionsWrite)
		}
	}
}

// validateWorker checks the worker block.
func validateWorker(errs *fieldErrors, w Worker) {
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
}

// validateLog checks the log block.
func validateLog(errs *fieldErrors, l Log) {
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, l.Level) {
		errs.add("log.level", "%q is not debug, info, warn or error", l.Level)
	}
	if !slices.Contains([]string{"json", "console"}, l.Format) {
		errs.add("log.format", "%q is not json or console", l.Format)
	}
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
