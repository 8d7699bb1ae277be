package console

import (
	"net/http"
	"slices"
)

// scopePromotions lets a token approve, cancel and promote (config.ScopePromotionsWrite).
const scopePromotions = "promotions:write"

// viewer is who looks at a page: a signed-in token, or anonymous.
type viewer struct {
	Identity
	SignedIn bool
	CSRF     string
	// SessionID is the session cookie's value when signed in.
	sessionID string
}

// mayAct reports whether the viewer may approve, cancel or promote app in
// env: the promotions:write scope, and one limit that allows both.
func (v viewer) mayAct(app, env string) bool {
	return v.SignedIn && slices.Contains(v.Scopes, scopePromotions) &&
		slices.ContainsFunc(v.Limits, func(l Limit) bool { return l.allows(app, env) })
}

// notAllowed says why the viewer may not act on app in env.
func (v viewer) notAllowed(app, env string) string {
	if !slices.Contains(v.Scopes, scopePromotions) {
		return "Refused: " + v.Name + " has no promotions:write scope, so may not approve, cancel or promote."
	}
	return "Refused: " + v.Name + " may not approve, cancel or promote " + app + " in " + env +
		" (outside the applications and environments its token or role allows)."
}

// viewerOf returns the request's viewer. A session whose token no longer
// authenticates (rotated or removed) is signed out.
func (c *Console) viewerOf(w http.ResponseWriter, r *http.Request) viewer {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return viewer{}
	}
	ss, ok := c.sessions.get(ck.Value)
	if ok && ss.identity != nil {
		return viewer{Identity: *ss.identity, SignedIn: true, CSRF: ss.csrf, sessionID: ck.Value}
	}
	if ok {
		if id, ok := c.auth(ss.token); ok {
			return viewer{Identity: id, SignedIn: true, CSRF: ss.csrf, sessionID: ck.Value}
		}
		c.sessions.remove(ck.Value)
	}
	c.setCookie(w, r, sessionCookie, "", -1)
	return viewer{}
}

type handler func(w http.ResponseWriter, r *http.Request, v viewer)

// read serves a page to a signed-in viewer, or to anyone when anonymous
// reads are on; others are sent to sign in.
func (c *Console) read(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := c.viewerOf(w, r)
		if !v.SignedIn && !c.cfg.AnonymousRead {
			// Nothing is shown without a token: the board's address asks
			// for one, other pages refuse.
			status := http.StatusUnauthorized
			if r.URL.Path == "/" {
				status = http.StatusOK
			}
			c.showSignin(w, r, status, "")
			return
		}
		h(w, r, v)
	}
}

// write serves a state-changing request: a signed-in viewer, from this
// origin, with the session's CSRF token in the form.
func (c *Console) write(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		v := c.viewerOf(w, r)
		if !v.SignedIn {
			c.refuse(w, r, v, http.StatusUnauthorized, "Sign in first: this needs an API token.")
			return
		}
		if !sameOrigin(r) || !equalSecret(r.PostFormValue(csrfField), v.CSRF) {
			c.log.Info("console: request refused: CSRF token missing or wrong")
			c.refuse(w, r, v, http.StatusForbidden, "Refused: the form's CSRF token is missing or wrong. Reload the page and try again.")
			return
		}
		h(w, r, v)
	}
}
