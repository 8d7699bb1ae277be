package gitlab

import (
	"context"
	"testing"

	"github.com/ferryhq/ferry/internal/scm/fakehost"
)

// TestIsMember: a group's members, inherited ones included, are read from
// GET /groups/:id/members/all?query=<user> and matched on the exact
// username; a group GitLab does not show is nobody's.
func TestIsMember(t *testing.T) {
	t.Parallel()
	const members = "/api/v4/groups/acme%2Frelease-managers/members/all"
	h := fakehost.New(t)
	h.On("GET", members+"?query=john_doe").File(t, td("group-members-all.json"))
	h.On("GET", members+"?query=john").File(t, td("group-members-all.json"))
	h.On("GET", members+"?query=mallory").Body("[]")
	h.On("GET", "/api/v4/groups/acme%2Fsecret/members/all?query=john_doe").Status(404).File(t, td("error-not-found.json"))
	p := newProvider(t, h)
	for _, tc := range []struct {
		group, user string
		want        bool
	}{
		{"acme/release-managers", "john_doe", true},
		{"acme/release-managers", "john", false}, // the query matches "John Doe"; the username does not
		{"acme/release-managers", "mallory", false},
		{"acme/secret", "john_doe", false},
	} {
		got, err := p.IsMember(context.Background(), tc.group, tc.user)
		if err != nil || got != tc.want {
			t.Errorf("IsMember(%s, %s) = %v, %v; want %v", tc.group, tc.user, got, err, tc.want)
		}
	}
}
