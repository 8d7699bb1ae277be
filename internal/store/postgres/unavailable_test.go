package postgres_test

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store/postgres"
	"github.com/ferryhq/ferry/test/ferrytest"
)

// withHost returns dsn (a URL) naming the server at addr instead.
func withHost(t *testing.T, dsn, addr string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// wantUnavailable fails t unless err is the store's domain error for a
// database that cannot answer now.
func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if e, ok := derrors.As(err); !ok || e.Kind != derrors.Unavailable || e.Code != "store_unavailable" {
		t.Errorf("%s = %v, want a derrors.Unavailable error with code store_unavailable", what, err)
	}
}

// TestOpenRefusedIsUnavailable points the store at a port nothing listens
// on: a server that refuses connections is unavailable, not an internal
// error.
func TestOpenRefusedIsUnavailable(t *testing.T) {
	dsn := postgres.DSNOrSkip(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, withHost(t, dsn, closed))
	if err == nil {
		s.Close()
		t.Fatal("Open() on a closed port = nil error")
	}
	wantUnavailable(t, "Open() on a closed port", err)
}

// TestServerGoneIsUnavailable opens the store through a proxy and then
// takes the server away: live connections cut, new ones refused. Every
// call, on a pooled connection or a new one, says the store is
// unavailable.
func TestServerGoneIsUnavailable(t *testing.T) {
	dsn := postgres.FreshSchema(t, postgres.DSNOrSkip(t))
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := ferrytest.NewProxy(t, u.Host)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, withHost(t, dsn, proxy.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := promotion.Release{ID: "rel-1", Application: "payments", Repository: "r.example.com/payments", Tag: "v1"}
	r.Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if _, _, err := s.CreateRelease(ctx, r, nil); err != nil {
		t.Fatal(err)
	}
	proxy.Stop()
	for range 3 { // the pooled connections first, then new ones
		_, err := s.GetRelease(ctx, r.ID)
		wantUnavailable(t, "GetRelease()", err)
		_, err = s.ListPromotions(ctx, promotion.PromotionFilter{})
		wantUnavailable(t, "ListPromotions()", err)
		r2 := r
		r2.ID, r2.Tag = "rel-2", "v2"
		_, _, err = s.CreateRelease(ctx, r2, nil)
		wantUnavailable(t, "CreateRelease()", err)
		wantUnavailable(t, "Ping()", s.Ping(ctx))
	}
}
