package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Console configures the web console served at /.
type Console struct {
	// OIDC, when set, lets people sign in to the console with an OpenID
	// Connect provider (single sign-on); API tokens still work for the API,
	// the CLI and the console's paste-a-token form.
	OIDC *OIDC `yaml:"oidc"`
}

// OIDC is the console's OpenID Connect sign-in: the authorization code flow
// with PKCE, state and nonce, against Issuer.
type OIDC struct {
	// Issuer is the provider's issuer URL; its
	// /.well-known/openid-configuration is read at the first sign-in.
	Issuer string `yaml:"issuer"`
	// ClientID and ClientSecret are Ferry's client at the provider. The
	// secret is a Secret: {file: PATH} or {env: NAME} keeps it out of the file.
	ClientID     string `yaml:"clientID"`
	ClientSecret Secret `yaml:"clientSecret"`
	// RedirectURL is Ferry's callback as registered at the provider:
	// <Ferry's public URL>/ui/oidc/callback.
	RedirectURL string `yaml:"redirectURL"`
	// Name is what the sign-in button says ("Sign in with <Name>"). Default "single sign-on".
	Name string `yaml:"name"`
	// Scopes asked for. Default [openid, email, profile, groups].
	Scopes []string `yaml:"scopes"`
	// GroupsClaim is the ID token's claim that lists the person's groups.
	// Default "groups".
	GroupsClaim string `yaml:"groupsClaim"`
	// Roles map a group or an email address to Ferry scopes, as a token's:
	// a person gets the union of every role that names one of their groups
	// or their (verified) email. Someone no role names cannot sign in.
	Roles []Role `yaml:"roles"`
}

// Role grants scopes to the people of a group, or to one person by email.
type Role struct {
	// Group is a value of the groups claim; Email an ID token's verified
	// email. Exactly one is set.
	Group string `yaml:"group"`
	Email string `yaml:"email"`
	// Scopes: "read", "promotions:write" (approve, cancel, promote, roll back).
	Scopes []string `yaml:"scopes"`
	// Applications limits promotions:write to these applications; "*" or
	// none means all.
	Applications []string `yaml:"applications"`
	// Environments limits promotions:write to these environments; "*" or
	// none means all. A role allows an application in an environment when
	// both lists allow it.
	Environments []string `yaml:"environments"`
}

// defaults fills the OIDC block's defaults.
func (o *OIDC) defaults() {
	if o.Name == "" {
		o.Name = "single sign-on"
	}
	if len(o.Scopes) == 0 {
		o.Scopes = []string{"openid", "email", "profile", "groups"}
	}
	if o.GroupsClaim == "" {
		o.GroupsClaim = "groups"
	}
}

// validateConsole checks the console block.
func validateConsole(errs *fieldErrors, c Console) {
	o := c.OIDC
	if o == nil {
		return
	}
	const f = "console.oidc"
	for _, u := range []struct{ field, value string }{{".issuer", o.Issuer}, {".redirectURL", o.RedirectURL}} {
		if p, err := url.Parse(u.value); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs.add(f+u.field, "%q is not an http(s) URL", u.value)
		}
	}
	if o.ClientID == "" {
		errs.add(f+".clientID", "required")
	}
	if !slices.Contains(o.Scopes, "openid") {
		errs.add(f+".scopes", "must include openid")
	}
	if len(o.Roles) == 0 {
		errs.add(f+".roles", "at least one: nobody could sign in")
	}
	for i, r := range o.Roles {
		rf := fmt.Sprintf("%s.roles[%d]", f, i)
		if (r.Group == "") == (r.Email == "") {
			errs.add(rf, "set exactly one of group and email")
		}
		if len(r.Scopes) == 0 {
			errs.add(rf+".scopes", "at least one of %s, %s", ScopeRead, ScopePromotionsWrite)
		}
		for _, s := range r.Scopes {
			if s != ScopeRead && s != ScopePromotionsWrite {
				errs.add(rf+".scopes", "unknown scope %q (a person may have %s, %s)", s, ScopeRead, ScopePromotionsWrite)
			}
		}
		for _, l := range []struct {
			field string
			names []string
		}{{".applications", r.Applications}, {".environments", r.Environments}} {
			for j, n := range l.names {
				if strings.TrimSpace(n) == "" {
					errs.add(fmt.Sprintf("%s%s[%d]", rf, l.field, j), "empty name")
				}
			}
			if (len(l.names) > 0) && !slices.Contains(r.Scopes, ScopePromotionsWrite) {
				errs.add(rf+l.field, "limits promotions:write, which this role does not grant")
			}
		}
	}
}
