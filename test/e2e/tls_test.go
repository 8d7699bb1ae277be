package e2e

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
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeServerCert writes a CA and a certificate it signed for 127.0.0.1,
// with its key, into dir.
func writeServerCert(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ferry"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	for p, b := range map[string][]byte{
		caFile:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}),
	} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caFile, certFile, keyFile
}

// TestServeHTTPS: the real binary with tls: {certFile, keyFile} serves
// HTTPS (TLS 1.2 or later) and nothing in clear, and `ferry notify
// --cacert` reports a build through it; without the CA, notify fails.
func TestServeHTTPS(t *testing.T) {
	reg := newRegistry(t)
	pipeline := strings.ReplaceAll(readExample(t, "ferry.yaml"), "registry.example.com", reg.host)
	bare := envRepo(t, reg.host, map[string]string{"ferry.yaml": pipeline})
	caFile, certFile, keyFile := writeServerCert(t, t.TempDir())
	addr := freeAddr(t)
	cfg := writeConfig(t, serverConfig(addr, t.TempDir(), reg.host, bare, "tls: {certFile: "+certFile+", keyFile: "+keyFile+"}\n"))

	cmd := exec.Command(ferryBin, "serve", "--config", cfg)
	f := &ferry{}
	cmd.Stdout, cmd.Stderr = lockedWriter{f}, lockedWriter{f}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("ferry output:\n%s", f.output())
		}
	})

	pool := x509.NewCertPool()
	b, _ := os.ReadFile(caFile)
	pool.AppendCertsFromPEM(b)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := "https://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := hc.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
					t.Errorf("connection state %+v, want TLS 1.2 or later", resp.TLS)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ferry not ready over HTTPS after 60s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served on the TLS port")
		}
	}

	reg.push(t, "acme/payments", "3.1.0")
	env := []string{"FERRY_SERVER=" + url, "FERRY_TOKEN=" + ciToken, "FERRY_CACERT="}
	args := []string{"notify", "--application", "payments", "--image", reg.host + "/acme/payments", "--tag", "3.1.0", "--retries", "0"}
	if code, out := run(t, env, args...); code == 0 || !strings.Contains(out, "certificate") {
		t.Errorf("notify without the CA: exit %d, want a failure naming the certificate:\n%s", code, out)
	}
	if code, out := run(t, env, append(args, "--cacert", caFile)...); code != 0 {
		t.Errorf("notify --cacert: exit %d:\n%s", code, out)
	}
}
