package gitrepo

import (
	"errors"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ferryhq/ferry/internal/derrors"
)

// CodeInvalidBranch is the code of the domain error (kind Invalid) for a
// branch name Git would refuse: retrying can never make it valid.
const CodeInvalidBranch = "invalid_branch"

// ValidateBranchName says why name cannot be a branch Ferry writes to, or
// returns nil. It is Git's ref-format rules for refs/heads/<name> (git
// check-ref-format --branch), plus what would change the meaning of a
// refspec ("*", ":", "+") or of the name itself: "HEAD", and names starting
// with "refs/", which would be a branch refs/heads/refs/… that people and
// tools read as another kind of ref. The pipeline loader and every Repo
// method check it, so it has one owner.
func ValidateBranchName(name string) error {
	switch {
	case name == "":
		return errors.New("empty")
	case name == "HEAD":
		return errors.New("HEAD names the checked-out commit, not a branch")
	case strings.HasPrefix(name, "refs/"):
		return errors.New("give the branch's short name, without refs/")
	case strings.ContainsAny(name, "*:+ "):
		return errors.New("contains one of * : + or a space")
	case plumbing.NewBranchReferenceName(name).Validate() != nil:
		return errors.New("breaks Git's ref-format rules (no .., no leading dot, dash or slash, no trailing dot or .lock, no ~ ^ ? [ \\ @{ or control characters)")
	}
	return nil
}

// checkBranch refuses names that ValidateBranchName refuses, as a domain
// error of kind Invalid: a permanent failure, never retried.
func checkBranch(branch string) error {
	if err := ValidateBranchName(branch); err != nil {
		return derrors.Wrap(err, derrors.Invalid, CodeInvalidBranch, "%q is not a valid branch name", branch)
	}
	return nil
}
