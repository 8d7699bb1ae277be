package hostcontract

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Subset cuts a host's published OpenAPI description (JSON) down to ops,
// each "METHOD /path" as the description spells the path, and the
// components they reference, directly or not. Examples are dropped: they
// are documentation, and validation needs only the schemas. note goes into
// info.description so that the vendored file says where it came from.
// The output is indented JSON with sorted keys, so a regenerated subset
// diffs cleanly.
func Subset(full []byte, ops []string, note string) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(full, &doc); err != nil {
		return nil, fmt.Errorf("reading the description: %w", err)
	}
	paths, _ := doc["paths"].(map[string]any)
	components, _ := doc["components"].(map[string]any)
	outPaths := map[string]any{}
	for _, op := range ops {
		method, path, ok := strings.Cut(op, " ")
		if !ok {
			return nil, fmt.Errorf("operation %q is not \"METHOD /path\"", op)
		}
		item, _ := paths[path].(map[string]any)
		operation, ok := item[strings.ToLower(method)]
		if !ok {
			return nil, fmt.Errorf("the description has no %s", op)
		}
		kept, _ := outPaths[path].(map[string]any)
		if kept == nil {
			kept = map[string]any{}
			if params, ok := item["parameters"]; ok {
				kept["parameters"] = params
			}
			outPaths[path] = kept
		}
		kept[strings.ToLower(method)] = dropExamples(operation)
	}
	// Follow $refs until no new component is named.
	outComponents := map[string]any{}
	queue := refs(outPaths)
	seen := map[string]bool{}
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		if seen[ref] {
			continue
		}
		seen[ref] = true
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		if len(parts) != 2 {
			return nil, fmt.Errorf("unexpected reference %q", ref)
		}
		section, _ := components[parts[0]].(map[string]any)
		v, ok := section[parts[1]]
		if !ok {
			return nil, fmt.Errorf("the description has no %s", ref)
		}
		v = dropExamples(v)
		out, _ := outComponents[parts[0]].(map[string]any)
		if out == nil {
			out = map[string]any{}
			outComponents[parts[0]] = out
		}
		out[parts[1]] = v
		queue = append(queue, refs(v)...)
	}
	info, _ := doc["info"].(map[string]any)
	sub := map[string]any{
		"openapi": doc["openapi"],
		"info": map[string]any{
			"title":       info["title"],
			"version":     info["version"],
			"description": note,
		},
		"servers":    doc["servers"],
		"paths":      outPaths,
		"components": outComponents,
	}
	b, err := json.MarshalIndent(sub, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// refs returns the component references in v, in a stable order.
func refs(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok && strings.HasPrefix(r, "#/components/") {
				out = append(out, r)
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(v[k])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// dropExamples returns v without "example" and "examples" members of
// media types, parameters and schemas.
func dropExamples(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if (k == "examples" || k == "example") && !isSchema(e) {
				continue
			}
			out[k] = dropExamples(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = dropExamples(e)
		}
		return out
	}
	return v
}

// isSchema tells a schema (a property that happens to be named "example"
// or "examples") from an example.
func isSchema(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if r, ok := m["$ref"].(string); ok {
		return strings.HasPrefix(r, "#/components/schemas/")
	}
	for _, k := range []string{"type", "oneOf", "anyOf", "allOf"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}
