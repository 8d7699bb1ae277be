package ferrytest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections on a 127.0.0.1 port to a target, until
// Stop: then the port refuses connections and those it carried are cut,
// which is how a database server that goes away looks to its clients.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   []net.Conn
	stopped bool
}

// NewProxy starts a proxy to target ("host:port"), stopped when tb ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target}
	go p.accept()
	tb.Cleanup(p.Stop)
	return p
}

// Addr is the proxy's "host:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Stop closes the port and every connection the proxy carries.
func (p *Proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.stopped = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

// forward copies both ways between c and a new connection to the target.
func (p *Proxy) forward(c net.Conn) {
	t, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		c.Close()
		t.Close()
		return
	}
	p.conns = append(p.conns, c, t)
	p.mu.Unlock()
	go func() { _, _ = io.Copy(t, c); t.Close() }()
	_, _ = io.Copy(c, t)
	c.Close()
}
