package azuredevops_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/azuredevops/azurefake"
	"github.com/ferryhq/ferry/internal/scm/hostcontract"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

// TestHostContract runs the conformance table with every request the
// provider sends and every answer of the Azure DevOps fake validated
// against Azure DevOps' published description (testdata/openapi). One
// server serves each case's model in turn, so that one checker sees all.
func TestHostContract(t *testing.T) {
	spec, err := os.ReadFile(subsetPath)
	if err != nil {
		t.Fatal(err)
	}
	var current atomic.Value // http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		current.Load().(http.Handler).ServeHTTP(w, r)
	}))
	defer srv.Close()
	check := hostcontract.New(t, spec, srv.URL)
	client := &http.Client{Transport: check.Transport(srv.Client().Transport)}
	h := azurefake.Harness()
	h.Start = func(t *testing.T, m *scmtest.Model, token string) promotion.Provider {
		current.Store(azurefake.Handler(m))
		return azurefake.NewProvider(t, srv.URL, client, token)
	}
	if r := scmtest.Run(t, h); r.Failed > 0 {
		t.Errorf("%d of %d cases failed", r.Failed, r.Cases)
	}
	if got, want := len(check.Operations()), len(azureOperations); got != want {
		t.Errorf("the table called %d operations, want all %d: %q", got, want, check.Operations())
	}
	t.Log(check.Line("azure-devops"))
}
