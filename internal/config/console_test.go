package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseServerConsoleOIDC(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("client-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ParseServer(strings.NewReader(valid + `console:
  oidc:
    issuer: https://dex.example.com/dex
    clientID: ferry
    clientSecret: {file: ` + secret + `}
    redirectURL: https://ferry.example.com/ui/oidc/callback
    roles:
    - {group: release-managers, scopes: [read, promotions:write], applications: [payments], environments: [staging]}
    - {email: oncall@example.com, scopes: [read]}
`))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Console.OIDC
	if o == nil || o.ClientSecret.Value() != "client-secret" || o.GroupsClaim != "groups" || o.Name != "single sign-on" ||
		!slices.Equal(o.Scopes, []string{"openid", "email", "profile", "groups"}) || len(o.Roles) != 2 ||
		o.Roles[0].Applications[0] != "payments" || !slices.Equal(o.Roles[0].Environments, []string{"staging"}) || o.Roles[1].Email != "oncall@example.com" {
		t.Fatalf("console.oidc = %+v", o)
	}
}

func TestParseServerConsoleOIDCInvalid(t *testing.T) {
	const base = "    issuer: https://dex.example.com\n    clientID: ferry\n    redirectURL: https://ferry.example.com/ui/oidc/callback\n"
	for _, tc := range []struct {
		name, block, field string
	}{
		{"issuer not a URL", "    issuer: dex\n    clientID: ferry\n    redirectURL: https://f.example.com/cb\n    roles: [{group: g, scopes: [read]}]\n", "console.oidc.issuer"},
		{"no client id", "    issuer: https://d.example.com\n    redirectURL: https://f.example.com/cb\n    roles: [{group: g, scopes: [read]}]\n", "console.oidc.clientID"},
		{"no roles", base, "console.oidc.roles"},
		{"role with group and email", base + "    roles: [{group: g, email: a@example.com, scopes: [read]}]\n", "console.oidc.roles[0]"},
		{"role without scopes", base + "    roles: [{group: g}]\n", "console.oidc.roles[0].scopes"},
		{"builds:write for a person", base + "    roles: [{group: g, scopes: [builds:write]}]\n", "console.oidc.roles[0].scopes"},
		{"empty environment", base + "    roles: [{group: g, scopes: [promotions:write], environments: [\"\"]}]\n", "console.oidc.roles[0].environments[0]"},
		{"environments on a read-only role", base + "    roles: [{group: g, scopes: [read], environments: [prod]}]\n", "console.oidc.roles[0].environments"},
		{"applications on a read-only role", base + "    roles: [{group: g, scopes: [read], applications: [web]}]\n", "console.oidc.roles[0].applications"},
		{"scopes without openid", base + "    scopes: [email]\n    roles: [{group: g, scopes: [read]}]\n", "console.oidc.scopes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseServer(strings.NewReader(valid + "console:\n  oidc:\n" + tc.block))
			if err == nil || !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
}
