package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/store"
)

// testDeliveries lists the outbox's deliveries of the builds accepted
// earlier and sends a dead one again: same id, pending from attempt one.
func testDeliveries(t *testing.T, h *harness) {
	ctx := context.Background()
	if _, err := h.store.DispatchEvents(ctx, time.Now(), 1000, func(store.Event) []string { return []string{"ops"} }); err != nil {
		t.Fatal(err)
	}
	ds, err := h.store.ClaimDeliveries(ctx, "test", time.Now(), time.Minute, 1)
	if err != nil || len(ds) != 1 {
		t.Fatalf("ClaimDeliveries() = %d, %v; want one from the builds accepted before", len(ds), err)
	}
	if err := h.store.FinishDelivery(ctx, "test", ds[0].ID, time.Now(), store.Outcome{State: store.DeliveryDead, Error: "the destination answered 410"}); err != nil {
		t.Fatal(err)
	}

	r := h.do(t, request{method: http.MethodGet, path: "/api/v1/deliveries?state=dead", token: tokRead})
	var list struct {
		Items []struct {
			ID, State, Destination, Event string
			LastError                     string `json:"last_error"`
		}
	}
	if err := json.Unmarshal(r.body, &list); err != nil || r.status != http.StatusOK {
		t.Fatalf("GET deliveries: %d %s", r.status, r.body)
	}
	if len(list.Items) != 1 || list.Items[0].ID != ds[0].ID || list.Items[0].LastError != "the destination answered 410" || list.Items[0].Destination != "ops" {
		t.Fatalf("dead deliveries %+v", list.Items)
	}

	// Only a release manager may redeliver.
	if r := h.do(t, request{method: http.MethodPost, path: "/api/v1/deliveries/" + ds[0].ID + "/redeliver", token: tokRead}); r.status != http.StatusForbidden {
		t.Errorf("redeliver with a read token: %d", r.status)
	}
	r = h.do(t, request{method: http.MethodPost, path: "/api/v1/deliveries/" + ds[0].ID + "/redeliver", token: tokPromoter})
	var d struct {
		ID, State string
		Attempts  int
	}
	if err := json.Unmarshal(r.body, &d); err != nil || r.status != http.StatusAccepted || d.ID != ds[0].ID || d.State != "pending" || d.Attempts != 0 {
		t.Fatalf("redeliver: %d %s", r.status, r.body)
	}
	if r := h.do(t, request{method: http.MethodPost, path: "/api/v1/deliveries/dlv_none/redeliver", token: tokPromoter}); r.status != http.StatusNotFound {
		t.Errorf("redeliver of an unknown id: %d %s", r.status, r.body)
	}
	if r := h.do(t, request{method: http.MethodGet, path: "/api/v1/deliveries?state=lost", token: tokRead, invalid: true}); r.status != http.StatusBadRequest {
		t.Errorf("unknown state: %d %s", r.status, r.body)
	}
}
