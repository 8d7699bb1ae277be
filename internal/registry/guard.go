package registry

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// refusedError is returned when a request would leave the registry's allowed
// hosts, which happens only when a registry redirects Ferry or points its
// token realm elsewhere.
type refusedError struct {
	host string
	why  string
	// tokenService says the host is the registry's token service (the realm
	// of its Bearer challenge), not a redirect target.
	tokenService bool
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("refusing request to %s: %s", e.host, e.why)
}

// refuseRealm checks the token service a 401 points to. It is refused here,
// where the challenge arrives, rather than when go-containerregistry asks
// for a token: that library refuses some realms itself (private addresses)
// with an error that says neither "allowlist" nor which host, and Ferry
// then could only call the registry unreachable.
func (g *guard) refuseRealm(resp *http.Response) error {
	if resp.StatusCode != http.StatusUnauthorized {
		return nil
	}
	for _, h := range resp.Header.Values("WWW-Authenticate") {
		scheme, params, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "bearer") {
			continue
		}
		realm := challengeParam(params, "realm")
		if realm == "" {
			continue
		}
		u, err := url.Parse(realm)
		if err != nil || u.Host == "" {
			return &refusedError{host: realm, why: "the token service's address does not parse", tokenService: true}
		}
		if host := strings.ToLower(u.Host); !g.policy.hosts[host] {
			return &refusedError{host: host, tokenService: true,
				why: fmt.Sprintf("the token service of registry %s is not an allowed host", g.policy.registry.RegistryStr())}
		}
	}
	return nil
}

// challengeParam returns the value of key in a WWW-Authenticate challenge's
// parameters (key="value", comma-separated), or "".
func challengeParam(params, key string) string {
	for _, kv := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok && strings.EqualFold(k, key) {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// guard is the innermost round tripper of one Resolve call. Every request
// go-containerregistry sends, including pings, token fetches and followed
// redirects, passes through it, so it is the single place where the
// allowlist is enforced. It also keeps the response headers that
// go-containerregistry's errors do not carry.
type guard struct {
	policy *policy
	base   http.RoundTripper
	// maxBody, when positive, bounds every response body (see limitBody).
	maxBody int64

	mu         sync.Mutex
	retryAfter string // Retry-After of the last 429 or 503
	gotDigest  string // Docker-Content-Digest of the last successful manifest GET
}

// errPlainHTTPOnly answers go-containerregistry's HTTPS ping of a registry
// configured Insecure (plain HTTP): it tries HTTPS first for every call,
// which against a plain HTTP registry costs a new connection, a TLS
// handshake the registry cannot answer and a round trip, on every report.
// Failing it here, before the network, sends the ping straight over HTTP.
var errPlainHTTPOnly = errors.New("registry is configured for plain HTTP (insecure): no HTTPS ping")

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	host := strings.ToLower(req.URL.Host)
	if req.URL.Scheme == "https" && req.URL.Path == "/v2/" && g.policy.host.Insecure && host == g.policy.registry.RegistryStr() {
		return nil, errPlainHTTPOnly
	}
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
	if err := g.refuseRealm(resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	if g.maxBody > 0 {
		if resp, err = limitBody(resp, g.maxBody); err != nil {
			return nil, err
		}
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
