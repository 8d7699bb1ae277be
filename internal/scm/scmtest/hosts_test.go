package scmtest_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/ferryhq/ferry/internal/scm/azuredevops/azurefake"
	"github.com/ferryhq/ferry/internal/scm/bitbucket/bitbucketfake"
	"github.com/ferryhq/ferry/internal/scm/bitbucketdc/dcfake"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

// harnesses are the hosts whose fakes serve the shared model. GitHub's,
// GitLab's and Gitea's fakes replay scripted answers per test, so the
// table cannot drive them; their own tests cover the same behaviour.
var harnesses = []scmtest.Harness{
	bitbucketfake.Harness(),
	dcfake.Harness(),
	azurefake.Harness(),
}

var total scmtest.Result

// TestProviders runs the whole table against every host.
func TestProviders(t *testing.T) {
	for _, h := range harnesses {
		t.Run(h.Host, func(t *testing.T) {
			r := scmtest.Run(t, h)
			total.Cases += r.Cases
			total.Failed += r.Failed
		})
	}
}

// TestMain prints one summary line once every host ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if total.Cases > 0 {
		fmt.Printf("providers: hosts=%d cases=%d failed=%d\n", len(harnesses), total.Cases, total.Failed)
	}
	os.Exit(code)
}
