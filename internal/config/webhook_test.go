package config

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/stdwebhook"
)

// whsec is a whsec_ secret whose key is n bytes long.
func whsec(n int) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", n)))
}

func TestParseServerWebhooks(t *testing.T) {
	t.Setenv("FERRY_TEST_WHSEC", whsec(32))
	c, err := ParseServer(strings.NewReader(valid + "webhooks:\n  - name: github-actions\n    secrets: [" + whsec(24) +
		", {env: FERRY_TEST_WHSEC}]\n    applications: [payments]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Webhooks) != 1 || c.Webhooks[0].Name != "github-actions" || len(c.Webhooks[0].Secrets) != 2 ||
		c.Webhooks[0].Applications[0] != "payments" {
		t.Fatalf("webhooks = %+v", c.Webhooks)
	}
	for i, want := range []int{24, 32} {
		key, err := stdwebhook.ParseSecret(c.Webhooks[0].Secrets[i].Value())
		if err != nil || len(key) != want {
			t.Errorf("secrets[%d]: key of %d bytes, err %v; want %d bytes", i, len(key), err, want)
		}
	}
	l := c.Limits
	if l.IdempotencyTTL.D() != 24*time.Hour || l.RequestsPerMinute != 600 || l.Burst != 600 {
		t.Errorf("limits defaults: %+v", l)
	}
	c, err = ParseServer(strings.NewReader(valid + "limits: {requestsPerMinute: 60}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.Burst != 60 {
		t.Errorf("burst defaults to %d, want requestsPerMinute (60)", c.Limits.Burst)
	}
}

func TestParseServerWebhooksInvalid(t *testing.T) {
	const secretValue = "whsec_not-base64!!"
	for _, tc := range []struct {
		name string
		yaml string
		want string
	}{
		{"no name", "webhooks:\n  - secrets: [" + whsec(32) + "]\n    applications: ['*']\n", `webhooks[0].name: "" must be lowercase`},
		{"bad name", "webhooks:\n  - name: GitHub/Actions\n    secrets: [" + whsec(32) + "]\n    applications: ['*']\n", `webhooks[0].name: "GitHub/Actions"`},
		{"name twice", "webhooks:\n  - name: ci\n    secrets: [" + whsec(32) + "]\n    applications: ['*']\n  - name: ci\n    secrets: [" + whsec(32) + "]\n    applications: ['*']\n",
			`webhooks[1].name: "ci" is used twice`},
		{"no secrets", "webhooks:\n  - name: ci\n    applications: ['*']\n", "webhooks[0].secrets: at least one"},
		{"secret without prefix", "webhooks:\n  - name: ci\n    secrets: [" + strings.TrimPrefix(whsec(32), "whsec_") + "]\n    applications: ['*']\n",
			"webhooks[0].secrets[0]: must start with whsec_"},
		{"secret not base64", "webhooks:\n  - name: ci\n    secrets: [" + whsec(32) + ", '" + secretValue + "']\n    applications: ['*']\n",
			"webhooks[0].secrets[1]: is not whsec_ followed by standard base64"},
		{"secret too short", "webhooks:\n  - name: ci\n    secrets: [" + whsec(8) + "]\n    applications: ['*']\n",
			"webhooks[0].secrets[0]: must decode to 24 to 64 bytes, not 8"},
		{"no applications", "webhooks:\n  - name: ci\n    secrets: [" + whsec(32) + "]\n", "webhooks[0].applications: required"},
		{"ttl too short", "limits: {idempotencyTTL: 5m}\n", "limits.idempotencyTTL: must be at least 1h"},
		{"rate negative", "limits: {requestsPerMinute: -1}\n", "limits.requestsPerMinute: must be at least 1"},
		{"burst negative", "limits: {burst: -5}\n", "limits.burst: must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseServer(strings.NewReader(valid + tc.yaml))
			if err == nil {
				t.Fatalf("ParseServer succeeded, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secretValue) {
				t.Errorf("error %q shows a secret", err)
			}
		})
	}
}
