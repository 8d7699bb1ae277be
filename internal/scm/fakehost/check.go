package fakehost

import (
	"slices"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/promotion"
)

// Provider is the configuration of a kind provider for "acme/env" on h,
// holding token and the webhook secret "hook-secret", with a budget of
// 5000 requests a minute so that no test waits for it; each edit then
// changes it.
func (h *Host) Provider(kind, token string, edit ...func(*config.Provider)) config.Provider {
	cfg := config.Provider{
		Kind:              kind,
		URL:               h.URL,
		Project:           "acme/env",
		Token:             config.NewSecret(token),
		WebhookSecret:     config.NewSecret("hook-secret"),
		RequestsPerMinute: 5000,
	}
	for _, e := range edit {
		e(&cfg)
	}
	return cfg
}

// CheckCalls asserts the exact requests h received, in order, as
// "METHOD path?query" strings, and that each carried header set to value
// (the provider's credentials).
func (h *Host) CheckCalls(t testing.TB, header, value string, want ...string) {
	t.Helper()
	if got := h.Calls(); !slices.Equal(got, want) {
		t.Errorf("requests:\n got %q\nwant %q", got, want)
	}
	for _, r := range h.Requests() {
		if got := r.Header.Get(header); got != value {
			t.Errorf("%s: %s = %q, want the token", r, header, got)
		}
	}
}

// CheckNoSecret fails the test if err's message holds secret.
func CheckNoSecret(t testing.TB, err error, secret string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error reveals the token: %v", err)
	}
}

// EqualPR reports whether a and b are the same pull request, their
// UpdatedAt compared as instants, with the same approvals (counted or not,
// and why), change requests and mergeability.
func EqualPR(a, b promotion.PR) bool {
	return a.Number == b.Number && a.URL == b.URL && a.State == b.State && a.Head == b.Head && a.HeadSHA == b.HeadSHA &&
		a.Base == b.Base && a.MergeSHA == b.MergeSHA && a.MergedBy == b.MergedBy && a.ClosedBy == b.ClosedBy &&
		slices.Equal(a.Approvers, b.Approvers) && a.Checks == b.Checks && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.Author == b.Author && slices.Equal(a.Approvals, b.Approvals) && slices.Equal(a.ChangesRequested, b.ChangesRequested) &&
		a.Mergeable == b.Mergeable && a.NotMergeable == b.NotMergeable
}
