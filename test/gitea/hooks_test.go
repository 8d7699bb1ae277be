package gitea

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// delivery is one webhook delivery from Gitea, as sent, with Ferry's answer.
type delivery struct {
	Type   string // X-Gitea-Event-Type
	Header http.Header
	Body   []byte
	Status int // Ferry's answer; 502 when Ferry was down
}

// hookProxy stands between Gitea and Ferry: it passes every delivery on
// unchanged and remembers it, so that a test knows when Gitea has told
// Ferry something, and can send a real delivery again.
type hookProxy struct {
	URL    string
	target string

	mu   sync.Mutex
	seen []delivery
}

func newHookProxy(t *testing.T, target string) *hookProxy {
	h := &hookProxy{target: target}
	srv := httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

func (h *hookProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	st, answer := h.forward(r.URL.Path, r.Header, body)
	h.mu.Lock()
	h.seen = append(h.seen, delivery{Type: r.Header.Get("X-Gitea-Event-Type"), Header: r.Header.Clone(), Body: body, Status: st})
	h.mu.Unlock()
	w.WriteHeader(st)
	_, _ = w.Write(answer)
}

// forward sends a delivery to Ferry as Gitea sent it.
func (h *hookProxy) forward(path string, header http.Header, body []byte) (int, []byte) {
	req, err := http.NewRequest(http.MethodPost, h.target+path, bytes.NewReader(body))
	if err != nil {
		return http.StatusBadGateway, nil
	}
	req.Header = header.Clone()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return http.StatusBadGateway, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// mark returns how many deliveries were seen so far.
func (h *hookProxy) mark() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

// deliveries returns what was seen so far.
func (h *hookProxy) deliveries() []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]delivery(nil), h.seen...)
}

// await waits until a delivery of eventType after mark was answered.
func (h *hookProxy) await(t *testing.T, eventType string, mark int) delivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		for _, d := range h.seen[min(mark, len(h.seen)):] {
			if d.Type == eventType {
				h.mu.Unlock()
				return d
			}
		}
		h.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("Gitea delivered no %s webhook within 30s (%d deliveries in all)", eventType, h.mark())
	return delivery{}
}
