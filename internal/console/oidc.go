package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"
)

// OIDC is the console's OpenID Connect sign-in (config.OIDC, resolved).
type OIDC struct {
	Issuer, ClientID, ClientSecret, RedirectURL string
	// Name is what the sign-in button names.
	Name        string
	Scopes      []string
	GroupsClaim string
	Roles       []Role
}

// Role grants scopes to a group's members, or to one verified email.
type Role struct {
	Group, Email string
	Scopes       []string
	Applications []string
	Environments []string
}

const (
	// oidcCookie holds the id of a sign-in on its way through the provider:
	// its state, nonce and PKCE verifier stay on the server. SameSite=Lax,
	// as the provider's redirect back is a cross-site navigation that must
	// carry it.
	oidcCookie = "ferry_oidc"
	// oidcFlowTTL bounds the time a person may spend at the provider's
	// login form.
	oidcFlowTTL = 10 * time.Minute
	// oidcTimeout bounds each call to the provider (discovery, token
	// exchange, keys).
	oidcTimeout = 15 * time.Second
)

// flow is one sign-in between the redirect to the provider and its answer,
// or, once refused, the message the sign-in page shows once.
type flow struct {
	state, nonce, verifier string
	message                string
	expires                time.Time
}

// signOn runs the authorization code flow with PKCE against one provider.
// The provider's discovery document is read at the first sign-in (and
// again after a failure), so Ferry starts while the provider is down.
type signOn struct {
	cfg OIDC
	log *zap.Logger

	mu       sync.Mutex
	provider *oidc.Provider
	flows    map[string]flow
}

func newSignOn(cfg OIDC, log *zap.Logger) *signOn {
	return &signOn{cfg: cfg, log: log, flows: map[string]flow{}}
}

func (s *signOn) discover(ctx context.Context) (*oidc.Provider, *oauth2.Config, error) {
	s.mu.Lock()
	p := s.provider
	s.mu.Unlock()
	if p == nil {
		ctx, cancel := context.WithTimeout(ctx, oidcTimeout)
		defer cancel()
		var err error
		if p, err = oidc.NewProvider(ctx, s.cfg.Issuer); err != nil {
			return nil, nil, fmt.Errorf("reading the OpenID configuration of %s: %w", s.cfg.Issuer, err)
		}
		s.mu.Lock()
		s.provider = p
		s.mu.Unlock()
	}
	return p, &oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, RedirectURL: s.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: s.cfg.Scopes}, nil
}

func (s *signOn) start() (string, flow) {
	id := randomString()
	f := flow{state: randomString(), nonce: randomString(), verifier: oauth2.GenerateVerifier(), expires: time.Now().Add(oidcFlowTTL)}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for k, v := range s.flows {
		if now.After(v.expires) {
			delete(s.flows, k)
		}
	}
	s.flows[id] = f
	return id, f
}

// setMessage turns flow id into a refusal message.
func (s *signOn) setMessage(id, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flows[id]
	f.state, f.message = "", msg
	s.flows[id] = f
}

// message returns and forgets the refusal message of flow id.
func (s *signOn) message(id string) string {
	f, ok := s.take(id)
	if !ok {
		return ""
	}
	return f.message
}

// take returns and forgets a flow: each is answered once.
func (s *signOn) take(id string) (flow, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.flows[id]
	delete(s.flows, id)
	return f, ok && time.Now().Before(f.expires)
}

// errNoRole is a person whom no role names.
var errNoRole = errors.New("no role")

// identity maps an ID token's claims to a console identity.
func (s *signOn) identity(tok *oidc.IDToken) (Identity, error) {
	var all map[string]any
	if err := tok.Claims(&all); err != nil {
		return Identity{}, fmt.Errorf("reading the ID token's claims: %w", err)
	}
	return mapIdentity(s.cfg, all)
}

// mapIdentity names a person by their verified email (else
// preferred_username, name, sub) and gives them the union of the roles that
// name one of their groups or their verified email; errNoRole when none do.
func mapIdentity(cfg OIDC, claims map[string]any) (Identity, error) {
	str := func(k string) string { v, _ := claims[k].(string); return v }
	var groups []string
	switch g := claims[cfg.GroupsClaim].(type) {
	case []any:
		for _, v := range g {
			if s, ok := v.(string); ok {
				groups = append(groups, s)
			}
		}
	case string:
		groups = []string{g}
	}
	email := str("email")
	verified, set := claims["email_verified"].(bool)
	verified = email != "" && (verified || !set)
	id := Identity{Name: email}
	if !verified {
		id.Name = cmpOr(str("preferred_username"), str("name"), str("sub"))
	}
	for _, r := range cfg.Roles {
		if (r.Group != "" && slices.Contains(groups, r.Group)) || (r.Email != "" && verified && strings.EqualFold(r.Email, email)) {
			id.Scopes = union(id.Scopes, r.Scopes)
			if slices.Contains(r.Scopes, scopePromotions) {
				id.Limits = append(id.Limits, Limit{Applications: r.Applications, Environments: r.Environments})
			}
		}
	}
	if len(id.Scopes) == 0 {
		return id, errNoRole
	}
	return id, nil
}

func cmpOr(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func union(a, b []string) []string {
	for _, v := range b {
		if !slices.Contains(a, v) {
			a = append(a, v)
		}
	}
	return a
}

// oidcLogin sends the browser to the provider's login, with a fresh state,
// nonce and PKCE challenge.
func (c *Console) oidcLogin(w http.ResponseWriter, r *http.Request) {
	_, oc, err := c.signOn.discover(r.Context())
	if err != nil {
		c.log.Warn("console: single sign-on", zap.Error(err))
		c.showSignin(w, r, http.StatusServiceUnavailable, "Single sign-on is unavailable: Ferry cannot reach "+c.signOn.cfg.Issuer+". Try again, or sign in with a token.")
		return
	}
	id, f := c.signOn.start()
	c.setCookieLax(w, r, oidcCookie, id, int(oidcFlowTTL.Seconds()))
	http.Redirect(w, r, oc.AuthCodeURL(f.state, oidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)), http.StatusFound)
}

// oidcCallback finishes a sign-in: the state must be this browser's, the
// code is exchanged with the PKCE verifier, the ID token is verified
// (signature, issuer, audience, expiry) and must carry the flow's nonce.
func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request) {
	// A refusal is shown on the sign-in page after a redirect, as a
	// one-time message kept on the server: the provider's code leaves the
	// address bar, and a reload does not send it again.
	refuse := func(status int, msg string, err error) {
		c.log.Info("console: single sign-on refused", zap.Int("status", status), zap.String("why", msg), zap.Error(err))
		id, _ := c.signOn.start()
		c.signOn.setMessage(id, msg)
		c.setCookieLax(w, r, oidcCookie, id, 60)
		http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
	}
	ck, err := r.Cookie(oidcCookie)
	if err != nil {
		refuse(http.StatusBadRequest, "Sign-in expired or started in another browser. Try again.", err)
		return
	}
	f, ok := c.signOn.take(ck.Value)
	q := r.URL.Query()
	if !ok || !equalSecret(q.Get("state"), f.state) {
		refuse(http.StatusBadRequest, "Sign-in refused: its state does not match this browser's. Try again.", nil)
		return
	}
	if e := q.Get("error"); e != "" {
		refuse(http.StatusUnauthorized, "The provider did not sign you in: "+e+".", nil)
		return
	}
	p, oc, err := c.signOn.discover(r.Context())
	if err != nil {
		refuse(http.StatusServiceUnavailable, "Single sign-on is unavailable: Ferry cannot reach "+c.signOn.cfg.Issuer+".", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), oidcTimeout)
	defer cancel()
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.verifier))
	if err != nil {
		refuse(http.StatusUnauthorized, "Sign-in refused: the provider did not accept the code.", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		refuse(http.StatusUnauthorized, "Sign-in refused: the provider sent no ID token.", nil)
		return
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: c.signOn.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		refuse(http.StatusUnauthorized, "Sign-in refused: the ID token did not verify.", err)
		return
	}
	if !equalSecret(idt.Nonce, f.nonce) {
		refuse(http.StatusUnauthorized, "Sign-in refused: the ID token's nonce is not this sign-in's.", nil)
		return
	}
	id, err := c.signOn.identity(idt)
	if errors.Is(err, errNoRole) {
		refuse(http.StatusForbidden, id.Name+" is in no group Ferry's console maps to a role: ask an operator to add one.", nil)
		return
	}
	if err != nil {
		refuse(http.StatusUnauthorized, "Sign-in refused: the ID token's claims are unreadable.", err)
		return
	}
	c.setCookieLax(w, r, oidcCookie, "", -1)
	sid, _ := c.sessions.createFor(id)
	c.setCookieLax(w, r, sessionCookie, sid, int(c.cfg.SessionTTL.Seconds()))
	c.log.Info("console: signed in with single sign-on", zap.String("user", id.Name), zap.Strings("scopes", id.Scopes))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
