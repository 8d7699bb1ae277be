package server

import (
	"encoding/json"
	"net/http"

	"github.com/ferryhq/ferry/api"
)

// problemRender writes a problem body without overriding its content type.
type problemRender struct{ p api.Problem }

func (r problemRender) Render(w http.ResponseWriter) error {
	return json.NewEncoder(w).Encode(r.p)
}

func (r problemRender) WriteContentType(http.ResponseWriter) {}
