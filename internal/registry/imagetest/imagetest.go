// Package imagetest is test support for code that reads container images:
// go-containerregistry's in-process registry, and random images and
// indexes pushed to a registry.
package imagetest

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Start starts go-containerregistry's in-process registry, its log
// discarded, until the test ends, and returns its host:port.
func Start(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	tb.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// PushImage pushes a random image (one layer of 256 bytes), distinct at
// every call, to host/repo:tag over plain HTTP and returns its digest.
func PushImage(tb testing.TB, host, repo, tag string, opts ...remote.Option) v1.Hash {
	tb.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		tb.Fatal(err)
	}
	ref, err := name.NewTag(host+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		tb.Fatal(err)
	}
	if err := remote.Write(ref, img, opts...); err != nil {
		tb.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// PushIndex pushes an OCI index of two random images, for linux/amd64 and
// linux/arm64, to host/repo:tag over plain HTTP and returns the digests of
// the index and of its linux/arm64 manifest.
func PushIndex(tb testing.TB, host, repo, tag string, opts ...remote.Option) (index, arm64 v1.Hash) {
	tb.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(128, 1)
		if err != nil {
			tb.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "linux", Architecture: arch},
		}})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	ref, err := name.NewTag(host+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		tb.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx, opts...); err != nil {
		tb.Fatalf("pushing index %s: %v", ref, err)
	}
	index, err = idx.Digest()
	if err != nil {
		tb.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		tb.Fatal(err)
	}
	return index, im.Manifests[1].Digest
}
