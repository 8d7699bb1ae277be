package manifest

// Option tunes Set and Get.
type Option func(*options)

type options struct {
	maxBytes          int64
	maxAliasExpansion int
}

const (
	defaultMaxBytes          = 1 << 20
	defaultMaxAliasExpansion = 10_000
)

func makeOptions(opts []Option) options {
	o := options{maxBytes: defaultMaxBytes, maxAliasExpansion: defaultMaxAliasExpansion}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithMaxBytes refuses files larger than n bytes. The default is 1 MiB.
func WithMaxBytes(n int64) Option {
	return func(o *options) { o.maxBytes = n }
}

// WithMaxAliasExpansion refuses files in which aliases, expanded, would stand
// for more than n nodes in total (a "billion laughs" YAML bomb). The file's own
// nodes do not count, only the copies aliases would make. The default is 10,000.
func WithMaxAliasExpansion(n int) Option {
	return func(o *options) { o.maxAliasExpansion = n }
}
