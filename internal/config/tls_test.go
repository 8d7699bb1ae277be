package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ferry"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	for p, b := range map[string][]byte{
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}),
	} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// TestParseServerTLS: a tls block with a certificate, key and client CA
// that load is accepted; missing or broken files are refused at start,
// naming the field.
func TestParseServerTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	c, err := ParseServer(strings.NewReader(valid + "tls: {certFile: " + cert + ", keyFile: " + key + ", clientCAFile: " + cert + "}\n"))
	if err != nil {
		t.Fatalf("ParseServer: %v", err)
	}
	if c.TLS == nil || c.TLS.CertFile != cert || c.TLS.KeyFile != key || c.TLS.ClientCAFile != cert {
		t.Errorf("TLS = %+v", c.TLS)
	}
	for _, tc := range []struct{ name, tls, want string }{
		{"no key", "tls: {certFile: " + cert + "}", "tls.keyFile: required with tls"},
		{"no cert", "tls: {keyFile: " + key + "}", "tls.certFile: required with tls"},
		{"missing file", "tls: {certFile: " + dir + "/nope.crt, keyFile: " + key + "}", "tls.certFile: loading the certificate and key"},
		{"key as certificate", "tls: {certFile: " + key + ", keyFile: " + key + "}", "tls.certFile: loading the certificate and key"},
		{"client CA not PEM", "tls: {certFile: " + cert + ", keyFile: " + key + ", clientCAFile: " + key + "}", "tls.clientCAFile: holds no PEM certificate"},
		{"client CA missing", "tls: {certFile: " + cert + ", keyFile: " + key + ", clientCAFile: " + dir + "/nope.pem}", "tls.clientCAFile:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseServer(strings.NewReader(valid + tc.tls + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseServer = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
