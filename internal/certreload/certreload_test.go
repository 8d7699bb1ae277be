package certreload

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
)

// authority is a CA the test makes, and can issue certificates from.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial int64

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCA(t *testing.T, name string) *authority {
	t.Helper()
	key := newKey(t)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &authority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate and key for cn: a server certificate for
// 127.0.0.1, or a client certificate.
func (a *authority) issue(t *testing.T, cn string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key := newKey(t)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	// Write then rename, as certificate managers do: a reader never sees half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// serve serves HTTPS on 127.0.0.1 with r's configuration, as ferry serve does.
func serve(t *testing.T, r *Reloader) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })}
	go hs.Serve(tls.NewListener(ln, r.TLSConfig()))
	t.Cleanup(func() { hs.Close() })
	return "https://" + ln.Addr().String()
}

// client trusts ca and presents cert (PEM pair) when given.
func client(t *testing.T, ca *authority, cert, key []byte, maxVersion uint16) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	cfg := &tls.Config{RootCAs: pool, MaxVersion: maxVersion}
	if cert != nil {
		c, err := tls.X509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
}

// servedCN returns the common name of the certificate the server shows.
func servedCN(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.TLS.PeerCertificates[0].Subject.CommonName
}

// TestServesAndReloadsRotatedCertificate: HTTPS with the certificate from
// the files; a rotated certificate is served without a restart; files that
// do not load keep the certificate in use; TLS 1.1 is refused.
func TestServesAndReloadsRotatedCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca := newCA(t, "test CA")
	c1, k1 := ca.issue(t, "ferry-1", true)
	write(t, certFile, c1)
	write(t, keyFile, k1)
	r, err := New(Config{CertFile: certFile, KeyFile: keyFile, CheckEvery: 10 * time.Millisecond}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, r)
	hc := client(t, ca, nil, nil, 0)
	if cn := servedCN(t, hc, url); cn != "ferry-1" {
		t.Fatalf("served %s, want ferry-1", cn)
	}

	c2, k2 := ca.issue(t, "ferry-2", true)
	write(t, keyFile, k2)
	write(t, certFile, c2)
	time.Sleep(20 * time.Millisecond)
	if cn := servedCN(t, hc, url); cn != "ferry-2" {
		t.Errorf("after rotation served %s, want ferry-2", cn)
	}

	write(t, certFile, []byte("not a certificate"))
	time.Sleep(20 * time.Millisecond)
	if cn := servedCN(t, hc, url); cn != "ferry-2" {
		t.Errorf("after a broken rotation served %s, want ferry-2 kept", cn)
	}

	if _, err := client(t, ca, nil, nil, tls.VersionTLS11).Get(url); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
}

// TestMutualTLS: with a client CA, a client without a certificate, or with
// one another CA signed, is refused; one the CA signed is served; a rotated
// client CA file takes effect without a restart.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, caFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "clients.pem")
	serverCA, clientCA, otherCA := newCA(t, "server CA"), newCA(t, "client CA"), newCA(t, "other CA")
	c, k := serverCA.issue(t, "ferry", true)
	write(t, certFile, c)
	write(t, keyFile, k)
	write(t, caFile, clientCA.pem)
	r, err := New(Config{CertFile: certFile, KeyFile: keyFile, ClientCAFile: caFile, CheckEvery: 10 * time.Millisecond}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, r)

	if _, err := client(t, serverCA, nil, nil, 0).Get(url); err == nil {
		t.Error("a client without a certificate was served")
	}
	oc, ok := otherCA.issue(t, "intruder", false)
	if _, err := client(t, serverCA, oc, ok, 0).Get(url); err == nil {
		t.Error("a client with a certificate of another CA was served")
	}
	cc, ck := clientCA.issue(t, "ci", false)
	if cn := servedCN(t, client(t, serverCA, cc, ck, 0), url); cn != "ferry" {
		t.Errorf("served %s, want ferry", cn)
	}

	write(t, caFile, otherCA.pem)
	time.Sleep(20 * time.Millisecond)
	if _, err := client(t, serverCA, cc, ck, 0).Get(url); err == nil {
		t.Error("after the client CA was rotated, the old CA's client was still served")
	}
	servedCN(t, client(t, serverCA, oc, ok, 0), url)
}

// TestNewRefusesBrokenFiles: a wrong path or a key that does not match is
// an error at start.
func TestNewRefusesBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "CA")
	c, _ := ca.issue(t, "a", true)
	_, k := ca.issue(t, "b", true)
	write(t, filepath.Join(dir, "c"), c)
	write(t, filepath.Join(dir, "k"), k)
	for _, cfg := range []Config{
		{CertFile: filepath.Join(dir, "missing"), KeyFile: filepath.Join(dir, "k")},
		{CertFile: filepath.Join(dir, "c"), KeyFile: filepath.Join(dir, "k")},
		{CertFile: filepath.Join(dir, "c"), KeyFile: filepath.Join(dir, "k"), ClientCAFile: filepath.Join(dir, "k")},
	} {
		if _, err := New(cfg, zap.NewNop()); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
