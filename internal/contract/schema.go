package contract

import (
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// CheckSchema validates the JSON document data against the component
// schema of that name (e.g. "BuildResponse"), as a response body is
// validated.
func (v *Validator) CheckSchema(name string, data []byte) error {
	ref := v.doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("no schema %q in openapi/ferry.yaml", name)
	}
	var value any
	if err := json.Unmarshal(data, &value); err != nil {
		return fmt.Errorf("decoding JSON for schema %s: %w", name, err)
	}
	return v.visit(ref.Value, value)
}

// visit validates a decoded JSON value with the options requests and
// responses are validated with.
func (v *Validator) visit(s *openapi3.Schema, value any) error {
	opts := append([]openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()}, v.opts.SchemaValidationOptions...)
	return s.VisitJSON(value, opts...)
}
