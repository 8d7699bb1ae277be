package server

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
)

const (
	scopeBuilds     = config.ScopeBuildsWrite
	scopePromotions = config.ScopePromotionsWrite
	scopeRead       = config.ScopeRead
	scopeStatuses   = config.ScopeStatusesWrite
)

// Token is an API token as configured, known by its hash only.
type Token struct {
	Name         string
	Scopes       []string
	Applications []string
	Environments []string
}

// mayPromote refuses, as 403 forbidden naming what, a promote, approve or
// cancel outside the token's applications or environments. A token that
// lists none may act on all.
func (t *Token) mayPromote(app, env string) error {
	if len(t.Applications) > 0 && !slices.Contains(t.Applications, "*") && !slices.Contains(t.Applications, app) {
		return derrors.New(derrors.Forbidden, "forbidden",
			"token %q may not promote application %q (its applications: %s)", t.Name, app, strings.Join(t.Applications, ", "))
	}
	if len(t.Environments) > 0 && !slices.Contains(t.Environments, "*") && !slices.Contains(t.Environments, env) {
		return derrors.New(derrors.Forbidden, "forbidden",
			"token %q may not promote into environment %q (its environments: %s)", t.Name, env, strings.Join(t.Environments, ", "))
	}
	return nil
}

// Actor returns who the token speaks for.
func (t *Token) Actor() promotion.Actor {
	return promotion.Actor{Name: t.Name, Applications: t.Applications}
}

// anonymous is who reads when anonymous reads are allowed.
var anonymous = &Token{Name: "anonymous", Scopes: []string{scopeRead}}

// Tokens looks up API tokens by the SHA-256 of their value. It can be
// replaced at run time (rotation without restart).
type Tokens struct {
	mu     sync.RWMutex
	byHash map[string]*Token
}

// NewTokens builds the lookup from the configured tokens.
func NewTokens(ts []config.Token) *Tokens {
	t := &Tokens{}
	t.Replace(ts)
	return t
}

// Replace swaps in a new set of tokens.
func (t *Tokens) Replace(ts []config.Token) {
	m := make(map[string]*Token, len(ts))
	for _, c := range ts {
		m[strings.ToLower(c.SHA256)] = &Token{Name: c.Name, Scopes: c.Scopes, Applications: c.Applications, Environments: c.Environments}
	}
	t.mu.Lock()
	t.byHash = m
	t.mu.Unlock()
}

// Lookup returns the token whose hash matches value. The lookup is by
// SHA-256, so comparing hashes leaks nothing useful about the token.
func (t *Tokens) Lookup(value string) (*Token, bool) {
	h := HashToken(value)
	t.mu.RLock()
	defer t.mu.RUnlock()
	tok, ok := t.byHash[h]
	return tok, ok
}

// HashToken returns the hex SHA-256 of a token, as configured in tokens[].sha256.
func HashToken(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// authenticate requires a valid bearer token.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		if h == "" && s.cfg.AnonymousRead && c.Request.Method == "GET" {
			if s.limitAnonymous(c); c.IsAborted() {
				return
			}
			c.Set(ctxToken, anonymous)
			c.Next()
			return
		}
		scheme, value, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(value) == "" {
			if s.limitAnonymous(c); c.IsAborted() {
				return
			}
			c.Header("WWW-Authenticate", `Bearer realm="ferry"`)
			_ = c.Error(derrors.New(derrors.Unauthenticated, "unauthorized",
				"an Authorization: Bearer <token> header is required"))
			c.Abort()
			return
		}
		tok, ok := s.tokens.Lookup(strings.TrimSpace(value))
		if !ok {
			if s.limitAnonymous(c); c.IsAborted() {
				return
			}
			c.Header("WWW-Authenticate", `Bearer realm="ferry", error="invalid_token"`)
			_ = c.Error(derrors.New(derrors.Unauthenticated, "unauthorized", "the bearer token is not valid"))
			c.Abort()
			return
		}
		if !s.allow(c, "token:"+tok.Name) {
			return
		}
		c.Set(ctxToken, tok)
		c.Next()
	}
}

// require allows the request only if the token has scope.
func (s *Server) require(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok := token(c)
		if !slices.Contains(tok.Scopes, scope) {
			_ = c.Error(derrors.New(derrors.Forbidden, "forbidden",
				"token %q lacks the %s scope", tok.Name, scope))
			c.Abort()
			return
		}
		c.Next()
	}
}

func token(c *gin.Context) *Token {
	return c.MustGet(ctxToken).(*Token)
}
