package registry

import (
	"fmt"
	"io"
	"net/http"
)

// tooLargeError is a response body longer than the reader allows.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("response larger than %d bytes", e.limit)
}

// limitBody refuses a response whose declared length exceeds limit, and
// ends the body with tooLargeError once limit bytes have been read, so a
// registry can neither announce nor stream an unbounded answer.
func limitBody(resp *http.Response, limit int64) (*http.Response, error) {
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, &tooLargeError{limit: limit}
	}
	resp.Body = &limitedBody{rc: resp.Body, left: limit, limit: limit}
	return resp, nil
}

type limitedBody struct {
	rc          io.ReadCloser
	left, limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly limit bytes from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, &tooLargeError{limit: b.limit}
		}
		return b.rc.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
