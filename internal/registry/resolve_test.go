package registry

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"strings"
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
