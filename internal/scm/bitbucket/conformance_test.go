package bitbucket_test

import (
	"testing"

	"github.com/ferryhq/ferry/internal/scm/bitbucket/bitbucketfake"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	scmtest.Run(t, bitbucketfake.Harness())
}
