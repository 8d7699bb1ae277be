package gitrepo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// parseURL checks cfg.URL and returns its endpoint. Passwords in the URL
// are refused so that they can never reach a log line or an error.
func parseURL(raw string) (*transport.Endpoint, error) {
	ep, err := transport.NewEndpoint(raw)
	if err != nil {
		// The parser's message may quote the URL; do not repeat it.
		return nil, errors.New("gitrepo: parsing URL: not a valid Git URL")
	}
	if ep.Password != "" {
		return nil, errors.New("gitrepo: URL carries a password; put credentials in Config.Auth")
	}
	switch ep.Protocol {
	case "http", "https", "ssh", "file":
	default:
		return nil, fmt.Errorf("gitrepo: URL scheme %q is not supported (https, http, ssh, file)", ep.Protocol)
	}
	// go-git makes a relative path absolute against the working directory;
	// a service should not depend on where it was started.
	if ep.Protocol == "file" && !strings.HasPrefix(raw, "file://") && !filepath.IsAbs(raw) {
		return nil, fmt.Errorf("gitrepo: local repository path %q is not absolute", raw)
	}
	return ep, nil
}

// redactedURL is the URL as it may appear in logs and errors.
func redactedURL(ep *transport.Endpoint) string {
	if ep.Protocol == "file" {
		return ep.Path
	}
	c := *ep
	c.Password = ""
	return c.String()
}

// authMethod returns the go-git auth method for the endpoint's transport,
// or nil to use the transport's default (none, or the SSH agent).
func authMethod(ep *transport.Endpoint, a Auth) (transport.AuthMethod, error) {
	switch ep.Protocol {
	case "http", "https":
		if a.Token == "" {
			return nil, nil
		}
		return &githttp.BasicAuth{Username: a.Username, Password: a.Token}, nil
	case "ssh":
		if len(a.SSHKey) == 0 {
			return nil, nil
		}
		user := ep.User
		if user == "" {
			user = "git"
		}
		keys, err := gitssh.NewPublicKeys(user, a.SSHKey, a.SSHKeyPassphrase)
		if err != nil {
			return nil, errors.New("gitrepo: parsing SSH key: not a valid private key or wrong passphrase")
		}
		files := []string{}
		if a.SSHKnownHosts != "" {
			if _, err := os.Stat(a.SSHKnownHosts); err != nil {
				return nil, fmt.Errorf("gitrepo: reading known hosts: %w", err)
			}
			files = append(files, a.SSHKnownHosts)
		}
		// With no file named, go-git reads $SSH_KNOWN_HOSTS or ~/.ssh/known_hosts.
		cb, err := gitssh.NewKnownHostsCallback(files...)
		if err != nil {
			return nil, fmt.Errorf("gitrepo: loading known hosts: %w", err)
		}
		keys.HostKeyCallback = cb
		return keys, nil
	}
	return nil, nil
}
