package registry

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// DefaultTimeout bounds one Resolve call when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// dockerHubHosts are the hosts Docker Hub's API and token service live on.
// name.NewRegistry rewrites "docker.io" to "index.docker.io".
var dockerHubHosts = []string{"index.docker.io", "registry-1.docker.io", "auth.docker.io"}

// Host is one registry on the allowlist.
type Host struct {
	// Host is the registry's authority: "ghcr.io", "registry.example.com:5000",
	// "127.0.0.1:5000". "docker.io" means Docker Hub.
	Host string
	// Insecure makes Ferry speak plain HTTP to this registry (local registries).
	Insecure bool
	// Username and Password, when set, are used instead of the keychain.
	Username, Password string
	// Token, when set, is sent as a registry bearer token instead of the keychain.
	Token string
	// AuthHosts are extra hosts this registry's token service lives on
	// (e.g. "gitlab.com" for "registry.gitlab.com"). Docker Hub's
	// auth.docker.io is added automatically.
	AuthHosts []string
}

// Config configures a Verifier.
type Config struct {
	// Hosts is the allowlist: no other registry is ever contacted.
	Hosts []Host
	// Timeout bounds one Resolve call, retries included. Default DefaultTimeout.
	Timeout time.Duration
	// Transport is the base round tripper. Default remote.DefaultTransport.
	Transport http.RoundTripper
	// Keychain supplies credentials for hosts without an override.
	// Default authn.DefaultKeychain (the Docker config file and its helpers).
	Keychain authn.Keychain
}

// policy is what Ferry knows about one allowlisted registry.
type policy struct {
	host     Host
	registry name.Registry
	// hosts are the lowercase authorities requests for this registry may reach.
	hosts     map[string]bool
	allowHTTP bool
}

func newPolicy(h Host) (*policy, error) {
	raw := strings.ToLower(strings.TrimSpace(h.Host))
	switch {
	case raw == "":
		return nil, fmt.Errorf("registry host must not be empty")
	case strings.Contains(raw, "://"):
		return nil, fmt.Errorf("registry host %q must not carry a scheme; set Insecure for plain HTTP", h.Host)
	case strings.ContainsAny(raw, "/@?# "):
		return nil, fmt.Errorf("registry host %q must be a bare host[:port]", h.Host)
	}
	var opts []name.Option
	if h.Insecure {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(raw, opts...)
	if err != nil {
		return nil, fmt.Errorf("parsing registry host %q: %w", h.Host, err)
	}
	p := &policy{
		host:     h,
		registry: reg,
		hosts:    map[string]bool{reg.RegistryStr(): true},
		// Follows go-containerregistry, which also speaks HTTP to localhost
		// and RFC 1918 addresses.
		allowHTTP: reg.Scheme() == "http",
	}
	if reg.RegistryStr() == name.DefaultRegistry {
		for _, dh := range dockerHubHosts {
			p.hosts[dh] = true
		}
	}
	for _, a := range h.AuthHosts {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || strings.ContainsAny(a, "/@?# ") {
			return nil, fmt.Errorf("auth host %q of registry %q must be a bare host[:port]", a, h.Host)
		}
		p.hosts[a] = true
	}
	return p, nil
}
