package store

import (
	"encoding/json"
	"fmt"

	"github.com/ferryhq/ferry/internal/supplychain"
)

// EncodeVerification is a release's supply-chain facts as stored: JSON, or
// "" for none.
func EncodeVerification(f *supplychain.Facts) (string, error) {
	if f == nil {
		return "", nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("encoding verification: %w", err)
	}
	return string(b), nil
}

// DecodeVerification reads what EncodeVerification stored.
func DecodeVerification(s string) (*supplychain.Facts, error) {
	if s == "" {
		return nil, nil
	}
	var f supplychain.Facts
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		return nil, fmt.Errorf("decoding verification: %w", err)
	}
	f.VerifiedAt = f.VerifiedAt.UTC()
	return &f, nil
}
