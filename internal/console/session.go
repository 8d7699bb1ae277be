package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

const (
	// sessionCookie holds the id of a signed-in session. The token itself
	// stays on the server: never in the cookie, the URL or the browser's
	// storage.
	sessionCookie = "ferry_session"
	// signinCookie holds the CSRF value of the sign-in form (double submit),
	// before there is a session.
	signinCookie = "ferry_signin"
	csrfField    = "csrf"
)

// session is one signed-in browser.
type session struct {
	token string // the API token, re-checked on every request
	// identity is a single sign-on's, mapped from the ID token's claims
	// when it was signed in (no token then).
	identity *Identity
	csrf     string
	expires  time.Time
}

// sessions are kept in memory: a restart signs everyone out, and behind a
// load balancer with several replicas the console needs sticky sessions.
type sessions struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]session
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, m: map[string]session{}}
}

func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session for token and returns its id.
func (s *sessions) create(token string) (string, session) {
	return s.add(session{token: token})
}

// createFor starts a session for a single sign-on's identity.
func (s *sessions) createFor(id Identity) (string, session) {
	return s.add(session{identity: &id})
}

func (s *sessions) add(ss session) (string, session) {
	id := randomString()
	ss.csrf, ss.expires = randomString(), time.Now().Add(s.ttl)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for k, v := range s.m { // drop expired sessions as new ones come
		if now.After(v.expires) {
			delete(s.m, k)
		}
	}
	s.m[id] = ss
	return id, ss
}

func (s *sessions) get(id string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[id]
	if !ok || time.Now().After(ss.expires) {
		delete(s.m, id)
		return session{}, false
	}
	return ss, true
}

func (s *sessions) remove(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// setCookie sets an HttpOnly, SameSite=Strict cookie, Secure when the
// request came over TLS (directly or, as a proxy says, in front of Ferry).
func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	c.cookie(w, r, name, value, maxAge, http.SameSiteStrictMode)
}

// setCookieLax sets an HttpOnly, SameSite=Lax cookie, Secure when over
// TLS: single sign-on's, which the provider's redirect back (a cross-site
// navigation) must carry. Every state-changing request still needs the
// session's CSRF token.
func (c *Console) setCookieLax(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	c.cookie(w, r, name, value, maxAge, http.SameSiteLaxMode)
}

func (c *Console) cookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int, site http.SameSite) {
	secure := c.cfg.SecureCookies || r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: secure, SameSite: site})
}

// sameOrigin refuses a cross-site POST outright when the browser names its
// origin: a second line behind the CSRF token and SameSite=Strict.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" && r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return o == scheme+r.Host
}

func equalSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
