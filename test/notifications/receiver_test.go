package notifications

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// receipt is one signed webhook delivery as the receiver got it.
type receipt struct {
	path, id string
	body     struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Text string `json:"text"`
		Data struct {
			PromotionID string    `json:"promotion_id"`
			Application string    `json:"application"`
			Environment string    `json:"environment"`
			To          string    `json:"to"`
			Reason      string    `json:"reason"`
			At          time.Time `json:"at"`
		} `json:"data"`
	}
}

// event names what a receipt tells of, whichever delivery brought it: the
// event's type, promotion (or reported tag) and time.
func (r receipt) event() string {
	d := r.body.Data
	return r.path + "|" + r.body.Type + "|" + d.PromotionID + "|" + d.To + "|" + d.At.Format(time.RFC3339Nano)
}

// receiver is the destinations' HTTP server on 127.0.0.1: it verifies the
// Standard Webhooks signature of each delivery (written here from the
// specification, not with Ferry's code), records it, and can go down
// (its listener closed: connections refused) and come back on the same
// address. Paths: /all and /payments are signed webhooks, /broken answers
// 500 until fixed, /redirect answers 307 to the counter.
type receiver struct {
	t       *testing.T
	addr    string
	keys    map[string][]byte // path → signing key
	redirTo string

	mu       sync.Mutex
	srv      *http.Server
	got      []receipt
	bad      []string // deliveries that did not verify
	fixed    bool     // /broken answers 200
	brokenN  int      // attempts /broken got
	redirect atomic.Int64
}

func newReceiver(t *testing.T, keys map[string][]byte, redirTo string) *receiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, addr: ln.Addr().String(), keys: keys, redirTo: redirTo}
	r.serve(ln)
	t.Cleanup(r.down)
	return r
}

func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// down closes the listener and every connection: Ferry's attempts fail.
func (r *receiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// up listens on the same address again.
func (r *receiver) up() {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ln, err := net.Listen("tcp", r.addr)
		if err == nil {
			r.serve(ln)
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("listening on %s again: %v", r.addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch req.URL.Path {
	case "/redirect":
		r.redirect.Add(1)
		http.Redirect(w, req, r.redirTo, http.StatusTemporaryRedirect)
		return
	case "/broken":
		r.mu.Lock()
		r.brokenN++
		fixed := r.fixed
		r.mu.Unlock()
		if !fixed {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
	}
	rc := receipt{path: req.URL.Path, id: req.Header.Get("webhook-id")}
	if key, ok := r.keys[req.URL.Path]; ok {
		if err := verify(key, req.Header, body); err != nil {
			r.mu.Lock()
			r.bad = append(r.bad, req.URL.Path+": "+err.Error())
			r.mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	if err := json.Unmarshal(body, &rc.body); err != nil || rc.body.ID != rc.id {
		r.mu.Lock()
		r.bad = append(r.bad, req.URL.Path+": body "+string(body))
		r.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.got = append(r.got, rc)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// verify checks a Standard Webhooks signature: base64 HMAC-SHA256 of
// "id.timestamp.body" under the key, one of the space-separated "v1,…"
// values, and a timestamp within five minutes.
func verify(key []byte, h http.Header, body []byte) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	var sec int64
	for _, c := range ts {
		if c < '0' || c > '9' {
			return errors.New("bad timestamp")
		}
		sec = sec*10 + int64(c-'0')
	}
	if d := time.Since(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp out of tolerance")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("no signature matches")
}

// receipts returns what arrived at path so far.
func (r *receiver) receipts(path string) []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []receipt
	for _, rc := range r.got {
		if rc.path == path {
			out = append(out, rc)
		}
	}
	return out
}

// counter is a listener that counts the connections made to it.
type counter struct {
	ln    net.Listener
	conns atomic.Int64
}

func newCounter(t *testing.T) *counter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.conns.Add(1)
			_ = conn.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return c
}
