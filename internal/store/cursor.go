package store

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/ferryhq/ferry/internal/derrors"
)

// Cursor is the position after the last row of a page: lists are ordered
// newest first by (CreatedAt, ID), and the next page holds the rows strictly
// after it in that order. Keyset pagination keeps a deep page as cheap as the
// first and never skips or repeats rows when new ones arrive in between.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// Encode returns c as an opaque string: base64url of "<unix micros> <id>".
func (c Cursor) Encode() string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + " " + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor parses a cursor made by Cursor.Encode. A malformed cursor is a
// derrors.Invalid error with code "invalid_cursor".
func DecodeCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, derrors.Wrap(err, derrors.Invalid, "invalid_cursor", "cursor %q is not one this server made", s)
	}
	micros, id, ok := strings.Cut(string(raw), " ")
	if !ok || id == "" {
		return Cursor{}, derrors.New(derrors.Invalid, "invalid_cursor", "cursor %q is not one this server made", s)
	}
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return Cursor{}, derrors.Wrap(err, derrors.Invalid, "invalid_cursor", "cursor %q is not one this server made", s)
	}
	return Cursor{CreatedAt: time.UnixMicro(n).UTC(), ID: id}, nil
}
