package manifest

import (
	"errors"
	"strings"
	"testing"
)

// TestDuplicateKeysRefused: a mapping with the same key twice (a bad merge)
// is invalid YAML; tools that take the last key would deploy something else
// than what Ferry edited. Set and Get refuse, naming the second occurrence.
func TestDuplicateKeysRefused(t *testing.T) {
	t.Parallel()
	kustomize := Target{Kind: Kustomize, Image: "ghcr.io/acme/payments"}
	helm := Target{Kind: Helm}
	manifest := Target{Kind: Manifest, Image: "ghcr.io/acme/payments"}
	tests := []struct {
		name   string
		src    string
		target Target
		line   int
		key    string
	}{
		{"images twice", "images:\n- name: ghcr.io/acme/payments\n  newTag: v1\nresources: [a.yaml]\nimages:\n- name: ghcr.io/acme/payments\n  newTag: v0\n", kustomize, 5, "images"},
		{"newTag twice in an entry", "images:\n- name: ghcr.io/acme/payments\n  newTag: v1\n  newTag: v0\n", kustomize, 4, "newTag"},
		{"flow entry", "images: [{name: ghcr.io/acme/payments, newTag: v1, newTag: v0}]\n", kustomize, 1, "newTag"},
		{"helm tag twice", "image:\n  tag: v1\n  repository: x\n  tag: v0\n", helm, 4, "tag"},
		{"helm parent twice", "image:\n  tag: v1\nimage:\n  tag: v0\n", helm, 3, "image"},
		{"second document", "image: ghcr.io/acme/payments:v1\n---\nspec:\n  image: ghcr.io/acme/payments:v1\n  image: ghcr.io/acme/payments:v0\n", manifest, 5, "image"},
		{"quoted and plain spelling", "image:\n  tag: v1\n  \"tag\": v0\n", helm, 3, "tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, _, err := Set("k.yaml", []byte(tt.src), tt.target, testImage)
			_, gerr := Get("k.yaml", []byte(tt.src), tt.target)
			for _, err := range []error{err, gerr} {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error = %v, want *Error (output %q)", err, out)
				}
				if e.Line != tt.line || !strings.Contains(e.Reason, "duplicate key \""+tt.key+"\"") {
					t.Errorf("error = %q, want line %d and duplicate key %q", e, tt.line, tt.key)
				}
			}
		})
	}
}

// TestDistinctKeysAccepted: keys that only look alike (1 and "1", a merge
// key beside a normal one) are not duplicates.
func TestDistinctKeysAccepted(t *testing.T) {
	t.Parallel()
	src := "ports:\n  1: a\n  \"1\": b\nimage:\n  tag: v1\n"
	if _, _, err := Set("v.yaml", []byte(src), Target{Kind: Helm}, testImage); err != nil {
		t.Fatalf("Set: %v", err)
	}
}
