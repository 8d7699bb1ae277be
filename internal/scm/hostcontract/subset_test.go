package hostcontract

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

const tinyDoc = `{
 "openapi": "3.0.3",
 "info": {"title": "Tiny", "version": "1"},
 "paths": {
  "/a/{id}": {
   "parameters": [{"$ref": "#/components/parameters/id"}],
   "get": {"responses": {"200": {"description": "ok", "content": {"application/json": {
     "schema": {"$ref": "#/components/schemas/a"},
     "examples": {"default": {"$ref": "#/components/examples/a"}}}}}}},
   "delete": {"responses": {"204": {"description": "gone"}}}
  },
  "/b": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/b"}}}}}}}
 },
 "components": {
  "parameters": {"id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}},
  "schemas": {
   "a": {"type": "object", "properties": {"user": {"$ref": "#/components/schemas/user"}, "examples": {"type": "array", "items": {"type": "string"}}}, "example": {"user": {}}},
   "user": {"type": "object", "properties": {"login": {"type": "string"}}},
   "b": {"type": "string"}
  },
  "examples": {"a": {"value": {"user": {"login": "octocat"}}}}
 }
}`

// Subset keeps the named operations, their path's parameters and every
// component they reach; other operations, unreached components and
// examples go, while a property that happens to be named "examples" stays.
func TestSubset(t *testing.T) {
	t.Parallel()
	out, err := Subset([]byte(tinyDoc), []string{"GET /a/{id}"}, "cut for a test")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Info       struct{ Description string }
		Paths      map[string]map[string]any
		Components map[string]map[string]any
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(doc.Paths["/a/{id}"])); !slices.Equal(got, []string{"get", "parameters"}) {
		t.Errorf("/a/{id} keeps %q, want get and parameters", got)
	}
	if _, ok := doc.Paths["/b"]; ok {
		t.Error("an operation not asked for is kept")
	}
	if got := slices.Sorted(maps.Keys(doc.Components["schemas"])); !slices.Equal(got, []string{"a", "user"}) {
		t.Errorf("schemas %q, want a and user", got)
	}
	if _, ok := doc.Components["parameters"]["id"]; !ok {
		t.Error("the path parameter's component is missing")
	}
	if _, ok := doc.Components["examples"]; ok || strings.Contains(string(out), `"example"`) {
		t.Errorf("examples are kept:\n%s", out)
	}
	if !strings.Contains(string(out), `"examples": {`) {
		t.Error("the property named examples was dropped")
	}
	if doc.Info.Description != "cut for a test" {
		t.Errorf("description %q", doc.Info.Description)
	}
	if _, err := Subset([]byte(tinyDoc), []string{"POST /a/{id}"}, ""); err == nil {
		t.Error("an operation the description lacks is accepted")
	}
}
