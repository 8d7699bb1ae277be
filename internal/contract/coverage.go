package contract

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func newCoverage(doc *openapi3.T) *coverage {
	c := &coverage{seen: make(map[string]bool)}
	for _, path := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(path).Operations() {
			c.all = append(c.all, op.OperationID)
		}
	}
	slices.Sort(c.all)
	return c
}

func (c *coverage) add(operationID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[operationID] = true
}

// Covered returns the operationIds that requests through Handler were
// routed to, sorted. A request counts whatever its outcome.
func (v *Validator) Covered() []string {
	v.cov.mu.Lock()
	defer v.cov.mu.Unlock()
	var ids []string
	for _, id := range v.cov.all {
		if v.cov.seen[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// Uncovered returns the operationIds of the document that no request
// through Handler was routed to, sorted.
func (v *Validator) Uncovered() []string {
	v.cov.mu.Lock()
	defer v.cov.mu.Unlock()
	var ids []string
	for _, id := range v.cov.all {
		if !v.cov.seen[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// AssertAllCovered fails t, listing them, if some operations of the
// document were never exercised through Handler.
func (v *Validator) AssertAllCovered(t testing.TB) {
	t.Helper()
	if ids := v.Uncovered(); len(ids) > 0 {
		t.Errorf("contract: operations of openapi/ferry.yaml never exercised: %s", strings.Join(ids, ", "))
	}
}
