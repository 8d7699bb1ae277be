package github

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/scm/hostcontract"
)

// openapiSource is GitHub's published description to regenerate the
// vendored subset and the fake's templates from:
//
//	npm pack @octokit/openapi@23.0.2 && tar xzf octokit-openapi-23.0.2.tgz
//	go test ./internal/scm/github -run TestVendoredOpenAPI -openapi-source=$PWD/package/generated/api.github.com.json
var openapiSource = flag.String("openapi-source", "", "GitHub's api.github.com.json to regenerate testdata/openapi and githubfake/templates from")

// openapiVersion names the package the vendored files were cut from.
const openapiVersion = "@octokit/openapi 23.0.2 (generated/api.github.com.json)"

// githubOperations are every operation Ferry's GitHub provider calls, as
// GitHub's description spells them. A new call must be added here, and the
// subset regenerated, or the host-contract test fails on it.
var githubOperations = []string{
	"GET /repos/{owner}/{repo}/pulls",
	"POST /repos/{owner}/{repo}/pulls",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}",
	"PATCH /repos/{owner}/{repo}/pulls/{pull_number}",
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
	"PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge",
	"GET /repos/{owner}/{repo}/commits/{ref}/status",
	"GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
	"POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
	"GET /repos/{owner}/{repo}/collaborators/{username}/permission",
	"GET /repos/{owner}/{repo}/branches/{branch}",
	"GET /repos/{owner}/{repo}/rules/branches/{branch}",
	"GET /repos/{owner}/{repo}/issues/{issue_number}/events",
	"GET /orgs/{org}/teams/{team_slug}/memberships/{username}",
	"POST /app/installations/{installation_id}/access_tokens",
}

// deploymentOperations are the calls of internal/notify's github-deployment
// channel (deployment status on a source commit); its test holds them to
// the same vendored subset.
var deploymentOperations = []string{
	"GET /repos/{owner}/{repo}/deployments",
	"POST /repos/{owner}/{repo}/deployments",
	"POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
}

// vendoredOperations are what the subset holds.
func vendoredOperations() []string {
	return append(slices.Clone(githubOperations), deploymentOperations...)
}

var subsetPath = filepath.Join("testdata", "openapi", "api.github.com.subset.json")

// fakeTemplates are the fake's answer templates, GitHub's own examples
// from the description: file name under githubfake/templates → the
// example's name and, for a list, the index of its first item or the
// member holding the list.
var fakeTemplates = map[string][]any{
	"pull.json":               {"pull-request"},
	"pull-simple.json":        {"pull-request-simple-items", 0},
	"review.json":             {"pull-request-review-items", 0},
	"combined-status.json":    {"combined-commit-status"},
	"check-run.json":          {"check-run-paginated", "check_runs", 0},
	"issue-comment.json":      {"issue-comment"},
	"merge-result.json":       {"pull-request-merge-result-response-if-merge-was-successful"},
	"branch.json":             {"branch-get"},
	"permission.json":         {"repository-collaborator-permission-response-if-user-has-admin-permissions"},
	"installation-token.json": {"installation-token"},
	"issue-event.json":        {"issue-event-for-issue-items", 0},
	"team-membership.json":    {"team-membership-response-if-user-is-a-team-maintainer"},
}

// TestVendoredOpenAPI regenerates the vendored files with -openapi-source;
// without it, it checks that the subset holds exactly vendoredOperations.
func TestVendoredOpenAPI(t *testing.T) {
	if *openapiSource != "" {
		regenerate(t, *openapiSource)
	}
	b, err := os.ReadFile(subsetPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Info  struct{ Description string }
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for path, item := range doc.Paths {
		for method := range item {
			if method != "parameters" {
				got = append(got, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(vendoredOperations()))
	if !slices.Equal(got, want) {
		t.Errorf("the vendored subset holds\n %q\nwant\n %q\nregenerate it (see openapiSource)", got, want)
	}
	if !strings.Contains(doc.Info.Description, openapiVersion) {
		t.Errorf("the vendored subset does not say it comes from %s", openapiVersion)
	}
}

func regenerate(t *testing.T, source string) {
	full, err := os.ReadFile(source)
	if err != nil {
		t.Fatal(err)
	}
	note := "The operations Ferry's GitHub provider calls, cut from " + openapiVersion +
		" (GitHub's REST description with Octokit's additions) by hostcontract.Subset; see TestVendoredOpenAPI in internal/scm/github."
	sub, err := hostcontract.Subset(full, vendoredOperations(), note)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(subsetPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(subsetPath, sub, 0o644); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(full, &doc); err != nil {
		t.Fatal(err)
	}
	examples := doc.(map[string]any)["components"].(map[string]any)["examples"].(map[string]any)
	for name, path := range fakeTemplates {
		v := examples[path[0].(string)].(map[string]any)["value"]
		for _, step := range path[1:] {
			switch step := step.(type) {
			case string:
				v = v.(map[string]any)[step]
			case int:
				v = v.([]any)[step]
			}
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		if err := os.WriteFile(filepath.Join("githubfake", "templates", name), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
