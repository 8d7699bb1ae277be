package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ferryhq/ferry/internal/derrors"
)

// maxAnswer bounds how much of a host's answer is read.
const maxAnswer = 8 << 20

// JSONAPI sends JSON requests to a Git host's REST API for the hosts whose
// official client Ferry does not use. It owns the request's shape (JSON in
// and out, Accept, User-Agent) and the reading of the answer; the host
// supplies its credentials and how its error bodies read.
type JSONAPI struct {
	// Name is the host as messages say it ("Bitbucket").
	Name string
	// Client sends the requests: outbound's transport, with its budget,
	// allowlist and retry rules.
	Client *http.Client
	// Auth adds the credentials to a request.
	Auth func(*http.Request)
	// Answer, when set, looks at a response before its status is; a
	// non-nil error stops the call (Azure DevOps answers a bad token with
	// 203 and a sign-in page).
	Answer func(resp *http.Response, doing string) error
	// StatusError maps a status of 300 or more, with the body the host
	// sent, to a domain error that says what was being done.
	StatusError func(code int, body []byte, doing string) error
}

// Do sends method url with in as JSON (when not nil) and decodes a 2xx
// answer into out (when not nil). Failures say what was being done (doing);
// the host's message is kept, the request's headers (the token) never.
func (a JSONAPI) Do(ctx context.Context, method, url string, in, out any, doing string) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s: encoding the request: %w", doing, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	if a.Auth != nil {
		a.Auth(req)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ferry")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.Client.Do(req)
	if err != nil {
		return Error(err, "%s", doing)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return Error(err, "%s: reading the answer", doing)
	}
	if a.Answer != nil {
		if err := a.Answer(resp, doing); err != nil {
			return err
		}
	}
	if resp.StatusCode >= 300 {
		return a.StatusError(resp.StatusCode, b, doing)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return derrors.Wrap(err, derrors.Unavailable, "scm_unavailable", "%s: %s answered with unexpected JSON", doing, a.Name)
		}
	}
	return nil
}
