package config

import (
	"crypto/tls"
	"crypto/x509"
	"os"
)

// TLS makes Ferry serve HTTPS itself. Without it Ferry serves plain HTTP,
// which is meant for loopback and development, or behind a reverse proxy
// that terminates TLS.
type TLS struct {
	// CertFile and KeyFile are PEM files: the certificate chain (leaf
	// first) and its private key. Both are re-read when they change, so a
	// renewed certificate needs no restart.
	CertFile string `yaml:"certFile"`
	KeyFile  string `yaml:"keyFile"`
	// ClientCAFile, when set, is a PEM bundle of CAs: every client must then
	// present a certificate one of them signed (mutual TLS). Re-read too.
	ClientCAFile string `yaml:"clientCAFile"`
}

// validateTLS checks that the files of the tls block exist and hold what
// they should, so that a wrong path fails at start, naming the field,
// rather than at the first handshake.
func validateTLS(errs *fieldErrors, t *TLS) {
	if t == nil {
		return
	}
	if t.CertFile == "" {
		errs.add("tls.certFile", "required with tls")
	}
	if t.KeyFile == "" {
		errs.add("tls.keyFile", "required with tls")
	}
	if t.CertFile != "" && t.KeyFile != "" {
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			errs.add("tls.certFile", "loading the certificate and key: %v", err)
		}
	}
	if t.ClientCAFile != "" {
		b, err := os.ReadFile(t.ClientCAFile)
		if err != nil {
			errs.add("tls.clientCAFile", "%v", err)
		} else if !x509.NewCertPool().AppendCertsFromPEM(b) {
			errs.add("tls.clientCAFile", "holds no PEM certificate")
		}
	}
}
