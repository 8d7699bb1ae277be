package contract

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ferryhq/ferry/openapi"
)

func TestDocumentValidates(t *testing.T) {
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec)
	if err != nil {
		t.Fatalf("loading: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("validating: %v", err)
	}
}

func TestOperations(t *testing.T) {
	doc := New(t).Doc()
	want := map[string]string{
		"POST /api/v1/builds":                             "createBuild",
		"POST /api/v1/hooks/{sender}/builds":              "createBuildFromWebhook",
		"GET /api/v1/releases":                            "listReleases",
		"POST /api/v1/release-sets":                       "createSetRelease",
		"GET /api/v1/release-sets":                        "listSetReleases",
		"GET /api/v1/release-sets/{id}":                   "getSetRelease",
		"POST /api/v1/release-sets/{id}/promote":          "promoteSetRelease",
		"GET /api/v1/releases/{id}":                       "getRelease",
		"GET /api/v1/promotions":                          "listPromotions",
		"GET /api/v1/promotions/{id}":                     "getPromotion",
		"POST /api/v1/promotions":                         "createPromotion",
		"POST /api/v1/promotions/{id}/approve":            "approvePromotion",
		"POST /api/v1/promotions/{id}/cancel":             "cancelPromotion",
		"POST /api/v1/scm/{repo}/webhook":                 "receiveSCMWebhook",
		"GET /api/v1/applications":                        "listApplications",
		"GET /api/v1/applications/{name}":                 "getApplication",
		"GET /api/v1/deliveries":                          "listDeliveries",
		"POST /api/v1/deliveries/{id}/redeliver":          "redeliverDelivery",
		"POST /api/v1/statuses":                           "postStatus",
		"GET /api/v1/pins":                                "listPins",
		"DELETE /api/v1/pins/{application}/{environment}": "deletePin",
		"GET /api/v1/metrics/dora":                        "getDoraMetrics",
		"GET /healthz":                                    "getHealthz",
		"GET /readyz":                                     "getReadyz",
		"GET /metrics":                                    "getMetrics",
		"GET /":                                           "getIndex",
		"GET /openapi.yaml":                               "getOpenAPI",
	}
	got := make(map[string]string)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			got[key] = op.OperationID
			t.Run(key, func(t *testing.T) {
				if len(op.Tags) == 0 || op.Summary == "" || op.Description == "" {
					t.Errorf("tags %v, summary %q, description %q: want all three", op.Tags, op.Summary, op.Description)
				}
				checkSecurity(t, doc, path, op)
				wantStatus := []string{"500"}
				switch {
				case strings.HasPrefix(path, "/api/v1/scm/"):
					// A Git host's webhook: its signature is all there is to
					// check, and hosts are not rate limited.
					wantStatus = append(wantStatus, "401", "503")
				case strings.HasPrefix(path, "/api/v1/"):
					wantStatus = append(wantStatus, "401", "403", "429", "503")
				}
				for _, code := range wantStatus {
					if op.Responses.Value(code) == nil {
						t.Errorf("no %s response", code)
					}
				}
				for code, ref := range op.Responses.Map() {
					if n, _ := strconv.Atoi(code); n >= 400 {
						checkProblemResponse(t, code, ref.Value)
					}
				}
			})
		}
	}
	for key, id := range want {
		if got[key] != id {
			t.Errorf("%s: operationId %q, want %q", key, got[key], id)
		}
	}
	if len(got) != len(want) {
		t.Errorf("document has %d operations, want %d: %v", len(got), len(want), got)
	}

	build := doc.Paths.Value("/api/v1/builds").Post
	codes := slices.Sorted(func(yield func(string) bool) {
		for c := range build.Responses.Map() {
			if !yield(c) {
				return
			}
		}
	})
	wantCodes := []string{"200", "202", "400", "401", "403", "404", "409", "413", "422", "429", "500", "503"}
	if !slices.Equal(codes, wantCodes) {
		t.Errorf("createBuild responses %v, want %v", codes, wantCodes)
	}
	for _, c := range []string{"429", "503"} {
		h := build.Responses.Value(c).Value.Headers["Retry-After"]
		if h == nil || !h.Value.Required {
			t.Errorf("createBuild %s: Retry-After not a required header", c)
		}
	}
	if h := build.Responses.Value("202").Value.Headers["Location"]; h == nil || !h.Value.Required {
		t.Errorf("createBuild 202: Location not a required header")
	}
}

// checkSecurity checks /api/v1 needs a bearer token with the right scope
// and nothing else needs one.
func checkSecurity(t *testing.T, doc *openapi3.T, path string, op *openapi3.Operation) {
	t.Helper()
	sec := doc.Security
	if op.Security != nil {
		sec = *op.Security
	}
	// Signed webhooks carry a signature, not a token.
	if !strings.HasPrefix(path, "/api/v1/") || strings.HasPrefix(path, "/api/v1/hooks/") || strings.HasPrefix(path, "/api/v1/scm/") {
		if len(sec) != 0 {
			t.Errorf("security %v outside /api/v1, want none", sec)
		}
		return
	}
	want := "read"
	switch op.OperationID {
	case "createBuild", "createSetRelease":
		want = "builds:write"
	case "createPromotion", "promoteSetRelease", "approvePromotion", "cancelPromotion", "redeliverDelivery", "deletePin":
		want = "promotions:write"
	case "postStatus":
		want = "statuses:write"
	}
	if len(sec) != 1 || !slices.Equal(sec[0]["bearerAuth"], []string{want}) {
		t.Errorf("security %v, want bearerAuth with scope %q", sec, want)
	}
}

// checkProblemResponse checks an error response is a Problem and nothing else.
func checkProblemResponse(t *testing.T, code string, r *openapi3.Response) {
	t.Helper()
	if len(r.Content) != 1 || r.Content["application/problem+json"] == nil {
		t.Errorf("%s: content %v, want application/problem+json only", code, slices.Collect(func(yield func(string) bool) {
			for k := range r.Content {
				if !yield(k) {
					return
				}
			}
		}))
		return
	}
	if ref := r.Content["application/problem+json"].Schema.Ref; ref != "#/components/schemas/Problem" {
		t.Errorf("%s: schema %q, want #/components/schemas/Problem", code, ref)
	}
}

// stableCodes are the problem codes the API promises, with their status.
var stableCodes = map[string]int{
	"invalid_json": 400, "invalid_field": 400, "unknown_field": 400, "body_too_large": 413,
	"unauthorized": 401, "forbidden": 403, "unknown_application": 404, "not_found": 404,
	"invalid_image": 400, "invalid_tag": 400, "invalid_digest": 400,
	"image_not_of_application": 422, "registry_not_allowed": 422, "tag_not_found": 422, "digest_mismatch": 422,
	"registry_unavailable": 503, "registry_auth_failed": 503, "registry_rate_limited": 503,
	"registry_redirect_refused": 503, "registry_digest_inconsistent": 503,
	"git_unavailable": 503, "invalid_cursor": 400, "idempotency_key_reused": 422, "request_in_flight": 409,
	"invalid_idempotency_key": 400, "bad_signature": 401,
	"unknown_environment": 404, "unknown_release": 404, "skips_environment": 422,
	"not_approvable": 409, "not_cancellable": 409, "hosted_pull_request": 409, "promotion_busy": 409,
	"invalid_webhook": 400, "idempotency_key_exhausted": 409, "store_unavailable": 503,
	"rate_limited": 429, "not_ready": 503, "method_not_allowed": 405, "internal": 500,
	"signature_required": 422, "provenance_required": 422, "provenance_source_mismatch": 422,
	"supply_chain_policy_invalid": 422, "not_pinned": 404, "unknown_set": 404, "release_set_refused": 422,
}

// TestProblemCodes checks the Problem description lists exactly the stable
// codes with their status, and every example problem uses one of them with
// its status.
func TestProblemCodes(t *testing.T) {
	doc := New(t).Doc()
	listed := make(map[string]int)
	for _, m := range regexp.MustCompile("(?m)^\\* `([a-z_]+)` \\(([0-9]{3})\\)").FindAllStringSubmatch(doc.Components.Schemas["Problem"].Value.Description, -1) {
		listed[m[1]], _ = strconv.Atoi(m[2])
	}
	for code, status := range stableCodes {
		if listed[code] != status {
			t.Errorf("Problem description lists %q with status %d, want %d", code, listed[code], status)
		}
	}
	for code := range listed {
		if _, ok := stableCodes[code]; !ok {
			t.Errorf("Problem description lists %q, which is not a stable code", code)
		}
	}

	for name, ref := range doc.Components.Responses {
		mt := ref.Value.Content["application/problem+json"]
		if mt == nil || mt.Example == nil {
			t.Errorf("response %s: no problem example", name)
			continue
		}
		b, _ := json.Marshal(mt.Example)
		var p struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
			Title  string `json:"title"`
		}
		if err := json.Unmarshal(b, &p); err != nil || p.Code == "" {
			t.Errorf("response %s: example %s is not a problem with a code (%v)", name, b, err)
			continue
		}
		if stableCodes[p.Code] != p.Status || p.Title != http.StatusText(p.Status) {
			t.Errorf("response %s: example code %q status %d title %q disagree", name, p.Code, p.Status, p.Title)
		}
	}
}

// TestExamples checks every component schema has an example that its own
// schema accepts, and every example of a request or response body is
// accepted by the body's schema.
func TestExamples(t *testing.T) {
	v := New(t)
	for name, ref := range v.Doc().Components.Schemas {
		t.Run("schema "+name, func(t *testing.T) {
			if ref.Value.Example == nil {
				t.Fatal("no example")
			}
			if err := v.visit(ref.Value, ref.Value.Example); err != nil {
				t.Errorf("example does not validate: %v", err)
			}
		})
	}
	checkMedia := func(t *testing.T, content openapi3.Content) {
		for ct, mt := range content {
			if mt.Schema == nil {
				continue
			}
			examples := map[string]any{}
			if mt.Example != nil {
				examples["example"] = mt.Example
			}
			for n, ex := range mt.Examples {
				examples[n] = ex.Value.Value
			}
			for n, ex := range examples {
				if err := v.visit(mt.Schema.Value, ex); err != nil {
					t.Errorf("%s example %s does not validate: %v", ct, n, err)
				}
			}
		}
	}
	for path, item := range v.Doc().Paths.Map() {
		for method, op := range item.Operations() {
			t.Run(method+" "+path, func(t *testing.T) {
				if op.RequestBody != nil {
					checkMedia(t, op.RequestBody.Value.Content)
				}
				for _, r := range op.Responses.Map() {
					checkMedia(t, r.Value.Content)
				}
			})
		}
	}
	for name, r := range v.Doc().Components.Responses {
		t.Run("response "+name, func(t *testing.T) { checkMedia(t, r.Value.Content) })
	}
}

// TestServerCodesAreStable parses package server and fails for a problem
// code it writes (derrors.New, derrors.Wrap, writeProblem with a literal
// code) that is not a stable code, so the list above and the document
// cannot fall behind the handlers. The engine's codes reach callers
// through the server too; the ones callers see are listed by hand above.
func TestServerCodesAreStable(t *testing.T) {
	files, err := filepath.Glob("../server/*.go")
	if err != nil {
		t.Fatal(err)
	}
	codeArg := map[string]int{"New": 1, "Wrap": 2, "writeProblem": 2}
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var fn string
			switch f := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := f.X.(*ast.Ident); ok && x.Name == "derrors" {
					fn = f.Sel.Name
				}
			case *ast.Ident:
				fn = f.Name
			}
			i, ok := codeArg[fn]
			if !ok || len(call.Args) <= i {
				return true
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			code, _ := strconv.Unquote(lit.Value)
			found++
			if _, ok := stableCodes[code]; !ok {
				t.Errorf("%s: package server writes problem code %q, which is not listed as a stable code", filepath.Base(name), code)
			}
			return true
		})
	}
	if found < 20 {
		t.Fatalf("found %d problem codes in package server, want at least 20: is the scan broken?", found)
	}
}
