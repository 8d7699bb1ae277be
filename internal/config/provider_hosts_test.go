package config

import (
	"strings"
	"testing"
)

// TestParseServerMoreHosts covers the Bitbucket and Azure DevOps kinds:
// defaults taken from the clone URL, and the fields each needs.
func TestParseServerMoreHosts(t *testing.T) {
	for _, tc := range []struct {
		name, url, provider  string
		wantURL, wantProject string
	}{
		{"bitbucket cloud", "https://bitbucket.org/acme/envs.git", "{kind: bitbucket, token: t, webhookSecret: s}",
			"https://api.bitbucket.org/2.0", "acme/envs"},
		{"bitbucket cloud app password", "https://bitbucket.org/acme/envs.git", "{kind: bitbucket, username: ferry-bot, token: t, webhookSecret: s}",
			"https://api.bitbucket.org/2.0", "acme/envs"},
		{"bitbucket data center", "https://bitbucket.example.com/scm/ACME/envs.git", "{kind: bitbucket-datacenter, url: https://bitbucket.example.com, token: t, webhookSecret: s}",
			"https://bitbucket.example.com", "ACME/envs"},
		{"azure devops", "https://dev.azure.com/acme/platform/_git/envs", "{kind: azure-devops, url: https://dev.azure.com/acme, token: t, webhookUsername: ferry, webhookSecret: s}",
			"https://dev.azure.com/acme", "platform/envs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseServer(strings.NewReader("repositories:\n  - url: " + tc.url + "\n    provider: " + tc.provider + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			p := c.Repositories[0].Provider
			if p.URL != tc.wantURL || p.Project != tc.wantProject {
				t.Errorf("provider url, project = %q, %q; want %q, %q", p.URL, p.Project, tc.wantURL, tc.wantProject)
			}
		})
	}
}

func TestParseServerMoreHostsInvalid(t *testing.T) {
	const repo = "repositories:\n  - url: https://git.example.com/acme/envs.git\n    provider: "
	for _, tc := range []struct {
		name, provider string
		want           []string
	}{
		{"unknown kind", "{kind: bitbucket-server}", []string{`provider.kind: "bitbucket-server" is not builtin, github, gitlab, gitea, bitbucket, bitbucket-datacenter or azure-devops`}},
		{"data center without url", "{kind: bitbucket-datacenter, token: t, webhookSecret: s}", []string{"provider.url: required for bitbucket-datacenter"}},
		{"azure without url", "{kind: azure-devops, token: t, webhookUsername: u, webhookSecret: s}", []string{"provider.url: required for azure-devops"}},
		{"bitbucket without token", "{kind: bitbucket, webhookSecret: s}", []string{"provider.token: required for bitbucket"}},
		{"bitbucket without webhook secret", "{kind: bitbucket, token: t}", []string{"provider.webhookSecret: required"}},
		{"bitbucket project too deep", "{kind: bitbucket, project: a/b/c, token: t, webhookSecret: s}", []string{"provider.project: required: workspace/repo"}},
		{"data center http url", "{kind: bitbucket-datacenter, url: http://bitbucket.example.com, token: t, webhookSecret: s}", []string{"provider.url:", "must be an https URL"}},
		{"azure without webhook user", "{kind: azure-devops, url: https://dev.azure.com/acme, project: p/r, token: t, webhookSecret: s}",
			[]string{"provider.webhookUsername: required for azure-devops"}},
		{"azure with username", "{kind: azure-devops, url: https://dev.azure.com/acme, project: p/r, username: u, token: t, webhookUsername: u, webhookSecret: s}",
			[]string{"provider.username: only for bitbucket and bitbucket-datacenter"}},
		{"webhook user on bitbucket", "{kind: bitbucket, token: t, webhookUsername: u, webhookSecret: s}", []string{"provider.webhookUsername: only for azure-devops"}},
		{"azure project from a non-azure url", "{kind: azure-devops, url: https://dev.azure.com/acme, token: t, webhookUsername: u, webhookSecret: s, project: envs}",
			[]string{"provider.project: required: project/repo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseServer(strings.NewReader(repo + tc.provider + "\n"))
			if err == nil {
				t.Fatalf("ParseServer succeeded, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
