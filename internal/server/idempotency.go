package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/store"
)

// Idempotency (IETF draft-ietf-httpapi-idempotency-key-header).
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderReplayed marks an answer replayed from an idempotency record.
	HeaderReplayed = "Idempotent-Replayed"
	maxIdemKey     = 255
	// maxIdemAttempts bounds the records one key may chain through: each
	// 5xx answer or abandoned request moves the key to a fresh record.
	maxIdemAttempts = 16
)

// stored reports whether an answer is final enough to replay: 2xx and 4xx.
// A 5xx is not, so a retry after an outage does the work.
func stored(status int) bool { return status >= 200 && status < 500 }

// idempotency makes POST requests with an Idempotency-Key header (or a
// signed webhook's delivery id) answer a repeat with the first answer,
// without doing the work again. Records are scoped by who sent them.
//
// The store offers only put-if-absent and complete, so a key whose first
// answer was not stored (a 5xx) or whose request was abandoned (in flight
// for longer than the longest request may last, e.g. after a crash) moves
// on to a fresh record "<key>\n<n>": the chain is walked on every request.
// Keys hold no control characters, so chained keys never collide with a
// caller's key.
func (s *Server) idempotency() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.idem == nil {
			c.Next()
			return
		}
		scope, key, ok := s.idemKey(c)
		if !ok || key == "" {
			if !c.IsAborted() {
				c.Next()
			}
			return
		}
		orig := c.Request.Body
		body, err := io.ReadAll(io.LimitReader(orig, s.cfg.MaxBodyBytes+1))
		if err != nil {
			_ = c.Error(derrors.Wrap(err, derrors.Invalid, "invalid_json", "reading request body"))
			c.Abort()
			return
		}
		if int64(len(body)) > s.cfg.MaxBodyBytes {
			// Too large: the handler refuses it (413), and there is nothing to remember.
			c.Request.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), orig))
			c.Next()
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.New()
		sum.Write([]byte(c.Request.Method + "\n" + c.Request.URL.Path + "\n"))
		sum.Write(body)
		hash := hex.EncodeToString(sum.Sum(nil))
		s.runIdempotent(c, scope, key, hash)
	}
}

// idemKey returns the record scope and key of the request: the delivery id
// of a verified webhook, or the Idempotency-Key header of a token's request.
// A malformed header records a 400 and aborts.
func (s *Server) idemKey(c *gin.Context) (scope, key string, ok bool) {
	if id, found := c.Get(ctxDelivery); found {
		return "hook:" + token(c).Name, id.(string), true
	}
	vals, present := c.Request.Header[http.CanonicalHeaderKey(HeaderIdempotencyKey)]
	if !present {
		return "", "", true
	}
	// The draft makes the value a structured-field string: "…". Plain
	// tokens are taken too.
	key = strings.TrimSpace(vals[0])
	if len(key) >= 2 && key[0] == '"' && key[len(key)-1] == '"' {
		key = key[1 : len(key)-1]
	}
	switch {
	case len(vals) > 1:
		_ = c.Error(derrors.New(derrors.Invalid, "invalid_idempotency_key", "send one %s header, not %d", HeaderIdempotencyKey, len(vals)))
	case key == "":
		_ = c.Error(derrors.New(derrors.Invalid, "invalid_idempotency_key", "%s is empty", HeaderIdempotencyKey))
	case len(key) > maxIdemKey:
		_ = c.Error(derrors.New(derrors.Invalid, "invalid_idempotency_key", "%s is longer than %d characters", HeaderIdempotencyKey, maxIdemKey))
	case strings.IndexFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0:
		_ = c.Error(derrors.New(derrors.Invalid, "invalid_idempotency_key", "%s must be printable ASCII", HeaderIdempotencyKey))
	default:
		return "token:" + token(c).Name, key, true
	}
	c.Abort()
	return "", "", false
}

func (s *Server) runIdempotent(c *gin.Context, scope, key, hash string) {
	ctx := c.Request.Context()
	now := s.now()
	for attempt := 0; attempt < maxIdemAttempts; attempt++ {
		k := key
		if attempt > 0 {
			k = key + "\n" + strconv.Itoa(attempt)
		}
		rec, created, err := s.idem.PutIdempotency(ctx, store.IdemRecord{Scope: scope, Key: k, RequestHash: hash, CreatedAt: now})
		if err != nil {
			_ = c.Error(derrors.Wrap(err, derrors.Unavailable, "store_unavailable", "the store did not answer; try again"))
			c.Abort()
			return
		}
		if created {
			s.runAndRecord(c, scope, k)
			return
		}
		if rec.RequestHash != hash {
			_ = c.Error(derrors.New(derrors.Unprocessable, "idempotency_key_reused",
				"this %s was used for a different request; use a new key for a new request", HeaderIdempotencyKey))
			c.Abort()
			return
		}
		expired := now.Sub(rec.CreatedAt) > s.cfg.IdempotencyTTL
		switch {
		case rec.Completed && stored(rec.Status) && !expired:
			replay(c, rec)
			return
		case rec.Completed, expired:
			continue // not final, or forgotten: the next record
		case now.Sub(rec.CreatedAt) <= s.inFlightLimit():
			e := derrors.New(derrors.Conflict, "request_in_flight",
				"a request with this %s is still being processed; retry when it is done", HeaderIdempotencyKey)
			e.RetryAfter = time.Second
			_ = c.Error(e)
			c.Abort()
			return
		}
		// In flight for longer than any request may last: abandoned.
	}
	_ = c.Error(derrors.New(derrors.Conflict, "idempotency_key_exhausted",
		"this %s failed %d times; use a new key", HeaderIdempotencyKey, maxIdemAttempts))
	c.Abort()
}

// inFlightLimit is the longest a request can hold its record: the longest
// ?wait= plus time for the registry and the store.
func (s *Server) inFlightLimit() time.Duration { return s.cfg.MaxWait + time.Minute }

// runAndRecord runs the rest of the chain, writes its answer (problems
// included) itself, and stores the answer in record key.
func (s *Server) runAndRecord(c *gin.Context, scope, key string) {
	rw := &recorder{ResponseWriter: c.Writer}
	c.Writer = rw
	c.Next()
	if len(c.Errors) > 0 && !rw.Written() {
		renderError(c, s.log)
	}
	status := rw.Status()
	var body []byte
	if stored(status) {
		body = rw.buf.Bytes()
	}
	// Complete even a 5xx (without its body): the chain then moves on.
	// A fresh context: the caller may be gone, the record must not stay in flight.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 10*time.Second)
	defer cancel()
	if err := s.idem.CompleteIdempotency(ctx, scope, key, status, body); err != nil {
		s.log.Warn("recording an idempotent answer", zap.String("request_id", c.GetString(ctxRequestID)), zap.Error(err))
	}
}

// replay writes a stored answer.
func replay(c *gin.Context, rec store.IdemRecord) {
	ct := "application/json; charset=utf-8"
	if rec.Status >= 400 {
		ct = "application/problem+json"
	}
	if rec.Status < 300 {
		var b struct {
			Release struct{ ID string } `json:"release"`
		}
		if json.Unmarshal(rec.Body, &b) == nil && b.Release.ID != "" {
			c.Header("Location", "/api/v1/releases/"+b.Release.ID)
		}
	}
	c.Header(HeaderReplayed, "true")
	c.Data(rec.Status, ct, rec.Body)
	c.Abort()
}

// recorder keeps a copy of the answer written through it.
type recorder struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteString(s string) (int, error) {
	r.buf.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}
