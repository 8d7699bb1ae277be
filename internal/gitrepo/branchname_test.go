package gitrepo

import (
	"context"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
)

// TestInvalidBranchIsPermanent: a branch name Git refuses, or reads as
// another ref (HEAD, refs/tags/v1), is refused before any Git work as a
// domain error of kind Invalid, which the promotion worker fails at once
// instead of retrying.
func TestInvalidBranchIsPermanent(t *testing.T) {
	t.Parallel()
	r := openRepo(t, Config{URL: newBare(t, envFiles())})
	for _, b := range []string{"../../evil", "HEAD", "refs/tags/v1", "refs/heads/main", "a..b", "-x", "x.lock", "a b", "x:y", "@", "a/", "a@{1}", ""} {
		if ValidateBranchName(b) == nil {
			t.Errorf("ValidateBranchName(%q) = nil, want an error", b)
		}
		_, err := r.Commit(context.Background(), b, setFiles("m\n", map[string]string{"x": "x"}))
		if de, ok := derrors.As(err); !ok || de.Kind != derrors.Invalid || de.Code != CodeInvalidBranch {
			t.Errorf("Commit to %q: %v, want kind Invalid, code %s", b, err, CodeInvalidBranch)
		}
	}
	for _, b := range []string{"main", "release/v1.2", "env/prod", "feature_x-y", "HEADS"} {
		if err := ValidateBranchName(b); err != nil {
			t.Errorf("ValidateBranchName(%q) = %v, want nil", b, err)
		}
	}
}
