package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Standard Webhooks headers (https://www.standardwebhooks.com/).
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// SignatureTolerance is how far a webhook's timestamp may be from the
// server's clock, in either direction.
const SignatureTolerance = 5 * time.Minute

// maxSignatures bounds the signatures one header may carry.
const maxSignatures = 10

// SignWebhook returns the webhook-signature header value for a delivery:
// "v1," and the base64 HMAC-SHA256 of id "." timestamp "." body.
func SignWebhook(key []byte, id string, timestamp int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(timestamp, 10), body))
}

func mac(key []byte, id, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifySignature checks a delivery's headers against the sender's keys
// (any one may match, for rotation) and the replay window around now. Its
// errors are derrors Unauthenticated with code bad_signature and a detail
// saying what is wrong, never what was expected.
func VerifySignature(keys [][]byte, id, timestamp, signature string, body []byte, now time.Time) error {
	if id == "" || timestamp == "" || signature == "" {
		return badSignature("the %s, %s and %s headers are required", HeaderWebhookID, HeaderWebhookTimestamp, HeaderWebhookSignature)
	}
	if len(id) > 255 {
		return badSignature("%s is longer than 255 characters", HeaderWebhookID)
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || timestamp[0] == '+' || timestamp[0] == '-' {
		return badSignature("%s must be Unix seconds", HeaderWebhookTimestamp)
	}
	// Compare in seconds: a time.Duration from an absurd timestamp would overflow.
	tol := int64(SignatureTolerance / time.Second)
	switch d := now.Unix() - ts; {
	case d > tol:
		return badSignature("the timestamp is expired: more than %s old", SignatureTolerance)
	case d < -tol:
		return badSignature("the timestamp is in the future: more than %s ahead of the server's clock", SignatureTolerance)
	}
	var sigs [][]byte
	for i, f := range strings.Fields(signature) {
		if i >= maxSignatures {
			break
		}
		v, b64, ok := strings.Cut(f, ",")
		if !ok || v != "v1" {
			continue // other schemes (v1a, …) are not ours to check
		}
		if sig, err := base64.StdEncoding.DecodeString(b64); err == nil && len(sig) == sha256.Size {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return badSignature("%s holds no v1,<base64 HMAC-SHA256> signature", HeaderWebhookSignature)
	}
	for _, k := range keys {
		want := mac(k, id, timestamp, body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return nil
			}
		}
	}
	return badSignature("no signature matches the body with any of the sender's secrets")
}

func badSignature(format string, args ...any) error {
	return derrors.New(derrors.Unauthenticated, "bad_signature", format, args...)
}
