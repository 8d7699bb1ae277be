package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers every connection with what it reads.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func TestProxyAddsTheRoundTripTime(t *testing.T) {
	p, err := startProxy(echoServer(t), link{RTT: 40 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	c, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 4)
	for range 3 {
		t0 := time.Now()
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("read %q, %v", buf, err)
		}
		// Both directions, twice (client→proxy→server and back): at least one RTT.
		if d := time.Since(t0); d < 40*time.Millisecond {
			t.Errorf("round trip took %s, want at least 40ms", d)
		}
	}
}

func TestProxyKeepsBytesAndLimitsBandwidth(t *testing.T) {
	p, err := startProxy(echoServer(t), link{Bandwidth: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	p.set(link{Bandwidth: 4 << 20}) // the link of new connections
	c, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := make([]byte, 1<<20)
	_, _ = rand.Read(want)
	t0 := time.Now()
	go func() { _, _ = c.Write(want); c.(*net.TCPConn).CloseWrite() }()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, not the %d sent", len(got), len(want))
	}
	// 1 MiB at 4 MiB/s each way: at least 250 ms.
	if d := time.Since(t0); d < 250*time.Millisecond {
		t.Errorf("1 MiB at 4 MiB/s took %s, want at least 250ms", d)
	}
}
