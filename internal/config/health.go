package config

import (
	"fmt"
	"strings"
)

// Health is the health gate of an environment: commit statuses that must
// be green on the commit that brought the release into the environment it
// is promoted from, e.g.
//
//	health: {statuses: ["argocd/{app}-{from}"], for: 10m, timeout: 2h, onFailure: rollback}
type Health struct {
	// Statuses are the status contexts that must all be success; {app},
	// {from} and {env} are replaced.
	Statuses []string `yaml:"statuses"`
	// For is how long each status must have been success, measured from
	// when it turned success (soak from health, not from the commit).
	For Duration `yaml:"for"`
	// Timeout fails the promotion when the statuses are not green for For
	// this long after the release reached From. Zero waits for ever.
	Timeout Duration `yaml:"timeout"`
	// OnFailure is "" (the promotion fails) or "rollback": the previous
	// release is also promoted back into From, once.
	OnFailure string `yaml:"onFailure"`
}

// OnFailureRollback promotes the previous release back into From when the
// health gate fails.
const OnFailureRollback = "rollback"

// Contexts returns the status contexts with their placeholders replaced.
func (h *Health) Contexts(app, from, env string) []string {
	r := strings.NewReplacer("{app}", app, "{from}", from, "{env}", env)
	out := make([]string, len(h.Statuses))
	for i, s := range h.Statuses {
		out[i] = r.Replace(s)
	}
	return out
}

// validateHealth checks the health gate of environment e (field f).
func validateHealth(errs *fieldErrors, f string, e *Environment) {
	h := e.Gates.Health
	if h == nil {
		return
	}
	f += ".gates.health"
	if e.From == "" {
		errs.add(f, "the first environment has no from environment whose health to check")
	}
	if len(h.Statuses) == 0 {
		errs.add(f+".statuses", "at least one status context is required")
	}
	for i, s := range h.Statuses {
		rest := strings.NewReplacer("{app}", "", "{from}", "", "{env}", "").Replace(s)
		switch {
		case strings.TrimSpace(s) == "":
			errs.add(fmt.Sprintf("%s.statuses[%d]", f, i), "must not be empty")
		case strings.ContainsAny(rest, "{}"):
			errs.add(fmt.Sprintf("%s.statuses[%d]", f, i), "%q has an unknown placeholder (known: {app} {from} {env})", s)
		}
	}
	if h.For < 0 {
		errs.add(f+".for", "must not be negative")
	}
	if h.Timeout < 0 {
		errs.add(f+".timeout", "must not be negative")
	} else if h.Timeout > 0 && h.Timeout < h.For {
		errs.add(f+".timeout", "%s is shorter than for (%s): the gate could never open", h.Timeout.D(), h.For.D())
	}
	if h.OnFailure != "" && h.OnFailure != OnFailureRollback {
		errs.add(f+".onFailure", "%q is not rollback (or empty: the promotion fails)", h.OnFailure)
	}
}
