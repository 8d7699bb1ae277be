package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jsonBody marshals a build report; keys are the wire names.
func jsonBody(m map[string]any) string {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// build is a valid-looking report of app's image repo:tag from the test registry.
func (h *harness) build(app, repo, tag string, extra ...any) map[string]any {
	m := map[string]any{"application": app, "image": h.regHost + "/acme/" + repo, "tag": tag}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

func without(m map[string]any, key string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func testAuth(t *testing.T, h *harness) {
	body := jsonBody(h.build("payments", "payments", "1.4.2"))
	tests := []struct {
		name    string
		req     request
		status  int
		code    string
		wwwAuth bool
	}{
		{"no Authorization header", request{method: "POST", path: "/api/v1/builds", body: body, invalid: true}, 401, "unauthorized", true},
		{"unknown token", request{method: "POST", path: "/api/v1/builds", body: body, token: "not-a-token"}, 401, "unauthorized", true},
		{"Basic scheme", request{method: "POST", path: "/api/v1/builds", body: body, invalid: true,
			header: map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4tdG9rZW4="}}, 401, "unauthorized", true},
		{"Bearer without token", request{method: "POST", path: "/api/v1/builds", body: body, invalid: true,
			header: map[string]string{"Authorization": "Bearer "}}, 401, "unauthorized", true},
		{"token value as scheme", request{method: "POST", path: "/api/v1/builds", body: body, invalid: true,
			header: map[string]string{"Authorization": tokAdmin}}, 401, "unauthorized", true},
		{"read without token", request{method: "GET", path: "/api/v1/releases", invalid: true}, 401, "unauthorized", true},
		{"read with unknown token", request{method: "GET", path: "/api/v1/promotions", token: "nope"}, 401, "unauthorized", true},
		{"token without builds:write", request{method: "POST", path: "/api/v1/builds", body: body, token: tokPromoter}, 403, "forbidden", false},
		{"read token posting a build", request{method: "POST", path: "/api/v1/builds", body: body, token: tokRead}, 403, "forbidden", false},
		{"CI token reporting another application", request{method: "POST", path: "/api/v1/builds", token: tokCI,
			body: jsonBody(h.build("checkout", "checkout", "3.0.0"))}, 403, "forbidden", false},
		{"token without read", request{method: "GET", path: "/api/v1/releases", token: tokPromoter}, 403, "forbidden", false},
		{"build token without read", request{method: "GET", path: "/api/v1/applications", token: tokCI}, 403, "forbidden", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.written(t)
			res := h.do(t, tc.req)
			wantProblem(t, res, tc.status, tc.code)
			if got := res.header.Get("WWW-Authenticate") != ""; got != tc.wwwAuth {
				t.Errorf("WWW-Authenticate %q, want present=%v", res.header.Get("WWW-Authenticate"), tc.wwwAuth)
			}
			if after := h.written(t); after != before {
				t.Errorf("a refused request wrote: before %+v, after %+v", before, after)
			}
		})
	}
}

func testRejectedBuilds(t *testing.T, h *harness) {
	ok := h.build("payments", "payments", "1.4.2")
	okJSON := jsonBody(ok)
	nested := strings.Repeat("[", 1000) + strings.Repeat("]", 1000)
	hex64 := strings.Repeat("ab", 32)

	tests := []struct {
		name    string
		path    string // default /api/v1/builds
		token   string // default tokAdmin
		body    string
		ctype   string // default application/json
		invalid bool   // the document refuses the request too
		status  int
		code    string
		detail  string // a substring of the problem detail, when it matters
	}{
		// 400: the body is not a JSON object of the right shape.
		{name: "malformed JSON", body: `{"application": payments}`, invalid: true, status: 400, code: "invalid_json"},
		{name: "truncated JSON", body: okJSON[:len(okJSON)/2], invalid: true, status: 400, code: "invalid_json"},
		{name: "empty body", body: "", invalid: true, status: 400, code: "invalid_json"},
		{name: "body is an array", body: `[` + okJSON + `]`, invalid: true, status: 400, code: "invalid_json"},
		{name: "body is a string", body: `"payments"`, invalid: true, status: 400, code: "invalid_json"},
		{name: "body is null", body: `null`, invalid: true, status: 400, code: "invalid_json"},
		{name: "body is a number", body: `42`, invalid: true, status: 400, code: "invalid_json"},
		{name: "not JSON content type", body: okJSON, ctype: "text/plain", invalid: true, status: 400, code: "invalid_json"},
		{name: "wrong type", body: `{"application":"payments","image":"` + h.regHost + `/acme/payments","tag":5}`,
			invalid: true, status: 400, code: "invalid_json", detail: "tag"},
		{name: "wrong type in nested value", body: jsonBody(h.build("payments", "payments", "1.4.2", "digest", map[string]any{"a": 1})),
			invalid: true, status: 400, code: "invalid_json", detail: "digest"},
		{name: "unknown field", body: jsonBody(h.build("payments", "payments", "1.4.2", "tags", "1.4.2")),
			invalid: true, status: 400, code: "unknown_field", detail: "tags"},
		{name: "field name in another case", body: `{"application":"payments","image":"` + h.regHost + `/acme/payments","Tag":"1.4.2"}`,
			invalid: true, status: 400, code: "unknown_field", detail: "Tag"},
		{name: "duplicate field", body: `{"application":"payments","image":"` + h.regHost + `/acme/payments","tag":"1.4.2","tag":"1.4.3"}`,
			invalid: false, status: 400, code: "invalid_json", detail: "tag"},
		{name: "non-UTF-8 body", body: `{"application":"payments","image":"` + h.regHost + `/acme/payments","tag":"1.4.2","source_branch":"ma` + "\xff" + `in"}`,
			invalid: false, status: 400, code: "invalid_json", detail: "UTF-8"},
		{name: "deeply nested body", body: `{"application":"payments","image":"x","tag":"1","x":` + nested + `}`,
			invalid: true, status: 400, code: "invalid_json", detail: "nests"},
		// kin-openapi reads the first JSON value and ignores what follows.
		{name: "trailing data", body: okJSON + `{}`, invalid: false, status: 400, code: "invalid_json", detail: "after"},
		{name: "trailing garbage", body: okJSON + ` x`, invalid: false, status: 400, code: "invalid_json"},

		// 400: fields out of their constraints.
		{name: "missing application", body: jsonBody(without(ok, "application")), invalid: true, status: 400, code: "invalid_field", detail: "application"},
		{name: "missing image", body: jsonBody(without(ok, "image")), invalid: true, status: 400, code: "invalid_field", detail: "image"},
		{name: "missing tag", body: jsonBody(without(ok, "tag")), invalid: true, status: 400, code: "invalid_field", detail: "tag"},
		{name: "application with path characters", body: jsonBody(h.build("../x", "payments", "1.4.2")), invalid: true, status: 400, code: "invalid_field", detail: "application"},
		{name: "application uppercase", body: jsonBody(h.build("Payments", "payments", "1.4.2")), invalid: true, status: 400, code: "invalid_field"},
		{name: "fixes not an id", body: jsonBody(h.build("payments", "payments", "1.4.2", "fixes", "1.4.1 and more")), invalid: true, status: 400, code: "invalid_field", detail: "fixes"},
		{name: "source commit in the future", body: jsonBody(h.build("payments", "payments", "1.4.2", "source_committed_at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))),
			status: 400, code: "invalid_field", detail: "source_committed_at"},
		{name: "source commit not a time", body: jsonBody(h.build("payments", "payments", "1.4.2", "source_committed_at", "yesterday")), invalid: true, status: 400, code: "invalid_json"},
		{name: "digest too short", body: jsonBody(h.build("payments", "payments", "1.4.2", "digest", "sha256:"+hex64[:63])), invalid: true, status: 400, code: "invalid_digest"},
		{name: "digest md5", body: jsonBody(h.build("payments", "payments", "1.4.2", "digest", "md5:"+hex64[:32])), invalid: true, status: 400, code: "invalid_digest"},
		{name: "digest uppercase hex", body: jsonBody(h.build("payments", "payments", "1.4.2", "digest", "sha256:"+strings.ToUpper(hex64))), invalid: true, status: 400, code: "invalid_digest"},
		{name: "image uppercase", body: jsonBody(h.build("payments", "Payments", "1.4.2")), invalid: true, status: 400, code: "invalid_image"},
		{name: "image with tag", body: jsonBody(h.build("payments", "payments:1.4.2", "1.4.2")), invalid: true, status: 400, code: "invalid_image"},
		{name: "image with digest", body: jsonBody(h.build("payments", "payments@sha256:"+hex64, "1.4.2")), invalid: true, status: 400, code: "invalid_image"},
		{name: "image with scheme", body: jsonBody(map[string]any{"application": "payments", "image": "http://" + h.regHost + "/acme/payments", "tag": "1.4.2"}),
			invalid: true, status: 400, code: "invalid_image"},
		{name: "image with a bare dot as registry", body: jsonBody(map[string]any{"application": "payments", "image": "./acme/payments", "tag": "1.4.2"}),
			invalid: true, status: 400, code: "invalid_image"},
		{name: "image over 255 characters", body: jsonBody(h.build("payments", strings.Repeat("a", 250), "1.4.2")), invalid: true, status: 400, code: "invalid_image"},
		{name: "tag over 128 characters", body: jsonBody(h.build("payments", "payments", strings.Repeat("a", 129))), invalid: true, status: 400, code: "invalid_tag"},
		{name: "tag with slash", body: jsonBody(h.build("payments", "payments", "v1/2")), invalid: true, status: 400, code: "invalid_tag"},
		{name: "tag starting with dot", body: jsonBody(h.build("payments", "payments", ".1")), invalid: true, status: 400, code: "invalid_tag"},
		{name: "source_commit not hex", body: jsonBody(h.build("payments", "payments", "1.4.2", "source_commit", "main")), status: 400, code: "invalid_field", detail: "source_commit"},
		{name: "ci_run_url not a URL", body: jsonBody(h.build("payments", "payments", "1.4.2", "ci_run_url", "run 42")), invalid: true, status: 400, code: "invalid_field", detail: "ci_run_url"},
		{name: "wait not a duration", path: "/api/v1/builds?wait=soon", body: okJSON, invalid: true, status: 400, code: "invalid_field", detail: "wait"},
		{name: "wait negative", path: "/api/v1/builds?wait=-5s", body: okJSON, invalid: true, status: 400, code: "invalid_field", detail: "wait"},
		{name: "wait over 10m", path: "/api/v1/builds?wait=11m", body: okJSON, status: 400, code: "invalid_field", detail: "wait"},

		// 413: over the 1 MiB default limit.
		{name: "body over the limit", body: jsonBody(h.build("payments", "payments", "1.4.2", "source_branch", strings.Repeat("b", 1<<20))),
			invalid: true, status: 413, code: "body_too_large", detail: "over the limit of 1048576 bytes"},

		// 404.
		{name: "unknown application", body: jsonBody(h.build("ghost", "ghost", "1.0.0")), status: 404, code: "unknown_application"},
		{name: "unknown route", path: "/api/v1/build", body: okJSON, invalid: true, status: 404, code: "not_found"},

		// 422: well-formed, refused after looking at the pipeline and the registry.
		{name: "tag not found", body: jsonBody(h.build("payments", "payments", "9.9.9")), status: 422, code: "tag_not_found"},
		{name: "digest mismatch", body: jsonBody(h.build("payments", "payments", "1.4.2", "digest", h.otherDigest.String())), status: 422, code: "digest_mismatch"},
		{name: "platform manifest of a multi-arch image", body: jsonBody(h.build("checkout", "checkout", "3.0.0", "digest", h.checkoutArm64.String())),
			status: 422, code: "digest_mismatch", detail: "index digest"},
		{name: "image not the application's", body: jsonBody(h.build("payments", "checkout", "3.0.0")), status: 422, code: "image_not_of_application"},
		{name: "registry not allowlisted", body: jsonBody(map[string]any{"application": "evil", "image": "evil.example.com/acme/evil", "tag": "1.0.0"}),
			status: 422, code: "registry_not_allowed"},

		// 503: an allowlisted registry that does not answer.
		{name: "registry unreachable", body: jsonBody(map[string]any{"application": "down", "image": h.downHost + "/acme/down", "tag": "1.0.0"}),
			status: 503, code: "registry_unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = "/api/v1/builds"
			}
			token := tc.token
			if token == "" {
				token = tokAdmin
			}
			req := request{method: "POST", path: path, token: token, body: tc.body, invalid: tc.invalid}
			if tc.ctype != "" {
				req.header = map[string]string{"Content-Type": tc.ctype}
			}
			before := h.written(t)
			res := h.do(t, req)
			p := wantProblem(t, res, tc.status, tc.code)
			if tc.detail != "" && !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not mention %q", p.Detail, tc.detail)
			}
			if p.Instance != strings.SplitN(path, "?", 2)[0] {
				t.Errorf("instance %q, want the request path", p.Instance)
			}
			if tc.status == http.StatusServiceUnavailable {
				if n, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || n < 1 {
					t.Errorf("Retry-After %q, want a positive number of seconds", res.header.Get("Retry-After"))
				}
			}
			if after := h.written(t); after != before {
				t.Errorf("a refused build wrote: before %+v, after %+v", before, after)
			}
		})
	}
	// Allowed() refuses before any I/O: nothing ever went to evil.example.com.
	if n := h.outbound.count("evil.example.com"); n != 0 {
		t.Errorf("%d requests left for evil.example.com, which is not allowlisted", n)
	}
	if n := h.outbound.count(h.downHost); n == 0 {
		t.Errorf("no request went to %s: the 503 case did not reach the registry client", h.downHost)
	}
}
