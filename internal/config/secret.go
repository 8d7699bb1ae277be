package config

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Secret is a credential read from the config file, an environment variable
// or a file. It never prints its value: String, GoString, MarshalJSON and
// MarshalYAML all give "[redacted]".
//
//	password: literal-value          # discouraged outside development
//	password: {env: GHCR_TOKEN}
//	password: {file: /run/secrets/ghcr}
type Secret struct {
	value  string
	source string // "inline", "env:NAME" or "file:PATH", for error messages
}

// NewSecret returns a Secret holding v (used by dev mode and tests).
func NewSecret(v string) Secret { return Secret{value: v, source: "inline"} }

// Value returns the secret. Call it only where the secret is used.
func (s Secret) Value() string { return s.value }

// IsSet reports whether the secret has a non-empty value.
func (s Secret) IsSet() bool { return s.value != "" }

func (s Secret) String() string { return "[redacted]" }

// GoString keeps secrets out of %#v, which does not call String.
func (s Secret) GoString() string { return `"[redacted]"` }

// MarshalJSON keeps secrets out of any JSON dump of the config.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// MarshalYAML keeps secrets out of any YAML dump of the config.
func (s Secret) MarshalYAML() (any, error) { return "[redacted]", nil }

// UnmarshalYAML reads a literal, {env: NAME} or {file: PATH}.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		s.value, s.source = n.Value, "inline"
		return nil
	case yaml.MappingNode:
		var ref struct {
			Env  string `yaml:"env"`
			File string `yaml:"file"`
		}
		if err := n.Decode(&ref); err != nil {
			return err
		}
		switch {
		case ref.Env != "" && ref.File != "":
			return fmt.Errorf("line %d: a secret takes env or file, not both", n.Line)
		case ref.Env != "":
			v, ok := os.LookupEnv(ref.Env)
			if !ok {
				return fmt.Errorf("line %d: environment variable %s is not set", n.Line, ref.Env)
			}
			s.value, s.source = v, "env:"+ref.Env
		case ref.File != "":
			b, err := os.ReadFile(ref.File)
			if err != nil {
				return fmt.Errorf("line %d: reading secret file: %w", n.Line, err)
			}
			s.value, s.source = strings.TrimRight(string(b), "\r\n"), "file:"+ref.File
		default:
			return fmt.Errorf("line %d: a secret mapping needs env or file", n.Line)
		}
		return nil
	}
	return fmt.Errorf("line %d: a secret is a string or a mapping with env or file", n.Line)
}
