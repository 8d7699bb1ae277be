package server

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/contract"
	"github.com/ferryhq/ferry/internal/derrors"
)

// fuzzLimit is small so that the size limit is reached now and then.
const fuzzLimit = 1024

// decodeBuild runs a body through what postBuild does before it calls the
// engine: strict decoding, then validation.
func decodeBuild(body []byte) (api.BuildRequest, error) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("POST", "/api/v1/builds", bytes.NewReader(body))
	c.Request.Header.Set("Content-Type", "application/json")
	var req api.BuildRequest
	if err := decodeJSON(c, fuzzLimit, &req); err != nil {
		return req, err
	}
	return req, validateBuild(req)
}

// FuzzDecodeBuild holds the build decoder to three properties: it never
// panics; every refusal is a 400 or 413 domain error with a code; and every
// body it accepts satisfies openapi/ferry.yaml's BuildRequest schema (its
// patterns read from the document, not copied), empty optional fields
// counting as absent.
func FuzzDecodeBuild(f *testing.F) {
	gin.SetMode(gin.ReleaseMode)
	v := contract.New(f)
	pattern := func(schema string) *regexp.Regexp {
		s := v.Doc().Components.Schemas[schema]
		if s == nil || s.Value == nil || s.Value.Pattern == "" {
			f.Fatalf("schema %s has no pattern", schema)
		}
		return regexp.MustCompile(s.Value.Pattern)
	}
	appRE, imageRE, tagRE, digestRE := pattern("ApplicationName"), pattern("ImageRepository"), pattern("Tag"), pattern("Digest")

	f.Add([]byte(`{"application":"payments","image":"registry.example.com/acme/payments","tag":"1.4.2"}`))
	f.Add([]byte(`{"application":"a","image":"a","tag":"_","digest":"sha512:` + strings.Repeat("0", 128) + `"}`))
	f.Add([]byte(`{"application":"payments","image":"localhost:5000/payments","tag":"v1","source_commit":"abcdef0"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeBuild(body)
		if err != nil {
			de, ok := derrors.As(err)
			if !ok {
				t.Fatalf("error %T %v is not a *derrors.Error", err, err)
			}
			if de.Kind != derrors.Invalid && de.Kind != derrors.TooLarge {
				t.Fatalf("error kind %d (%v), want Invalid or TooLarge", de.Kind, err)
			}
			if de.Code == "" || de.Detail == "" {
				t.Fatalf("error %+v lacks a code or a detail", de)
			}
			if de.Kind == derrors.TooLarge && len(body) <= fuzzLimit {
				t.Fatalf("%d bytes refused as over the %d limit", len(body), fuzzLimit)
			}
			return
		}
		if len(body) > fuzzLimit || !utf8.Valid(body) {
			t.Fatalf("accepted a body of %d bytes, valid UTF-8 %v", len(body), utf8.Valid(body))
		}
		for _, c := range []struct {
			field, value string
			re           *regexp.Regexp
			maxLen       int
		}{
			{"application", req.Application, appRE, 63},
			{"image", req.Image, imageRE, 255},
			{"tag", req.Tag, tagRE, 128},
		} {
			if !c.re.MatchString(c.value) || len(c.value) > c.maxLen {
				t.Fatalf("accepted %s %q, which the document refuses", c.field, c.value)
			}
		}
		if req.Digest != "" && !digestRE.MatchString(req.Digest) {
			t.Fatalf("accepted digest %q, which the document refuses", req.Digest)
		}
		// The whole value, as the server understood it, against the schema.
		norm, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.CheckSchema("BuildRequest", norm); err != nil {
			t.Fatalf("accepted %q, read as %s, which openapi/ferry.yaml refuses: %v", body, norm, err)
		}
	})
}
