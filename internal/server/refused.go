package server

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// EventRecorder records notification events that change nothing else, such
// as a refused build report.
type EventRecorder interface {
	RecordEvent(ctx context.Context, ev store.Event) error
}

// recordRefused tells the notification outbox that the engine refused b
// for err. Only refusals are told (the report's own fault: 4xx), not a
// dependency that is down, which CI retries. A refusal changes nothing,
// so its event has no transaction to join: failing to record it is
// logged, and the answer to CI stays the refusal.
func (s *Server) recordRefused(ctx context.Context, b promotion.Build, who string, err error) {
	if s.events == nil {
		return
	}
	de, ok := derrors.As(err)
	if !ok || de.Kind == derrors.Internal || de.Kind == derrors.Unavailable {
		return
	}
	ev := store.Event{Application: b.Application, Kind: store.EventReportRefused, At: s.now(), Actor: who,
		Reason: de.Code + ": " + de.Detail, Detail: store.EventDetail{Image: b.Image, Tag: b.Tag, Digest: b.Digest,
			SourceRepo: b.SourceRepo, SourceCommit: b.SourceCommit, CIRunURL: b.CIRunURL}}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := s.events.RecordEvent(rctx, ev); rerr != nil {
		s.log.Warn("recording a refused report's notification", zap.String("application", b.Application), zap.Error(rerr))
	}
}
