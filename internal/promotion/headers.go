package promotion

import "strings"

// Headers are a webhook delivery's headers as providers read them: names
// in lower case, the first value of each. It keeps net/http out of the
// engine and its providers' signatures: the receiver builds it once.
type Headers map[string]string

// Get returns the value of the header name, in any case, or "".
func (h Headers) Get(name string) string { return h[strings.ToLower(name)] }

// Set sets the header name, in any case, to v.
func (h Headers) Set(name, v string) { h[strings.ToLower(name)] = v }
