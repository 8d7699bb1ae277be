package promotion

import (
	"strings"
	"testing"
)

func TestBoundedKeepsSmallDiffsAndCutsLargeOnesAtALine(t *testing.T) {
	small := "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
	if got := bounded(small); got != small {
		t.Errorf("bounded(small) = %q", got)
	}
	large := strings.Repeat("+"+strings.Repeat("x", 99)+"\n", 400) // 40400 bytes
	got := bounded(large)
	body, note, ok := strings.Cut(got, "[diff truncated: ")
	if !ok || len(body) > maxDiff || !strings.HasSuffix(body, "\n") || !strings.HasSuffix(note, " of 40400 bytes shown]\n") {
		t.Errorf("bounded(large): %d bytes, note %q", len(body), note)
	}
}
