package console

import (
	"net/http"
	"strings"
)

type signinData struct {
	page
	Error string
	// SSO names the single sign-on provider; "" without one.
	SSO string
}

func (c *Console) signinForm(w http.ResponseWriter, r *http.Request) {
	msg := ""
	if ck, err := r.Cookie(oidcCookie); err == nil && c.signOn != nil {
		// A single sign-on refused a moment ago says why, once.
		msg = c.signOn.message(ck.Value)
		c.setCookieLax(w, r, oidcCookie, "", -1)
	}
	c.showSignin(w, r, http.StatusOK, msg)
}

func (c *Console) showSignin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := c.viewerOf(w, r)
	csrf := randomString()
	c.setCookie(w, r, signinCookie, csrf, 600)
	v.CSRF = csrf
	d := signinData{page: c.newPage(v, "Sign in"), Error: msg}
	if c.signOn != nil {
		d.SSO = c.signOn.cfg.Name
	}
	c.render(w, status, "signin", d)
}

// signin checks a pasted API token and starts a session for it.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	ck, err := r.Cookie(signinCookie)
	if err != nil || !sameOrigin(r) || !equalSecret(r.PostFormValue(csrfField), ck.Value) {
		c.log.Info("console: sign-in refused: CSRF token missing or wrong")
		c.showSignin(w, r, http.StatusForbidden, "Refused: the form's CSRF token is missing or wrong. Try again.")
		return
	}
	tok := strings.TrimSpace(r.PostFormValue("token"))
	id, ok := c.auth(tok)
	if tok == "" || !ok {
		c.showSignin(w, r, http.StatusUnauthorized, "That token is not valid.")
		return
	}
	sid, _ := c.sessions.create(tok)
	c.setCookie(w, r, sessionCookie, sid, int(c.cfg.SessionTTL.Seconds()))
	c.setCookie(w, r, signinCookie, "", -1)
	c.log.Info("console: signed in", zapName(id.Name))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, v viewer) {
	c.sessions.remove(v.sessionID)
	c.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
