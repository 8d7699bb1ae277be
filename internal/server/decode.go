package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/internal/derrors"
)

var errBodyTooLarge = errors.New("body too large")

// maxJSONDepth bounds nesting; a build report is flat.
const maxJSONDepth = 16

// decodeJSON reads a JSON object body strictly into v: a size limit,
// UTF-8 only, bounded nesting, no unknown fields, no trailing data.
func decodeJSON(c *gin.Context, limit int64, v any) error {
	if ct := c.ContentType(); ct != "" && ct != "application/json" {
		return derrors.New(derrors.Invalid, "invalid_json", "Content-Type must be application/json, not %q", ct)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return derrors.Wrap(errBodyTooLarge, derrors.TooLarge, "body_too_large",
				"request body is over the limit of %d bytes", limit)
		}
		return derrors.Wrap(err, derrors.Invalid, "invalid_json", "reading request body")
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
	return nil
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
		return derrors.New(derrors.Invalid, "invalid_field", "field %q must be a %s, not %s", typ.Field, typ.Type, typ.Value)
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
