package main

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// sample images of the dev registry. Their content is fixed, so their
// digests are the same at every start.
var samples = []struct {
	repo, tag string
	multiArch bool
}{
	{"acme/payments", "1.4.0", false},
	{"acme/payments", "1.4.1", false},
	{"acme/payments", "1.4.2", false},
	{"acme/checkout", "2.0.0", true},
	{"acme/checkout", "2.1.0", true},
	{"acme/notifier", "0.9.1", false},
	{"acme/notifier", "1.0.0", false},
}

func sampleImage(content string) (v1.Image, error) {
	layer := static.NewLayer([]byte(content), types.OCILayer)
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	return mutate.MediaType(img, types.OCIManifestSchema1), nil
}

// pushSamples writes the sample images into the registry at host.
func pushSamples(ctx context.Context, host string) error {
	for _, s := range samples {
		ref, err := name.NewTag(host+"/"+s.repo+":"+s.tag, name.Insecure)
		if err != nil {
			return err
		}
		if !s.multiArch {
			img, err := sampleImage(s.repo + ":" + s.tag)
			if err != nil {
				return err
			}
			if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
				return fmt.Errorf("pushing %s: %w", ref, err)
			}
			continue
		}
		idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for _, arch := range []string{"amd64", "arm64"} {
			img, err := sampleImage(s.repo + ":" + s.tag + "/" + arch)
			if err != nil {
				return err
			}
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
				Add:        img,
				Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
			})
		}
		if err := remote.WriteIndex(ref, idx, remote.WithContext(ctx)); err != nil {
			return fmt.Errorf("pushing %s: %w", ref, err)
		}
	}
	return nil
}
