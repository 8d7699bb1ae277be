package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/internal/derrors"
)

// maxJSONDepth bounds nesting; a build report is flat.
const maxJSONDepth = 16

// decodeJSON reads a JSON object body strictly into v: a size limit,
// UTF-8 only, bounded nesting, no unknown fields, no trailing data.
func decodeJSON(c *gin.Context, limit int64, v any) error {
	if ct := c.ContentType(); ct != "" && ct != "application/json" {
		return derrors.New(derrors.Invalid, "invalid_json", "Content-Type must be application/json, not %q", ct)
	}
	body, err := readBody(c, limit)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return derrors.New(derrors.Invalid, "invalid_json", "request body is empty; a JSON object is required")
	}
	if !utf8.Valid(body) {
		return derrors.New(derrors.Invalid, "invalid_json", "request body is not valid UTF-8")
	}
	if d := jsonDepth(body); d > maxJSONDepth {
		return derrors.New(derrors.Invalid, "invalid_json", "request body nests deeper than %d levels", maxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return derrors.New(derrors.Invalid, "invalid_json", "request body has data after the JSON object")
	}
	return exactMembers(body, v)
}

// readBody reads the request body, at most limit bytes: over it, a 413
// body_too_large.
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, derrors.New(derrors.TooLarge, "body_too_large",
				"request body is over the limit of %d bytes", limit)
		}
		return nil, derrors.Wrap(err, derrors.Invalid, "invalid_json", "reading request body")
	}
	return body, nil
}

// exactMembers refuses what encoding/json lets through: a body that is not
// an object (null), a member name that matches a field of v only when case
// is ignored, and a member given twice (which other parsers may read
// differently).
func exactMembers(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return derrors.New(derrors.Invalid, "invalid_json", "request body must be a JSON object")
	}
	known := jsonNames(reflect.TypeOf(v))
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		key, _ := tok.(string)
		switch {
		case !known[key]:
			return derrors.New(derrors.Invalid, "unknown_field", "unknown field %q", key)
		case seen[key]:
			return derrors.New(derrors.Invalid, "invalid_json", "field %q appears twice", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return jsonError(err)
		}
	}
	return nil
}

// jsonNames returns the JSON member names of the struct t points to.
func jsonNames(t reflect.Type) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case name == "":
			names[f.Name] = true
		default:
			names[name] = true
		}
	}
	return names
}

// jsonDepth returns the deepest nesting of objects and arrays, ignoring strings.
func jsonDepth(b []byte) int {
	depth, maxDepth, inStr, esc := 0, 0, false, false
	for _, ch := range b {
		switch {
		case esc:
			esc = false
		case inStr && ch == '\\':
			esc = true
		case ch == '"':
			inStr = !inStr
		case inStr:
		case ch == '{' || ch == '[':
			depth++
			maxDepth = max(maxDepth, depth)
		case ch == '}' || ch == ']':
			depth--
		}
	}
	return maxDepth
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return derrors.New(derrors.Invalid, "invalid_json", "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return derrors.New(derrors.Invalid, "invalid_json", "request body must be a JSON object")
		}
		return derrors.New(derrors.Invalid, "invalid_json", "field %q must be a %s, not %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return derrors.New(derrors.Invalid, "invalid_json", "malformed JSON: the body ends early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return derrors.New(derrors.Invalid, "unknown_field", "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return derrors.New(derrors.Invalid, "invalid_json", "malformed JSON: %s", err.Error())
}

// fieldError is a 400 naming the field.
func fieldError(field, format string, args ...any) error {
	return derrors.New(derrors.Invalid, "invalid_field", "%s: %s", field, fmt.Sprintf(format, args...))
}
