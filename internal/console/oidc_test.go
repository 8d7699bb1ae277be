package console

import (
	"errors"
	"slices"
	"testing"
)

func TestMapIdentity(t *testing.T) {
	cfg := OIDC{GroupsClaim: "groups", Roles: []Role{
		{Group: "release-managers", Scopes: []string{"read", "promotions:write"}, Applications: []string{"payments"}},
		{Group: "staging-deployers", Scopes: []string{"promotions:write"}, Applications: []string{"web"}, Environments: []string{"staging"}},
		{Group: "readers", Scopes: []string{"read"}},
		{Email: "oncall@example.com", Scopes: []string{"read", "promotions:write"}},
	}}
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   Identity
		err    error
	}{
		{"group maps to scopes and applications",
			map[string]any{"sub": "1", "email": "carla@example.com", "email_verified": true, "groups": []any{"release-managers"}},
			Identity{Name: "carla@example.com", Scopes: []string{"read", "promotions:write"}, Limits: []Limit{{Applications: []string{"payments"}}}}, nil},
		{"each write role is its own limit",
			map[string]any{"sub": "6", "email": "sam@example.com", "groups": []any{"release-managers", "staging-deployers"}},
			Identity{Name: "sam@example.com", Scopes: []string{"read", "promotions:write"},
				Limits: []Limit{{Applications: []string{"payments"}}, {Applications: []string{"web"}, Environments: []string{"staging"}}}}, nil},
		{"roles add up",
			map[string]any{"sub": "2", "email": "oncall@example.com", "groups": []any{"readers"}},
			Identity{Name: "oncall@example.com", Scopes: []string{"read", "promotions:write"}, Limits: []Limit{{}}}, nil},
		{"an unverified email names no one and grants nothing",
			map[string]any{"sub": "3", "email": "oncall@example.com", "email_verified": false, "preferred_username": "mallory"},
			Identity{Name: "mallory"}, errNoRole},
		{"no mapped group",
			map[string]any{"sub": "4", "email": "nadia@example.com", "groups": []any{"interns"}},
			Identity{Name: "nadia@example.com"}, errNoRole},
		{"groups as one string",
			map[string]any{"sub": "5", "email": "rory@example.com", "groups": "readers"},
			Identity{Name: "rory@example.com", Scopes: []string{"read"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mapIdentity(cfg, tc.claims)
			if !errors.Is(err, tc.err) || got.Name != tc.want.Name || !slices.Equal(got.Scopes, tc.want.Scopes) ||
				!slices.EqualFunc(got.Limits, tc.want.Limits, func(a, b Limit) bool {
					return slices.Equal(a.Applications, b.Applications) && slices.Equal(a.Environments, b.Environments)
				}) {
				t.Fatalf("mapIdentity = %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}
