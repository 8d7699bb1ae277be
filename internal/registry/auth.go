package registry

import (
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// authOption picks the host's override credentials, else the keychain.
func (v *Verifier) authOption(p *policy) remote.Option {
	switch {
	case p.host.Token != "":
		return remote.WithAuth(authn.FromConfig(authn.AuthConfig{RegistryToken: p.host.Token}))
	case p.host.Username != "" || p.host.Password != "":
		return remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: p.host.Username, Password: p.host.Password}))
	default:
		return remote.WithAuthFromKeychain(v.keychain)
	}
}
