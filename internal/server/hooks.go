package server

import (
	"bytes"
	"io"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/stdwebhook"
)

const ctxDelivery = "ferry.delivery"

// Hooks holds the CI senders that sign their build reports (config
// webhooks[]). It can be replaced at run time (secret rotation without
// restart).
type Hooks struct {
	mu      sync.RWMutex
	senders map[string]hookSender
}

type hookSender struct {
	keys  [][]byte
	token *Token // who the sender speaks as: builds:write for its applications
}

// NewHooks builds the senders from the configured webhooks.
func NewHooks(ws []config.Webhook) *Hooks {
	h := &Hooks{}
	h.Replace(ws)
	return h
}

// Replace swaps in a new set of senders. Secrets that do not decode (which
// config validation refuses) are skipped.
func (h *Hooks) Replace(ws []config.Webhook) {
	m := make(map[string]hookSender, len(ws))
	for _, w := range ws {
		s := hookSender{token: &Token{Name: w.Name, Scopes: []string{scopeBuilds}, Applications: w.Applications}}
		for _, sec := range w.Secrets {
			if k, err := stdwebhook.ParseSecret(sec.Value()); err == nil {
				s.keys = append(s.keys, k)
			}
		}
		m[w.Name] = s
	}
	h.mu.Lock()
	h.senders = m
	h.mu.Unlock()
}

func (h *Hooks) sender(name string) (hookSender, bool) {
	if h == nil {
		return hookSender{}, false
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	s, ok := h.senders[name]
	return s, ok
}

// verifyHook authenticates POST /api/v1/hooks/{sender}/…: the sender must
// be configured and the Standard Webhooks signature must hold over the exact
// body within the replay window. The body is read here and handed on
// unchanged; the delivery id becomes the request's idempotency key.
func (s *Server) verifyHook() gin.HandlerFunc {
	return func(c *gin.Context) {
		name := c.Param("sender")
		snd, ok := s.hooks.sender(name)
		if !ok {
			s.limitAnonymous(c)
			if c.IsAborted() {
				return
			}
			_ = c.Error(derrors.New(derrors.Unauthenticated, "bad_signature", "no webhook sender is configured under this name"))
			c.Abort()
			return
		}
		body, err := readBody(c, s.cfg.MaxBodyBytes)
		if err != nil {
			_ = c.Error(err)
			c.Abort()
			return
		}
		h := c.Request.Header
		id := h.Get(stdwebhook.HeaderID)
		if err := stdwebhook.Verify(snd.keys, id, h.Get(stdwebhook.HeaderTimestamp), h.Get(stdwebhook.HeaderSignature), body, s.now()); err != nil {
			// Charged to the caller's address, not to the sender: forged
			// deliveries must not use up the real sender's allowance.
			if s.limitAnonymous(c); c.IsAborted() {
				return
			}
			_ = c.Error(err)
			c.Abort()
			return
		}
		if !s.allow(c, "hook:"+name) {
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		c.Set(ctxToken, snd.token)
		c.Set(ctxDelivery, id)
		c.Next()
	}
}

// now is the server's clock; tests may set Config.Now.
func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}
