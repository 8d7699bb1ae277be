package promotion

import (
	"fmt"

	"github.com/ferryhq/ferry/internal/gitrepo"
	"github.com/ferryhq/ferry/internal/unidiff"
)

// maxDiff bounds the diff kept with a promotion and shown in its pull
// request: an image edit is a few lines; a file Ferry rewrote wholesale
// (line endings) must not bloat every row and every PR body. 16 KiB is
// far above any image edit and well under hosts' PR body limits (GitHub's
// is 64 KiB).
const maxDiff = 16 << 10

// editDiff is the unified diff of the item's edit: the file as the edit
// found it (in files, earlier edits of the batch, or in the snapshot) to out.
func editDiff(s gitrepo.Snapshot, files map[string][]byte, path string, out []byte) string {
	old, ok := files[path]
	if !ok {
		old, _ = s.ReadFile(path) // applyTarget read it: it exists
	}
	return bounded(unidiff.Diff(path, old, out))
}

// bounded cuts d to maxDiff at a line end, saying how much was left out.
func bounded(d string) string {
	if len(d) <= maxDiff {
		return d
	}
	cut := maxDiff
	for cut > 0 && d[cut-1] != '\n' {
		cut--
	}
	return d[:cut] + fmt.Sprintf("[diff truncated: %d of %d bytes shown]\n", cut, len(d))
}
