package contract

import "testing"

func TestNewLoadsDocument(t *testing.T) {
	v := New(t)
	if got := len(v.Uncovered()); got != 12 {
		t.Errorf("document has %d operations, want 12: %v", got, v.Uncovered())
	}
}
