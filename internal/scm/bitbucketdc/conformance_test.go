package bitbucketdc_test

import (
	"testing"

	"github.com/ferryhq/ferry/internal/scm/bitbucketdc/dcfake"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	scmtest.Run(t, dcfake.Harness())
}
