package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
)

// TestProviderTimeoutFromConfig configures repositories[].provider.timeout
// and points each hosted provider at a host that never answers: a call
// gives up at the configured 300ms, far before the 15s default, with the
// domain error of a host that did not answer.
func TestProviderTimeoutFromConfig(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
	}))
	defer slow.Close()

	for _, kind := range []string{config.ProviderGitHub, config.ProviderGitLab, config.ProviderGitea} {
		t.Run(kind, func(t *testing.T) {
			yaml := fmt.Sprintf(`repositories:
  - url: https://git.example.com/acme/envs.git
    auth: {token: t0k3n}
    provider:
      kind: %s
      url: %s
      token: api-t0k3n
      webhookSecret: s3cr3t
      timeout: %s
`, kind, slow.URL, timeout)
			cfg, err := config.ParseServer(strings.NewReader(yaml))
			if err != nil {
				t.Fatal(err)
			}
			p, err := newProvider(cfg.Repositories[0].Provider)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = p.Get(context.Background(), 1)
			took := time.Since(start)
			if e, ok := derrors.As(err); !ok || e.Kind != derrors.Unavailable {
				t.Errorf("Get() on a host that never answers = %v, want a derrors.Unavailable error", err)
			}
			// The configured deadline, not the default: well under 15s.
			if took < timeout || took > 5*time.Second {
				t.Errorf("Get() gave up after %s, want the configured %s", took.Round(time.Millisecond), timeout)
			}
		})
	}
}
