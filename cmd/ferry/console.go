package main

import (
	"bytes"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/console"
)

// consoleOIDC turns the config's single sign-on block into the console's.
func consoleOIDC(o *config.OIDC) *console.OIDC {
	if o == nil {
		return nil
	}
	c := &console.OIDC{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret.Value(),
		RedirectURL: o.RedirectURL, Name: o.Name, Scopes: o.Scopes, GroupsClaim: o.GroupsClaim}
	for _, r := range o.Roles {
		c.Roles = append(c.Roles, console.Role{Group: r.Group, Email: r.Email, Scopes: r.Scopes, Applications: r.Applications,
			Environments: r.Environments})
	}
	return c
}

// readDevConsole reads the console block of a server config from path, for
// --dev (to try single sign-on against a local provider).
func readDevConsole(path string) (config.Console, error) {
	var c struct {
		Console config.Console `yaml:"console"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return config.Console{}, fmt.Errorf("reading --dev-console: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return config.Console{}, fmt.Errorf("reading --dev-console %s: %w", path, err)
	}
	return c.Console, nil
}
