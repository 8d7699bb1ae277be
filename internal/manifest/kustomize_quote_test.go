package manifest

import (
	"strings"
	"testing"
)

// TestKustomizeNewEntriesKeepTagsStrings: a tag that YAML would read as a
// number, boolean or null (1.4, 1, 1e5, true, null, 0x1F…) is quoted when
// Ferry writes it into a new images: entry, a new list or a new newTag key,
// so that it reads back as the same string; before, the new entry was
// refused as "internal: the edit would change more than the image values".
func TestKustomizeNewEntriesKeepTagsStrings(t *testing.T) {
	t.Parallel()
	target := Target{Kind: Kustomize, Image: "ghcr.io/acme/payments"}
	files := map[string]string{
		"no images block":        "resources:\n- deployment.yaml\n",
		"empty images":           "images:\nresources: [a.yaml]\n",
		"other entry":            "images:\n- name: ghcr.io/acme/ledger\n  newTag: v2\n",
		"flow list":              "images: [{name: ghcr.io/acme/ledger, newTag: v2}]\n",
		"entry without tag":      "images:\n- name: ghcr.io/acme/payments\n",
		"flow entry without tag": "images:\n- {name: ghcr.io/acme/payments}\n",
	}
	for _, tag := range []string{"1.4", "1", "1e5", "true", "null", "0x1F", "0o17", "1_000", "2001-12-14", "NO", "v1.4"} {
		for name, src := range files {
			t.Run(name+"/"+tag, func(t *testing.T) {
				t.Parallel()
				img := Image{Repository: target.Image, Tag: tag, Digest: testDigest}
				out, _, err := Set("k.yaml", []byte(src), target, img)
				if err != nil {
					t.Fatalf("Set: %v", err)
				}
				got, err := Get("k.yaml", out, target)
				if err != nil {
					t.Fatalf("Get: %v\n%s", err, out)
				}
				if got.Tag != tag || got.Digest != testDigest {
					t.Errorf("read back tag %q digest %q, want %q %q\n%s", got.Tag, got.Digest, tag, testDigest, out)
				}
				if strings.Contains(string(out), "newTag: "+tag+"\n") && !plainString(tag) {
					t.Errorf("tag %s written plain:\n%s", tag, out)
				}
			})
		}
	}
}
