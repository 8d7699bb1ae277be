package outbound

import (
	"bytes"
	"container/list"
	"io"
	"net/http"
	"strings"
	"sync"
)

// maxCachedBody bounds one cached response; larger ones are not cached.
const maxCachedBody = 1 << 20

// etagCache keeps the validator and body of the last 200 answer per URL,
// evicting the least recently used when full.
type etagCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *etagEntry, most recent first
	byKey map[string]*list.Element
}

type etagEntry struct {
	key    string
	etag   string
	header http.Header
	body   []byte
}

func newETagCache(n int) *etagCache {
	if n <= 0 {
		n = 256
	}
	return &etagCache{max: n, order: list.New(), byKey: map[string]*list.Element{}}
}

// key separates representations a host may vary by (Accept) as well as URL.
func cacheKey(req *http.Request) string {
	return req.Header.Get("Accept") + " " + req.URL.String()
}

func (c *etagCache) get(req *http.Request) *etagEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[cacheKey(req)]
	if !ok {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*etagEntry)
}

// put stores a 200 answer that carries an ETag and returns a response whose
// body can still be read.
func (c *etagCache) put(req *http.Request, resp *http.Response) (*http.Response, error) {
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || etag == "" {
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedBody+1))
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if len(body) > maxCachedBody {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	e := &etagEntry{key: cacheKey(req), etag: etag, header: resp.Header.Clone(), body: body}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[e.key]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return resp, nil
	}
	c.byKey[e.key] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*etagEntry).key)
	}
	return resp, nil
}

// response rebuilds a 200 from the cache, keeping the fresh rate-limit
// headers of the 304.
func (e *etagEntry) response(req *http.Request, notModified *http.Response) *http.Response {
	io.Copy(io.Discard, notModified.Body)
	notModified.Body.Close()
	h := e.header.Clone()
	for k, v := range notModified.Header {
		if strings.HasPrefix(k, "X-Ratelimit-") || strings.HasPrefix(k, "Ratelimit-") {
			h[k] = v
		}
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         notModified.Proto,
		ProtoMajor:    notModified.ProtoMajor,
		ProtoMinor:    notModified.ProtoMinor,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(e.body)),
		ContentLength: int64(len(e.body)),
		Request:       req,
	}
}
