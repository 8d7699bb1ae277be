// Package stdwebhook signs and verifies Standard Webhooks deliveries
// (https://www.standardwebhooks.com/): an HMAC-SHA256 over id, timestamp and
// body, keyed by a whsec_ secret, checked against several secrets (rotation)
// within a replay window. CI senders, `ferry notify` and Ferry's outbound
// notifications all sign the same way, so the rules live here once.
package stdwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix starts every Standard Webhooks secret.
const secretPrefix = "whsec_"

// minKey is the shortest signing key accepted, in bytes; Standard Webhooks
// asks for 24 to 64.
const minKey = 24

// ParseSecret decodes a whsec_<base64> secret into its HMAC key. Its error
// says what is wrong with the secret, never the secret.
func ParseSecret(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, errors.New("must start with " + secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("is not " + secretPrefix + " followed by standard base64")
	}
	if len(key) < minKey || len(key) > 64 {
		return nil, fmt.Errorf("must decode to %d to 64 bytes, not %d", minKey, len(key))
	}
	return key, nil
}

// Sign returns the webhook-signature header value for a delivery: "v1,"
// and the base64 HMAC-SHA256 of id "." timestamp "." body.
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(timestamp, 10), body))
}

// Headers returns the three headers of a delivery signed with key at
// timestamp (Unix seconds).
func Headers(key []byte, id string, timestamp int64, body []byte) map[string]string {
	return map[string]string{
		HeaderID:        id,
		HeaderTimestamp: strconv.FormatInt(timestamp, 10),
		HeaderSignature: Sign(key, id, timestamp, body),
	}
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
