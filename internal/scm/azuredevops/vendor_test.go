package azuredevops_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"

	"github.com/ferryhq/ferry/internal/scm/hostcontract"
)

// openapiSource is a directory holding Azure DevOps' published
// descriptions to regenerate the vendored subset from:
//
//	git clone https://github.com/MicrosoftDocs/vsts-rest-api-specs && cd vsts-rest-api-specs && git checkout adb28786
//	mkdir /tmp/az && cp specification/git/7.1/git.json specification/policy/7.1/policy.json /tmp/az/
//	go test ./internal/scm/azuredevops -run TestVendoredOpenAPI -openapi-source=/tmp/az
var openapiSource = flag.String("openapi-source", "", "directory with Azure DevOps' git.json and policy.json (7.1) to regenerate testdata/openapi from")

// openapiVersion names where the vendored subset was cut from.
const openapiVersion = "MicrosoftDocs/vsts-rest-api-specs adb28786 (specification/git/7.1/git.json, specification/policy/7.1/policy.json)"

// azureOperations are every operation the provider calls, as the
// descriptions spell them (their casing differs between resources).
var azureOperations = []string{
	"GET /{organization}/{project}/_apis/git/repositories/{repositoryId}/pullrequests",
	"POST /{organization}/{project}/_apis/git/repositories/{repositoryId}/pullrequests",
	"GET /{organization}/{project}/_apis/git/repositories/{repositoryId}/pullrequests/{pullRequestId}",
	"PATCH /{organization}/{project}/_apis/git/repositories/{repositoryId}/pullrequests/{pullRequestId}",
	"GET /{organization}/{project}/_apis/git/repositories/{repositoryId}/pullRequests/{pullRequestId}/iterations",
	"GET /{organization}/{project}/_apis/git/repositories/{repositoryId}/pullRequests/{pullRequestId}/threads",
	"POST /{organization}/{project}/_apis/git/repositories/{repositoryId}/pullRequests/{pullRequestId}/threads",
	"GET /{organization}/{project}/_apis/git/repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses",
	"GET /{organization}/{project}/_apis/policy/evaluations",
}

var subsetPath = filepath.Join("testdata", "openapi", "dev.azure.com.subset.json")

// TestVendoredOpenAPI regenerates the subset with -openapi-source; without
// it, it checks that the subset holds exactly azureOperations.
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
	if want := slices.Sorted(slices.Values(azureOperations)); !slices.Equal(got, want) {
		t.Errorf("the vendored subset holds\n %q\nwant\n %q\nregenerate it (see openapiSource)", got, want)
	}
	if !strings.Contains(doc.Info.Description, openapiVersion) {
		t.Errorf("the vendored subset does not say it comes from %s", openapiVersion)
	}
}

// regenerate converts both Swagger 2.0 descriptions to OpenAPI 3, joins
// them (their shared schemas, such as IdentityRef, are the same), and
// cuts the subset.
func regenerate(t *testing.T, dir string) {
	joined := map[string]any{}
	for _, name := range []string{"git.json", "policy.json"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var v2 openapi2.T
		if err := json.Unmarshal(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")), &v2); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v3, err := openapi2conv.ToV3(&v2)
		if err != nil {
			t.Fatalf("%s: converting to OpenAPI 3: %v", name, err)
		}
		b, err := json.Marshal(v3)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		merge(joined, doc)
	}
	full, err := json.Marshal(joined)
	if err != nil {
		t.Fatal(err)
	}
	note := "The operations Ferry's Azure DevOps provider calls, cut from " + openapiVersion +
		" (converted from Swagger 2.0 with kin-openapi's openapi2conv) by hostcontract.Subset; see TestVendoredOpenAPI in internal/scm/azuredevops."
	sub, err := hostcontract.Subset(full, azureOperations, note)
	if err != nil {
		t.Fatal(err)
	}
	// The operations name the security schemes, which Subset keeps only
	// when referenced by $ref.
	var doc map[string]any
	if err := json.Unmarshal(sub, &doc); err != nil {
		t.Fatal(err)
	}
	doc["components"].(map[string]any)["securitySchemes"] = joined["components"].(map[string]any)["securitySchemes"]
	fixWire(doc)
	if sub, err = json.MarshalIndent(doc, "", "  "); err != nil {
		t.Fatal(err)
	}
	sub = append(sub, '\n')
	if err := os.MkdirAll(filepath.Dir(subsetPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(subsetPath, sub, 0o644); err != nil {
		t.Fatal(err)
	}
}

// merge adds src's maps into dst, keeping dst's value where both have one.
func merge(dst, src map[string]any) {
	for k, v := range src {
		d, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		dm, ok1 := d.(map[string]any)
		sm, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			merge(dm, sm)
		}
	}
}

// fixWire corrects two places where the Swagger schemas disagree with the
// wire, as the same repository's httpExamples show it (e.g.
// httpExamples/pullRequestStatuses/GET_git_pullRequestStatuses_statuses.json
// and httpExamples/pullRequests/POST__git_repositories__repositoryId__pullRequests.json):
// a collection comes wrapped as {"count": n, "value": [...]}, not as a
// bare array, and creating a pull request answers 201, not 200. It also
// adds the two answers every operation can give that the description
// leaves out: 429 with Retry-After when the organization's rate limit is
// spent (https://learn.microsoft.com/azure/devops/integrate/concepts/rate-limits)
// and 203 with the sign-in page for a bad personal access token.
func fixWire(doc map[string]any) {
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			resps, ok := op.(map[string]any)["responses"].(map[string]any)
			if !ok {
				continue
			}
			resps["429"] = map[string]any{"description": "rate limited; Retry-After says for how long"}
			resps["203"] = map[string]any{"description": "sign-in page: the token was refused"}
			ok200, _ := resps["200"].(map[string]any)
			if ok200 == nil {
				continue
			}
			if content, ok := ok200["content"].(map[string]any); ok {
				for _, mt := range content {
					m := mt.(map[string]any)
					if schema, ok := m["schema"].(map[string]any); ok && schema["type"] == "array" {
						m["schema"] = map[string]any{"type": "object", "properties": map[string]any{
							"count": map[string]any{"type": "integer"}, "value": schema,
						}}
					}
				}
			}
			if method == "post" && strings.HasSuffix(path, "/pullrequests") {
				resps["201"] = ok200
				delete(resps, "200")
			}
		}
	}
}
