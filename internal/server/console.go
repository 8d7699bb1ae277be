package server

import (
	"net/http"

	"github.com/ferryhq/ferry/internal/console"
)

// console builds the web console served at / and under /ui/. It signs in
// with the same API tokens as the API, looked up on every request so that
// a removed or rotated token ends its sessions.
func (s *Server) console() http.Handler {
	return console.New(console.Config{Version: s.cfg.Version, AnonymousRead: s.cfg.AnonymousRead,
		PageTimeout: s.cfg.PageTimeout, OIDC: s.cfg.ConsoleOIDC, Dora: s.dora}, s.engine, s.consoleIdentity, s.log)
}

func (s *Server) consoleIdentity(value string) (console.Identity, bool) {
	tok, ok := s.tokens.Lookup(value)
	if !ok {
		return console.Identity{}, false
	}
	return console.Identity{Name: tok.Name, Scopes: tok.Scopes,
		Limits: []console.Limit{{Applications: tok.Applications, Environments: tok.Environments}}}, true
}
