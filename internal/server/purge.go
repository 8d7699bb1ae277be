package server

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// PurgeIdempotency deletes idempotency records older than the configured
// TTL every interval until ctx ends. One pass runs at once.
func (s *Server) PurgeIdempotency(ctx context.Context, interval time.Duration) {
	if s.idem == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Minute)
		n, err := s.idem.DeleteIdempotencyBefore(pctx, s.now().Add(-s.cfg.IdempotencyTTL))
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("purging idempotency records", zap.Error(err))
		case n > 0:
			s.log.Info("purged idempotency records", zap.Int64("deleted", n), zap.Duration("ttl", s.cfg.IdempotencyTTL))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
