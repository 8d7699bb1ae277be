// Package openapi embeds ferry.yaml, the OpenAPI 3.1 document of Ferry's REST
// API: the server serves it at /openapi.yaml and contract tests hold the
// handlers to it.
package openapi

import _ "embed"

// Spec is the OpenAPI 3.1 document, as YAML.
//
//go:embed ferry.yaml
var Spec []byte
