package registry

import (
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Verifier resolves image tags to digests in allowlisted registries.
// It is safe for concurrent use.
type Verifier struct {
	policies  map[string]*policy // by name.Registry.RegistryStr()
	cfg       Config
	transport http.RoundTripper
	keychain  authn.Keychain
}

// New returns a Verifier for the registries in cfg.Hosts. It rejects empty
// host names, hosts with a scheme, and the same registry listed twice.
func New(cfg Config) (*Verifier, error) {
	v := &Verifier{
		policies:  make(map[string]*policy, len(cfg.Hosts)),
		cfg:       cfg,
		transport: cfg.Transport,
		keychain:  cfg.Keychain,
	}
	if v.cfg.Timeout <= 0 {
		v.cfg.Timeout = DefaultTimeout
	}
	if v.transport == nil {
		v.transport = remote.DefaultTransport
	}
	if v.keychain == nil {
		v.keychain = authn.DefaultKeychain
	}
	for i, h := range cfg.Hosts {
		p, err := newPolicy(h)
		if err != nil {
			return nil, fmt.Errorf("registry host %d: %w", i, err)
		}
		key := p.registry.RegistryStr()
		if _, dup := v.policies[key]; dup {
			return nil, fmt.Errorf("registry host %d: %q is listed twice", i, h.Host)
		}
		v.policies[key] = p
	}
	return v, nil
}

// Allowed reports whether the repository's registry is on the allowlist.
// It does no network I/O.
func (v *Verifier) Allowed(repository string) error {
	_, err := v.policyFor(repository)
	return err
}

func (v *Verifier) policyFor(repository string) (*policy, error) {
	repo, err := ParseRepository(repository)
	if err != nil {
		return nil, err
	}
	p, ok := v.policies[repo.RegistryStr()]
	if !ok {
		return nil, derrors.New(derrors.Unprocessable, "registry_not_allowed",
			"registry %q of repository %q is not on this server's allowlist", repo.RegistryStr(), repository)
	}
	return p, nil
}
