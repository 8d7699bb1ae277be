package stdwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Tolerance is how far a delivery's timestamp may be from the receiver's
// clock, in either direction: the replay window. Five minutes is what
// Standard Webhooks recommends; a replay older than that is refused even
// when its signature holds.
const Tolerance = 5 * time.Minute

// maxSignatures bounds the signatures one header may carry, so a header of
// many candidates cannot make the receiver compute many HMACs.
const maxSignatures = 10

// Verify checks a delivery's headers against the sender's keys (any one may
// match, for rotation) and the replay window around now. Its errors are
// derrors Unauthenticated with code bad_signature and a detail saying what
// is wrong, never what was expected.
func Verify(keys [][]byte, id, timestamp, signature string, body []byte, now time.Time) error {
	if id == "" || timestamp == "" || signature == "" {
		return badSignature("the %s, %s and %s headers are required", HeaderID, HeaderTimestamp, HeaderSignature)
	}
	if len(id) > 255 {
		return badSignature("%s is longer than 255 characters", HeaderID)
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || timestamp[0] == '+' || timestamp[0] == '-' {
		return badSignature("%s must be Unix seconds", HeaderTimestamp)
	}
	// Compare in seconds: a time.Duration from an absurd timestamp would overflow.
	tol := int64(Tolerance / time.Second)
	switch d := now.Unix() - ts; {
	case d > tol:
		return badSignature("the timestamp is expired: more than %s old", Tolerance)
	case d < -tol:
		return badSignature("the timestamp is in the future: more than %s ahead of the server's clock", Tolerance)
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
		return badSignature("%s holds no v1,<base64 HMAC-SHA256> signature", HeaderSignature)
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
