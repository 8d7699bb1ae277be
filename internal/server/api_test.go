package server

import "testing"

// TestAPI drives one whole Ferry through its HTTP API, every request and
// answer checked against openapi/ferry.yaml. The parts run in order on one
// harness: refusals first (nothing may be written), then accepted builds,
// then reads of what they wrote; last, every operation of the document
// must have been exercised.
func TestAPI(t *testing.T) {
	h := newHarness(t, withSets())
	h.waitReady(t)

	t.Run("auth", func(t *testing.T) { testAuth(t, h) })
	t.Run("builds/rejected", func(t *testing.T) { testRejectedBuilds(t, h) })
	t.Run("builds/accepted", func(t *testing.T) { testAcceptedBuilds(t, h) })
	t.Run("reads", func(t *testing.T) { testReads(t, h) })
	t.Run("reads/rejected", func(t *testing.T) { testRejectedReads(t, h) })
	t.Run("anonymous", func(t *testing.T) { testAnonymous(t, h) })
	t.Run("hooks/refused", func(t *testing.T) { testHookRefused(t, h) })
	t.Run("promotions/refused", func(t *testing.T) { testPromotionsRefused(t, h) })
	t.Run("statuses", func(t *testing.T) { testStatuses(t, h) })
	t.Run("pins", func(t *testing.T) { testPins(t, h) })
	t.Run("operations", func(t *testing.T) { testOperations(t, h) })
	t.Run("deliveries", func(t *testing.T) { testDeliveries(t, h) })
	t.Run("dora", func(t *testing.T) { testDora(t, h) })
	t.Run("release-sets", func(t *testing.T) { testReleaseSets(t, h) })

	h.v.AssertAllCovered(t)
}
