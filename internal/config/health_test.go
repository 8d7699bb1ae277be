package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const healthPipeline = `
environments:
  - name: dev
  - name: stage
    from: dev
    gates:
      health: %s
applications:
  - name: payments
    image: registry.example.com/acme/payments
    target: {path: "{env}/payments.yaml", kind: kustomize}
`

func TestParsePipelineHealthGate(t *testing.T) {
	p, err := ParsePipeline([]byte(strings.Replace(healthPipeline, "%s",
		`{statuses: ["argocd/{app}-{from}", "e2e/{env}"], for: 10m, timeout: 2h, onFailure: rollback}`, 1)), "main")
	if err != nil {
		t.Fatal(err)
	}
	h := p.Environments[1].Gates.Health
	if h == nil || h.For.D() != 10*time.Minute || h.Timeout.D() != 2*time.Hour || h.OnFailure != OnFailureRollback {
		t.Fatalf("health = %+v", h)
	}
	if got, want := h.Contexts("payments", "dev", "stage"), []string{"argocd/payments-dev", "e2e/stage"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Contexts = %q, want %q", got, want)
	}
}

func TestParsePipelineHealthGateInvalid(t *testing.T) {
	for _, tc := range []struct{ name, health, field string }{
		{"no statuses", `{for: 1m}`, "environments[1].gates.health.statuses"},
		{"empty status", `{statuses: [""]}`, "environments[1].gates.health.statuses[0]"},
		{"unknown placeholder", `{statuses: ["argocd/{application}"]}`, "environments[1].gates.health.statuses[0]"},
		{"negative for", `{statuses: [a], for: -1m}`, "environments[1].gates.health.for"},
		{"timeout shorter than for", `{statuses: [a], for: 10m, timeout: 1m}`, "environments[1].gates.health.timeout"},
		{"unknown onFailure", `{statuses: [a], onFailure: page}`, "environments[1].gates.health.onFailure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePipeline([]byte(strings.Replace(healthPipeline, "%s", tc.health, 1)), "main")
			if err == nil || !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("err = %v, want one naming %s", err, tc.field)
			}
		})
	}
	first := strings.Replace(healthPipeline, "  - name: dev\n", "  - name: dev\n    gates: {health: {statuses: [a]}}\n", 1)
	_, err := ParsePipeline([]byte(strings.Replace(first, "%s", `{statuses: [a]}`, 1)), "main")
	if err == nil || !strings.Contains(err.Error(), "environments[0].gates.health:") {
		t.Fatalf("health on the first environment: err = %v", err)
	}
}
