package registry

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, nil)
	img := imagetest.PushImage(t, reg.host, "team/app", "v1")
	index, platform := imagetest.PushIndex(t, reg.host, "team/multi", "v2")
	other := imagetest.PushImage(t, reg.host, "team/other", "v1")

	ref, _ := name.NewTag(reg.host+"/team/multi:v2", name.Insecure)
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(desc.Manifest)
	indexSHA512 := "sha512:" + hex.EncodeToString(sum[:])

	v := newVerifier(t, Config{Hosts: []Host{{Host: reg.host, Insecure: true}}})
	for _, tc := range []struct {
		name       string
		repo, tag  string
		want       string
		wantDigest string
		wantCode   string
		wantDetail []string
	}{
		{name: "tag resolves", repo: "team/app", tag: "v1", wantDigest: img.String()},
		{name: "given digest matches", repo: "team/app", tag: "v1", want: img.String(), wantDigest: img.String()},
		{name: "mismatched digest", repo: "team/app", tag: "v1", want: other.String(), wantCode: "digest_mismatch",
			wantDetail: []string{other.String(), img.String(), "team/app:v1"}},
		{name: "multi-arch resolves to the index", repo: "team/multi", tag: "v2", wantDigest: index.String()},
		{name: "multi-arch index digest accepted", repo: "team/multi", tag: "v2", want: index.String(), wantDigest: index.String()},
		{name: "multi-arch platform digest refused", repo: "team/multi", tag: "v2", want: platform.String(), wantCode: "digest_mismatch",
			wantDetail: []string{platform.String(), index.String(), "report the index digest"}},
		{name: "sha512 of the index accepted", repo: "team/multi", tag: "v2", want: indexSHA512, wantDigest: indexSHA512},
		{name: "unknown tag", repo: "team/app", tag: "v9", wantCode: "tag_not_found", wantDetail: []string{`"v9"`, "team/app"}},
		{name: "unknown tag with digest", repo: "team/app", tag: "v9", want: img.String(), wantCode: "tag_not_found"},
		{name: "unknown repository", repo: "team/nope", tag: "v1", wantCode: "tag_not_found", wantDetail: []string{"team/nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Resolve(context.Background(), reg.host+"/"+tc.repo, tc.tag, tc.want)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
				if got != tc.wantDigest {
					t.Fatalf("Resolve = %s, want %s", got, tc.wantDigest)
				}
				return
			}
			e := wantCode(t, err, derrors.Unprocessable, tc.wantCode)
			if got != "" {
				t.Errorf("Resolve returned digest %q along with an error", got)
			}
			for _, s := range tc.wantDetail {
				if !strings.Contains(e.Detail, s) {
					t.Errorf("detail %q does not mention %q", e.Detail, s)
				}
			}
		})
	}
}

// schemeCounter counts the requests sent per URL scheme.
type schemeCounter struct {
	base  http.RoundTripper
	https atomic.Int64
	plain atomic.Int64
}

func (c *schemeCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "https" {
		c.https.Add(1)
	} else {
		c.plain.Add(1)
	}
	return c.base.RoundTrip(req)
}

// TestResolveInsecureSkipsHTTPSPing: a registry configured insecure (plain
// HTTP) is never tried over HTTPS first. go-containerregistry pings HTTPS
// before HTTP on every call; against a plain HTTP registry that was a new
// connection and a failed TLS handshake per report.
func TestResolveInsecureSkipsHTTPSPing(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, nil)
	img := imagetest.PushImage(t, reg.host, "team/app", "v1")
	counter := &schemeCounter{base: http.DefaultTransport}
	v := newVerifier(t, Config{Hosts: []Host{{Host: reg.host, Insecure: true}}, Transport: counter})
	for range 3 {
		got, err := v.Resolve(context.Background(), reg.host+"/team/app", "v1", img.String())
		if err != nil {
			t.Fatalf("Resolve: %v", err)
		}
		if got != img.String() {
			t.Fatalf("Resolve = %s, want %s", got, img)
		}
	}
	if n := counter.https.Load(); n != 0 {
		t.Errorf("%d HTTPS requests to a plain HTTP registry, want none", n)
	}
	if n := counter.plain.Load(); n != 6 {
		t.Errorf("%d plain HTTP requests for 3 resolves, want 6 (ping and HEAD each)", n)
	}
}
