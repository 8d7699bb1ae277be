package gitrepo

import "time"

// Observer is told how each network operation on the remote went, for the
// operator's metrics. Op is "fetch" or "push"; err is nil on success. It
// must be safe for concurrent use and must not block.
type Observer interface {
	ObserveGit(op string, d time.Duration, err error)
}

// observe reports an operation begun at start to the configured Observer,
// if any. Called deferred, so err points at the operation's named result.
func (r *Repo) observe(op string, start time.Time, err *error) {
	if r.cfg.Observer == nil {
		return
	}
	r.cfg.Observer.ObserveGit(op, time.Since(start), *err)
}
