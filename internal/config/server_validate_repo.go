package config

import (
	"net"
	"net/url"
	"strings"
)

// validateRepository checks one environment repository, named f in
// messages.
func validateRepository(errs *fieldErrors, f string, r Repository) {
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
	validateProvider(errs, f+".provider", r.Provider)
	if strings.HasPrefix(r.PipelineFile, "/") || strings.Contains(r.PipelineFile, "..") {
		errs.add(f+".pipelineFile", "%q must be a path inside the repository", r.PipelineFile)
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
	case ProviderGitHub, ProviderGitLab, ProviderGitea, ProviderBitbucket, ProviderBitbucketDC, ProviderAzureDevOps:
	default:
		errs.add(f+".kind", "%q is not builtin, github, gitlab, gitea, bitbucket, bitbucket-datacenter or azure-devops", p.Kind)
		return
	}
	if p.URL == "" {
		errs.add(f+".url", "required for %s (the API base URL)", p.Kind)
	} else if !strings.HasPrefix(p.URL, "https://") && !(strings.HasPrefix(p.URL, "http://") && isLoopbackURL(p.URL)) {
		errs.add(f+".url", "%q must be an https URL", redactURL(p.URL))
	}
	validateProject(errs, f+".project", p)
	validateProviderAuth(errs, f, p)
	validateHostUsers(errs, f, p)
	if !p.WebhookSecret.IsSet() {
		errs.add(f+".webhookSecret", "required: Ferry learns about merges from the host's webhooks")
	}
	if p.RequestsPerMinute < 1 || p.RequestsPerMinute > 5000 {
		errs.add(f+".requestsPerMinute", "must be between 1 and 5000")
	}
	if p.Timeout < 0 {
		errs.add(f+".timeout", "must not be negative")
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

// validateProviderAuth checks that a hosted provider has one way to
// authenticate: a token, or (GitHub only) an app.
func validateProviderAuth(errs *fieldErrors, f string, p Provider) {
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
}
