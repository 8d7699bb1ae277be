// Package certreload serves TLS with a certificate, and optionally a client
// CA bundle, read from files and re-read when the files change, so that a
// renewed certificate or a rotated CA needs no restart.
package certreload

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"
)

// DefaultCheckEvery is how often, at most, the files are looked at: on a
// handshake, once this long has passed since the last look. Reading two
// small files once a second costs nothing; certificates are renewed days
// before they expire.
const DefaultCheckEvery = time.Second

// Config names the files.
type Config struct {
	CertFile, KeyFile string
	// ClientCAFile, when set, requires and verifies client certificates
	// signed by one of its CAs (mutual TLS).
	ClientCAFile string
	// CheckEvery bounds how often the files are re-read. Default DefaultCheckEvery.
	CheckEvery time.Duration
}

// Reloader holds the certificate and client CAs last read from the files.
type Reloader struct {
	cfg Config
	log *zap.Logger
	now func() time.Time

	mu        sync.Mutex
	checked   time.Time
	raw       [3][]byte // cert, key and client CA file contents in use
	badRaw    [3][]byte // contents that failed to load, not logged again
	cert      *tls.Certificate
	clientCAs *x509.CertPool
}

// New reads the files once; an error there is the caller's to report.
func New(cfg Config, log *zap.Logger) (*Reloader, error) {
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = DefaultCheckEvery
	}
	r := &Reloader{cfg: cfg, log: log, now: time.Now}
	raw, err := r.read()
	if err != nil {
		return nil, err
	}
	if err := r.load(raw); err != nil {
		return nil, err
	}
	r.checked = r.now()
	return r, nil
}

// TLSConfig returns the server configuration: TLS 1.2 or later with Go's
// default cipher suites and curves, the current certificate and, with a
// client CA file, mutual TLS. Each handshake gets what the files hold now.
func (r *Reloader) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cert, cas := r.current()
			c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cert}}
			if cas != nil {
				c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, cas
			}
			return c, nil
		},
	}
}

// current re-reads the files when CheckEvery has passed, and returns what
// is in use. A change that does not load keeps the previous certificate and
// is logged once.
func (r *Reloader) current() (*tls.Certificate, *x509.CertPool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.checked) >= r.cfg.CheckEvery {
		r.checked = now
		raw, err := r.read()
		switch {
		case err != nil:
			r.warn(raw, err)
		case !sameRaw(raw, r.raw):
			if err := r.load(raw); err != nil {
				r.warn(raw, err)
			} else {
				r.log.Info("TLS certificate reloaded", zap.String("cert_file", r.cfg.CertFile))
			}
		}
	}
	return r.cert, r.clientCAs
}

func (r *Reloader) warn(raw [3][]byte, err error) {
	if sameRaw(raw, r.badRaw) {
		return
	}
	r.badRaw = raw
	r.log.Warn("TLS files changed but do not load; keeping the certificate in use", zap.Error(err))
}

func sameRaw(a, b [3][]byte) bool {
	return bytes.Equal(a[0], b[0]) && bytes.Equal(a[1], b[1]) && bytes.Equal(a[2], b[2])
}

func (r *Reloader) read() ([3][]byte, error) {
	var raw [3][]byte
	var errs []error
	for i, p := range []string{r.cfg.CertFile, r.cfg.KeyFile, r.cfg.ClientCAFile} {
		if p == "" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading %s: %w", p, err))
		}
		raw[i] = b
	}
	return raw, errors.Join(errs...)
}

// load parses raw and makes it current; the caller holds r.mu or owns r.
func (r *Reloader) load(raw [3][]byte) error {
	cert, err := tls.X509KeyPair(raw[0], raw[1])
	if err != nil {
		return fmt.Errorf("loading %s and %s: %w", r.cfg.CertFile, r.cfg.KeyFile, err)
	}
	var cas *x509.CertPool
	if r.cfg.ClientCAFile != "" {
		cas = x509.NewCertPool()
		if !cas.AppendCertsFromPEM(raw[2]) {
			return fmt.Errorf("loading %s: no PEM certificate in it", r.cfg.ClientCAFile)
		}
	}
	r.raw, r.cert, r.clientCAs = raw, &cert, cas
	return nil
}
