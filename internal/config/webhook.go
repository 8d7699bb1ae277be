package config

import (
	"fmt"

	"github.com/ferryhq/ferry/internal/stdwebhook"
)

// Webhook is a CI system that reports builds with requests signed in the
// Standard Webhooks style instead of sending a bearer token.
type Webhook struct {
	// Name identifies the sender: it is the {sender} of
	// POST /api/v1/hooks/{sender}/builds and is recorded as the reporter.
	Name string `yaml:"name"`
	// Secrets are whsec_<base64> signing keys. A signature made with any of
	// them is accepted, so a new secret can be added before the old one is
	// removed (rotation).
	Secrets []Secret `yaml:"secrets"`
	// Applications the sender may report builds for; "*" means all.
	Applications []string `yaml:"applications"`
}

// validateWebhooks checks the webhooks[] entries.
func validateWebhooks(errs *fieldErrors, ws []Webhook) {
	names := map[string]bool{}
	for i, w := range ws {
		f := fmt.Sprintf("webhooks[%d]", i)
		switch {
		case !nameRE.MatchString(w.Name):
			errs.add(f+".name", "%q must be lowercase letters, digits and dashes", w.Name)
		case names[w.Name]:
			errs.add(f+".name", "%q is used twice", w.Name)
		}
		names[w.Name] = true
		if len(w.Secrets) == 0 {
			errs.add(f+".secrets", "at least one whsec_… secret is required")
		}
		for j, s := range w.Secrets {
			// The error names the field and the rule, never the value.
			if _, err := stdwebhook.ParseSecret(s.Value()); err != nil {
				errs.add(fmt.Sprintf("%s.secrets[%d]", f, j), "%v", err)
			}
		}
		if len(w.Applications) == 0 {
			errs.add(f+".applications", "required (list application names, or \"*\")")
		}
	}
}
