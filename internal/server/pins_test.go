package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/promotion"
)

// testPins (part of TestAPI): a pin shows in GET /api/v1/pins and in the
// application's status; DELETE /api/v1/pins/{application}/{environment}
// needs the promote scope for that application and environment, ends the
// pin (kept with ended=true) and is 404 not_pinned once nothing is pinned.
func testPins(t *testing.T, h *harness) {
	ctx := context.Background()
	page, err := h.store.ListReleases(ctx, promotion.ReleaseFilter{Application: "payments", Limit: 1})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("no release of payments to pin: %v", err)
	}
	rel := page.Items[0]
	pin, err := h.engine.Pin(ctx, promotion.PinRequest{Application: "payments", Environment: "prod", Release: rel.ID,
		Reason: "1.4.3 breaks checkout"}, "alice")
	if err != nil {
		t.Fatal(err)
	}

	var list api.PinList
	decode(t, h.do(t, request{method: http.MethodGet, path: "/api/v1/pins?application=payments", token: tokRead}), http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].ID != pin.ID || list.Items[0].ReleaseID != rel.ID || !list.Items[0].Active ||
		!strings.HasPrefix(list.Items[0].Held, "pinned by alice at ") || !strings.HasSuffix(list.Items[0].Held, ": 1.4.3 breaks checkout") {
		t.Errorf("GET /api/v1/pins = %+v", list.Items)
	}
	decode(t, h.do(t, request{method: http.MethodGet, path: "/api/v1/pins?environment=stage", token: tokRead}), http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Errorf("pins of stage = %+v, want none", list.Items)
	}
	var app api.Application
	decode(t, h.do(t, request{method: http.MethodGet, path: "/api/v1/applications/payments", token: tokRead}), http.StatusOK, &app)
	for _, e := range app.Environments {
		if pinned := e.Pin != nil && e.Pin.ID == pin.ID; pinned != (e.Name == "prod") {
			t.Errorf("status of %s: pin %+v", e.Name, e.Pin)
		}
	}

	res := h.do(t, request{method: http.MethodGet, path: "/api/v1/pins?ended=maybe", token: tokRead, invalid: true})
	wantProblem(t, res, http.StatusBadRequest, "invalid_field")
	for _, tc := range []struct {
		name, token string
		status      int
		code        string
	}{
		{"a read token", tokRead, http.StatusForbidden, "forbidden"},
		{"another application's promoter", tokCheckout, http.StatusForbidden, "forbidden"},
		{"another environment's promoter", tokStage, http.StatusForbidden, "forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := h.do(t, request{method: http.MethodDelete, path: "/api/v1/pins/payments/prod", token: tc.token})
			wantProblem(t, res, tc.status, tc.code)
		})
	}
	res = h.do(t, request{method: http.MethodDelete, path: "/api/v1/pins/payments/prod", token: tokPromoter,
		body: `{"reason":"` + strings.Repeat("x", 1001) + `"}`, invalid: true})
	wantProblem(t, res, http.StatusBadRequest, "invalid_field")

	var ended api.Pin
	decode(t, h.do(t, request{method: http.MethodDelete, path: "/api/v1/pins/payments/prod", token: tokPromoter,
		body: `{"reason":"fixed in 1.4.4"}`}), http.StatusOK, &ended)
	if ended.Active || ended.EndedBy != "promoter" || ended.EndReason != "fixed in 1.4.4" || ended.EndedAt == nil {
		t.Errorf("DELETE answered %+v", ended)
	}
	res = h.do(t, request{method: http.MethodDelete, path: "/api/v1/pins/payments/prod", token: tokPromoter})
	wantProblem(t, res, http.StatusNotFound, "not_pinned")
	decode(t, h.do(t, request{method: http.MethodGet, path: "/api/v1/pins?application=payments&ended=true", token: tokRead}), http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Active || list.Items[0].EndReason != "fixed in 1.4.4" {
		t.Errorf("pin history = %+v", list.Items)
	}
}
