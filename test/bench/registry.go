package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// registry is go-containerregistry's in-process registry on 127.0.0.1,
// holding one small image tagged as often as the scenarios need.
type registry struct {
	host   string
	srv    *http.Server
	img    v1.Image
	digest string
	pushed map[string]bool // repositories already holding the image's blobs
}

func startRegistry() (*registry, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &registry{
		host:   ln.Addr().String(),
		srv:    &http.Server{Handler: ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))), ReadHeaderTimeout: 10 * time.Second},
		pushed: map[string]bool{},
	}
	go func() { _ = r.srv.Serve(ln) }()
	if r.img, err = random.Image(256, 1); err != nil {
		return nil, err
	}
	d, err := r.img.Digest()
	if err != nil {
		return nil, err
	}
	r.digest = d.String()
	return r, nil
}

// image is the full repository name of an application's image.
func (r *registry) image(app string) string { return r.host + "/acme/" + app }

// tag makes app's image answer to tag; it returns the build to report.
func (r *registry) tag(app, tag string) (build, error) {
	b := build{app: app, image: r.image(app), tag: tag, digest: r.digest}
	ref, err := name.NewTag(b.image+":"+tag, name.Insecure)
	if err != nil {
		return b, err
	}
	if !r.pushed[app] {
		err = remote.Write(ref, r.img)
		r.pushed[app] = err == nil
	} else {
		err = remote.Tag(ref, r.img)
	}
	if err != nil {
		return b, fmt.Errorf("pushing %s: %w", ref, err)
	}
	return b, nil
}

func (r *registry) close() { _ = r.srv.Close() }
