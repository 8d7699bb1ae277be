package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"

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
)

// idempotency makes POST requests with an Idempotency-Key header (or a
// signed webhook's delivery id) answer a repeat with the first answer,
// without doing the work again. Records are scoped by who sent them.
//
// How a key is claimed, held and finished is dedupe.go's: one rule for
// every kind of delivery id.
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
		if isDryRun(body) {
			c.Next()
			return
		}
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
	cl, err := s.claim(c.Request.Context(), scope, key, hash)
	if err != nil {
		_ = c.Error(err)
		c.Abort()
		return
	}
	switch cl.outcome {
	case claimed:
		s.runAndRecord(c, cl)
		return
	case answered:
		replay(c, cl.rec)
		return
	case reused:
		_ = c.Error(derrors.New(derrors.Unprocessable, "idempotency_key_reused",
			"this %s was used for a different request; use a new key for a new request", HeaderIdempotencyKey))
	case inFlight:
		e := derrors.New(derrors.Conflict, "request_in_flight",
			"a request with this %s is still being processed; retry when it is done", HeaderIdempotencyKey)
		e.RetryAfter = cl.retryAfter
		_ = c.Error(e)
	case exhausted:
		_ = c.Error(derrors.New(derrors.Conflict, "idempotency_key_exhausted",
			"this %s failed %d times; use a new key", HeaderIdempotencyKey, maxIdemAttempts))
	}
	c.Abort()
}

// runAndRecord runs the rest of the chain while holding the claimed
// record, writes its answer (problems included) itself, and stores it.
func (s *Server) runAndRecord(c *gin.Context, cl claim) {
	stop := s.hold(c.Request.Context(), cl)
	defer stop() // also on a panic: the lease then lapses and a retry takes over
	rw := &recorder{ResponseWriter: c.Writer}
	c.Writer = rw
	c.Next()
	if len(c.Errors) > 0 && !rw.Written() {
		renderError(c, s.log)
	}
	stop()
	if err := s.finish(c.Request.Context(), cl, rw.Status(), rw.buf.Bytes()); err != nil {
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
