package registry

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/ferryhq/ferry/internal/derrors"
)

var (
	digestRE = regexp.MustCompile(`^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$`)
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// componentRE is the distribution spec's path component grammar, which
	// is stricter than go-containerregistry's character check.
	componentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
)

// ParseRepository parses an image repository strictly: lowercase, without a
// tag or digest, naming its registry explicitly or defaulting to docker.io.
func ParseRepository(s string) (name.Repository, error) {
	invalid := func(why string) (name.Repository, error) {
		return name.Repository{}, derrors.New(derrors.Invalid, "invalid_image", "invalid image repository %q: %s", s, why)
	}
	switch {
	case s == "":
		return invalid("it is empty")
	case s != strings.ToLower(s):
		return invalid("it must be lowercase")
	case strings.Contains(s, "://"):
		return invalid("it must not carry a scheme")
	case strings.Contains(s, "@"):
		return invalid("it must not carry a digest; send the digest separately")
	case strings.ContainsAny(s, " \t\r\n"):
		return invalid("it must not contain white space")
	}
	repo, err := name.NewRepository(s)
	if err != nil {
		// A tag lands in the repository path, which does not allow ':'.
		if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
			return invalid("it must not carry a tag; send the tag separately")
		}
		return invalid(err.Error())
	}
	for _, c := range strings.Split(repo.RepositoryStr(), "/") {
		if !componentRE.MatchString(c) {
			return invalid(fmt.Sprintf("path component %q must be lowercase letters and digits separated by '.', '_', '__' or '-'", c))
		}
	}
	return repo, nil
}

// CheckTag returns an invalid_tag error unless tag is a valid tag: 1 to 128
// of [A-Za-z0-9_.-], not starting with '.' or '-'. repository is named in
// the error.
func CheckTag(repository, tag string) error {
	if !tagRE.MatchString(tag) {
		return derrors.New(derrors.Invalid, "invalid_tag", "invalid tag %q for %s: want 1 to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'", tag, repository)
	}
	return nil
}

// CheckDigest returns an invalid_digest error unless digest is empty or a
// sha256 or sha512 digest in lowercase hex. repository is named in the error.
func CheckDigest(repository, digest string) error {
	if digest != "" && !digestRE.MatchString(digest) {
		return derrors.New(derrors.Invalid, "invalid_digest", "invalid digest %q for %s: want sha256: and 64 lowercase hex digits, or sha512: and 128", digest, repository)
	}
	return nil
}
