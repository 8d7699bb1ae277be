package main

import (
	"io"
	"net"
	"sync"
	"time"
)

// link is the distance a proxy puts between a client and a server.
type link struct {
	// RTT is the round-trip time added: each direction delays every byte by
	// half of it, as a wire of that length would.
	RTT time.Duration
	// Bandwidth in bytes per second per direction; 0 is unlimited.
	Bandwidth int64
}

// proxy is a TCP proxy, in process, that makes a server on this machine as
// far away as a real Git host or registry: every connection it accepts is
// forwarded to target through the link set when it was accepted, so the
// same server can be near for one client and far for the next.
type proxy struct {
	ln     net.Listener
	target string

	mu   sync.Mutex
	link link
	wg   sync.WaitGroup
}

// startProxy listens on 127.0.0.1 and forwards to target through l.
func startProxy(target string, l link) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target, link: l}
	p.wg.Go(p.serve)
	return p, nil
}

// addr is the proxy's host:port, to use in place of target's.
func (p *proxy) addr() string { return p.ln.Addr().String() }

// set changes the link of the connections accepted from now on.
func (p *proxy) set(l link) {
	p.mu.Lock()
	p.link = l
	p.mu.Unlock()
}

func (p *proxy) close() {
	p.ln.Close()
	p.wg.Wait()
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		l := p.link
		p.mu.Unlock()
		go p.forward(c, l)
	}
}

func (p *proxy) forward(c net.Conn, l link) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	done := make(chan struct{}, 2)
	go func() { delayCopy(s, c, l); closeWrite(s); done <- struct{}{} }()
	go func() { delayCopy(c, s, l); closeWrite(c); done <- struct{}{} }()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

// chunk is bytes in flight and when they arrive.
type chunk struct {
	b   []byte
	due time.Time
}

// delayCopy copies src to dst, delivering each read RTT/2 after it was
// read and no faster than the bandwidth. Reading goes on while earlier
// bytes are in flight, as on a real wire.
func delayCopy(dst io.Writer, src io.Reader, l link) {
	wire := make(chan chunk, 1024)
	go func() {
		defer close(wire)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				wire <- chunk{buf[:n], time.Now().Add(l.RTT / 2)}
			}
			if err != nil {
				return
			}
		}
	}()
	var free time.Time // when the wire can take the next byte
	for ch := range wire {
		at := ch.due
		if l.Bandwidth > 0 {
			at = later(at, free)
			free = at.Add(time.Duration(int64(len(ch.b)) * int64(time.Second) / l.Bandwidth))
			at = free
		}
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		if _, err := dst.Write(ch.b); err != nil {
			for range wire { // let the reader finish
			}
			return
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
