package gitrepo

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults applied by Open to zero fields of Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxAttempts  = 5
	DefaultRecloneAfter = 200
	DefaultAuthorName   = "Ferry"
	DefaultAuthorEmail  = "ferry@localhost"
	// DefaultTokenUsername is the user name sent with Auth.Token over HTTPS
	// when Auth.Username is empty. GitHub, GitLab and Gitea accept it with a
	// personal or installation access token.
	DefaultTokenUsername = "x-access-token"
)

// Config says where an environment repository lives and how Ferry writes to it.
type Config struct {
	// URL is https://…, http://…, ssh://…, git@host:path, file:///… or an
	// absolute local path. It must not carry a password: put it in Auth.
	URL  string
	Auth Auth
	// Author is the commit author and committer; default "Ferry <ferry@localhost>".
	Author Signature
	// SigningKey is an optional armored OpenPGP private key; commits are
	// signed when it is set.
	SigningKey           string
	SigningKeyPassphrase string
	// Timeout bounds each network operation (one fetch, one push); default 30s.
	Timeout time.Duration
	// MaxAttempts is how many pushes Commit tries when the branch keeps
	// moving under it; default 5.
	MaxAttempts int
	// RecloneAfter is the number of commits after which the in-memory clone
	// is dropped and made again on next use; default 200.
	RecloneAfter int
	// Observer, when set, is told the duration and outcome of every fetch
	// and push (operator metrics).
	Observer Observer
}

// Auth holds credentials for the remote. Only the ones that fit the URL's
// transport are used.
type Auth struct {
	// Username and Token are sent as HTTP basic auth. Username defaults to
	// DefaultTokenUsername when Token is set.
	Username, Token string
	// SSHKey is a PEM private key for ssh:// and scp-like URLs, for the URL's
	// user or "git"; without it the SSH agent is used.
	SSHKey           []byte
	SSHKeyPassphrase string
	// SSHKnownHosts is the known_hosts file checked for the server's host key;
	// empty means ~/.ssh/known_hosts (or $SSH_KNOWN_HOSTS). Host keys are
	// always checked.
	SSHKnownHosts string
}

// Signature names a commit author.
type Signature struct {
	Name, Email string
}

// withDefaults returns cfg with zero fields set to their defaults, or an
// error naming the first invalid field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.URL == "" {
		return cfg, errors.New("gitrepo: URL is required")
	}
	if cfg.Author.Name == "" {
		cfg.Author.Name = DefaultAuthorName
	}
	if cfg.Author.Email == "" {
		cfg.Author.Email = DefaultAuthorEmail
	}
	// A commit header line cannot hold these; git would refuse the object.
	for _, s := range []string{cfg.Author.Name, cfg.Author.Email} {
		if strings.ContainsAny(s, "<>\n\r\x00") {
			return cfg, fmt.Errorf("gitrepo: author %q contains '<', '>', a newline or NUL", s)
		}
	}
	if cfg.Timeout < 0 || cfg.MaxAttempts < 0 || cfg.RecloneAfter < 0 {
		return cfg, errors.New("gitrepo: Timeout, MaxAttempts and RecloneAfter must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.RecloneAfter == 0 {
		cfg.RecloneAfter = DefaultRecloneAfter
	}
	if cfg.Auth.Token != "" && cfg.Auth.Username == "" {
		cfg.Auth.Username = DefaultTokenUsername
	}
	return cfg, nil
}
