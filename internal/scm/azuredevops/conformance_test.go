package azuredevops_test

import (
	"testing"

	"github.com/ferryhq/ferry/internal/scm/azuredevops/azurefake"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	scmtest.Run(t, azurefake.Harness())
}
