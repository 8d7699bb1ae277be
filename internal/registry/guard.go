package registry

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// refusedError is returned when a request would leave the registry's allowed
// hosts, which happens only when a registry redirects Ferry or points its
// token realm elsewhere.
type refusedError struct {
	host string
	why  string
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("refusing request to %s: %s", e.host, e.why)
}

// guard is the innermost round tripper of one Resolve call. Every request
// go-containerregistry sends, including pings, token fetches and followed
// redirects, passes through it, so it is the single place where the
// allowlist is enforced. It also keeps the response headers that
// go-containerregistry's errors do not carry.
type guard struct {
	policy *policy
	base   http.RoundTripper

	mu         sync.Mutex
	retryAfter string // Retry-After of the last 429 or 503
	gotDigest  string // Docker-Content-Digest of the last successful manifest GET
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	host := strings.ToLower(req.URL.Host)
	if !g.policy.hosts[host] {
		return nil, &refusedError{host: host, why: fmt.Sprintf("not an allowed host for registry %s", g.policy.registry.RegistryStr())}
	}
	if req.URL.Scheme != "https" && !(req.URL.Scheme == "http" && g.policy.allowHTTP) {
		return nil, &refusedError{host: host, why: fmt.Sprintf("scheme %q not allowed; set Insecure for plain HTTP", req.URL.Scheme)}
	}
	resp, err := g.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		g.retryAfter = resp.Header.Get("Retry-After")
	case resp.StatusCode == http.StatusOK && req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/manifests/"):
		g.gotDigest = resp.Header.Get("Docker-Content-Digest")
	}
	return resp, nil
}

func (g *guard) lastRetryAfter() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.retryAfter
}

func (g *guard) manifestDigestHeader() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gotDigest
}
