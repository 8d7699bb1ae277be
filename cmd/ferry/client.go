package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ferryhq/ferry/api"
)

// client talks to a Ferry server's API.
type client struct {
	base  string
	token string
	http  *http.Client
	// err, when set, is returned by every call: $FERRY_CACERT did not load.
	err error
}

func newClient(server, token string, timeout time.Duration) *client {
	if server == "" {
		server = os.Getenv("FERRY_SERVER")
	}
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	if token == "" {
		token = os.Getenv("FERRY_TOKEN")
	}
	c := &client{base: strings.TrimRight(server, "/"), token: token, http: &http.Client{Timeout: timeout}}
	if ca := os.Getenv("FERRY_CACERT"); ca != "" {
		c.err = c.trustCA(ca)
	}
	return c
}

// trustCA makes the client trust the CA certificates in the PEM file at
// path, in addition to the system's: for a Ferry serving HTTPS with a
// certificate of a private CA.
func (c *client) trustCA(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading CA certificates: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return fmt.Errorf("reading CA certificates: no PEM certificate in %s", path)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.http.Transport = t
	return nil
}

// problemError is a problem answer from the server.
type problemError struct {
	status     int
	problem    api.Problem
	retryAfter string
}

func (e *problemError) Error() string {
	if e.problem.Code != "" {
		return fmt.Sprintf("%d %s: %s", e.status, e.problem.Code, e.problem.Detail)
	}
	return fmt.Sprintf("HTTP %d", e.status)
}

// temporary reports whether trying again later may succeed: the server or
// a dependency is unavailable, or the same request (a retry after a crash,
// say) is still held by an earlier attempt, which Retry-After says when to
// look at again.
func (e *problemError) temporary() bool {
	return e.status == http.StatusServiceUnavailable || e.status == http.StatusTooManyRequests ||
		e.status == http.StatusBadGateway || e.status == http.StatusGatewayTimeout ||
		e.problem.Code == "request_in_flight"
}

// do sends a request and decodes a 2xx JSON answer into out. It returns the
// status code, and a *problemError for 4xx/5xx.
func (c *client) do(ctx context.Context, method, path string, body any, headers map[string]string, out any) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 400 {
		pe := &problemError{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
		_ = json.Unmarshal(b, &pe.problem)
		return resp.StatusCode, pe
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding answer: %w", err)
		}
	}
	return resp.StatusCode, nil
}

// exitCode maps a client error to the documented exit codes:
// 1 refused by the server, 3 server unreachable or unavailable.
func exitCode(err error) int {
	var pe *problemError
	if errors.As(err, &pe) && !pe.temporary() {
		return 1
	}
	return 3
}
