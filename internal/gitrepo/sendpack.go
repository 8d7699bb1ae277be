package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// pushSession is one receive-pack conversation with the remote. Its ref
// advertisement tells Commit where every branch is, which is all it needs
// to know whether its clone is current (no fetch when it is), and the same
// session then takes the push: the two round trips of a plain git push.
type pushSession struct {
	sess transport.ReceivePackSession
	caps *capability.List
	refs map[plumbing.ReferenceName]plumbing.Hash
}

// openPush starts a receive-pack session and reads the advertisement. An
// empty remote is a session without refs. Errors come back scrubbed but not
// yet classified.
func (r *Repo) openPush(ctx context.Context) (*pushSession, error) {
	ep, err := transport.NewEndpoint(r.cfg.URL)
	if err != nil {
		return nil, r.scrub.err(err)
	}
	cl, err := client.NewClient(ep)
	if err != nil {
		return nil, r.scrub.err(err)
	}
	sess, err := cl.NewReceivePackSession(ep, r.auth)
	if err != nil {
		return nil, r.scrub.err(err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	p := &pushSession{sess: sess, refs: map[plumbing.ReferenceName]plumbing.Hash{}}
	ar, err := sess.AdvertisedReferencesContext(ctx)
	switch {
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		p.caps = capability.NewList()
		return p, nil
	case err != nil:
		_ = sess.Close()
		return nil, r.scrub.err(err)
	}
	p.caps = ar.Capabilities
	for name, h := range ar.References {
		p.refs[plumbing.ReferenceName(name)] = h
	}
	return p, nil
}

// head returns the advertised head of branch, or the zero hash.
func (p *pushSession) head(branch string) plumbing.Hash {
	return p.refs[plumbing.NewBranchReferenceName(branch)]
}

func (p *pushSession) close() { _ = p.sess.Close() }

// sendPack moves branch on the remote from old (zero: the branch is
// created) to commit, sending exactly the objects in made: the writer knows
// what it created, so nothing walks the remote's tree to find out. Every
// other object commit needs is reachable from heads the remote advertised.
// It never forces: the server refuses the update unless branch is still at
// old, atomically under its ref lock. Errors come back scrubbed but not yet
// classified.
func (r *Repo) sendPack(ctx context.Context, c *clone, p *pushSession, branch string, old, commit plumbing.Hash, made []plumbing.Hash) (err error) {
	defer r.observe("push", time.Now(), &err)
	name := plumbing.NewBranchReferenceName(branch)
	req := packp.NewReferenceUpdateRequestFromCapabilities(p.caps)
	req.Commands = []*packp.Command{{Name: name, Old: old, New: commit}}

	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	c.mu.RLock()
	defer c.mu.RUnlock()

	rd, wr := io.Pipe()
	req.Packfile = rd
	done := make(chan error, 1)
	go func() {
		// Window 0: a few small new objects gain nothing from deltas.
		enc := packfile.NewEncoder(wr, c.st, !p.caps.Supports(capability.OFSDelta))
		_, err := enc.Encode(made, 0)
		done <- wr.CloseWithError(err)
	}()
	rs, err := p.sess.ReceivePack(ctx, req)
	if err != nil {
		_ = rd.CloseWithError(err)
		<-done
		return r.scrub.err(fmt.Errorf("sending pack: %w", err))
	}
	if err := <-done; err != nil {
		return r.scrub.err(fmt.Errorf("encoding pack: %w", err))
	}
	if rs != nil {
		if err := rs.Error(); err != nil {
			return r.scrub.err(err)
		}
	}
	return nil
}

// recorder is the object storer writes go through: it remembers every
// object stored, which is what a push of that write has to send.
type recorder struct {
	storer.EncodedObjectStorer
	made []plumbing.Hash
}

func (r *recorder) SetEncodedObject(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	h, err := r.EncodedObjectStorer.SetEncodedObject(obj)
	if err == nil && !slices.Contains(r.made, h) { // two equal files are one blob
		r.made = append(r.made, h)
	}
	return h, err
}
