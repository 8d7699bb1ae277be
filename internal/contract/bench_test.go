package contract

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		New(b)
	}
}

// BenchmarkHandler measures what the checker adds to one build request.
func BenchmarkHandler(b *testing.B) {
	h := New(b).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/api/v1/releases/r1")
		writeJSON(w, "application/json", http.StatusAccepted, buildResponse())
	}))
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/v1/builds", strings.NewReader(goodBody))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer x")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
}
