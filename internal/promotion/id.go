package promotion

import "github.com/google/uuid"

// newID returns a time-ordered unique id with a type prefix, e.g. "rel_0193…".
func newID(prefix string) string {
	return prefix + "_" + uuid.Must(uuid.NewV7()).String()
}
