// Package notify sends what moved where to the destinations of the server
// config (signed JSON webhooks, Slack, Teams), at least once, from the
// store's outbox: events recorded with each promotion change are routed to
// destinations, and each delivery is claimed with a lease, retried with
// capped exponential backoff and dead-lettered after MaxAttempts.
package notify

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/store"
)

// Store is what the sender needs of the store.
type Store interface {
	store.Outbox
	GetPromotion(ctx context.Context, id string) (promotion.Promotion, error)
	GetRelease(ctx context.Context, id string) (promotion.Release, error)
}

// Observer counts deliveries sent, by channel and result (delivered,
// retry, dead); internal/telemetry implements it.
type Observer interface {
	ObserveDelivery(channel, result string)
}

// Config tunes the sender; each zero field takes the default in its doc.
type Config struct {
	Owner string // names this replica in leases; required
	// Poll is how often the outbox is looked at. Default 500ms.
	Poll time.Duration
	// Lease is how long a claimed delivery is held. Default 1m.
	Lease time.Duration
	// Timeout bounds one attempt. Default 10s.
	Timeout time.Duration
	// FirstRetry and MaxRetry shape the backoff: FirstRetry doubling per
	// attempt, at most MaxRetry. Defaults 1s and 5m.
	FirstRetry, MaxRetry time.Duration
}

// Sender delivers the outbox's events.
type Sender struct {
	cfg   Config
	n     config.Notifications
	dests map[string]channel
	store Store
	http  *client
	log   *zap.Logger
	obs   Observer
	now   func() time.Time
}

// New returns a Sender for the destinations of n.
func New(cfg Config, n config.Notifications, s Store, obs Observer, log *zap.Logger) (*Sender, error) {
	if cfg.Owner == "" {
		return nil, fmt.Errorf("notify: Config.Owner is required")
	}
	cfg.Poll = orDefault(cfg.Poll, 500*time.Millisecond)
	cfg.Lease = orDefault(cfg.Lease, time.Minute)
	cfg.Timeout = orDefault(cfg.Timeout, 10*time.Second)
	cfg.FirstRetry = orDefault(cfg.FirstRetry, time.Second)
	cfg.MaxRetry = orDefault(cfg.MaxRetry, 5*time.Minute)
	if n.MaxAttempts == 0 {
		n.MaxAttempts = 10
	}
	s2 := &Sender{cfg: cfg, n: n, dests: map[string]channel{}, store: s, http: newClient(n.Allow, cfg.Timeout),
		log: log, obs: obs, now: time.Now}
	for _, d := range n.Destinations {
		ch, err := newChannel(d)
		if err != nil {
			return nil, fmt.Errorf("notifications destination %s: %w", d.Name, err)
		}
		s2.dests[d.Name] = ch
	}
	return s2, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Route returns the destinations whose filters let ev through.
func (s *Sender) Route(ev store.Event) []string {
	name := EventName(ev.Kind)
	var out []string
	for _, d := range s.n.Destinations {
		if pass(d.Events, name) && pass(d.Applications, ev.Application) && pass(d.Environments, ev.Environment) {
			out = append(out, d.Name)
		}
	}
	return out
}

func pass(filter []string, v string) bool { return len(filter) == 0 || slices.Contains(filter, v) }

// EventName is the notification event of an event kind: a promotion
// entering a state, or one of the store's other kinds.
func EventName(kind string) string {
	switch kind {
	case string(promotion.StatePending):
		return "promotion.created"
	case string(promotion.StatePROpen):
		return "pr.opened"
	case store.EventReportAccepted, store.EventReportRefused:
		return kind
	case store.EventApproved:
		return "promotion.approved"
	case store.EventPinned, store.EventUnpinned:
		return "environment." + kind
	}
	return "promotion." + kind
}

// Run dispatches and sends until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		if err := s.Once(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sending notifications", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once routes new events and sends the deliveries due now.
func (s *Sender) Once(ctx context.Context) error {
	if _, err := s.store.DispatchEvents(ctx, s.now(), 100, s.Route); err != nil {
		return err
	}
	ds, err := s.store.ClaimDeliveries(ctx, s.cfg.Owner, s.now(), s.cfg.Lease, 20)
	if err != nil {
		return err
	}
	for _, d := range ds {
		s.deliver(ctx, d)
	}
	return nil
}

// deliver makes one attempt at d and records its outcome.
func (s *Sender) deliver(ctx context.Context, d store.Delivery) {
	ch, ok := s.dests[d.Destination]
	var out store.Outcome
	switch limit := s.maxAttempts(d.Destination); {
	case !ok:
		// A destination removed from the config since: nothing to send to.
		out = store.Outcome{State: store.DeliveryDead, Error: "destination no longer configured"}
	case d.Attempts > limit:
		// Claimed again after its last allowed attempt was cut short by a
		// stop (its lease ran out with no outcome): dead, re-sendable,
		// without an attempt beyond the limit.
		out = store.Outcome{State: store.DeliveryDead, Attempts: limit,
			Error: fmt.Sprintf("gave up after %d attempts: Ferry stopped during the last one, whose outcome is unknown", limit)}
	default:
		out = s.attempt(ctx, ch, d)
	}
	if s.obs != nil {
		kind := "unknown"
		if ok {
			kind = ch.kind()
		}
		result := map[string]string{store.DeliveryDelivered: "delivered", store.DeliveryPending: "retry", store.DeliveryDead: "dead"}[out.State]
		s.obs.ObserveDelivery(kind, result)
	}
	// A fresh context: the attempt's outcome is recorded even as ctx ends,
	// or the delivery is sent again after its lease, with the same id.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.store.FinishDelivery(fctx, s.cfg.Owner, d.ID, s.now(), out); err != nil {
		s.log.Warn("recording a delivery", zap.String("delivery", d.ID), zap.Error(err))
	}
}

func (s *Sender) attempt(ctx context.Context, ch channel, d store.Delivery) store.Outcome {
	msg, err := s.message(ctx, d)
	if err != nil {
		return s.retry(d, 0, fmt.Sprintf("reading the promotion: %v", err))
	}
	var status int
	var after time.Duration
	if c, ok := ch.(caller); ok {
		status, after, err = c.call(ctx, s.http, d.ID, msg)
	} else {
		body, headers, eerr := ch.encode(d.ID, s.now(), msg)
		if eerr != nil {
			return store.Outcome{State: store.DeliveryDead, Error: fmt.Sprintf("encoding: %v", eerr)}
		}
		status, after, err = s.http.post(ctx, ch.url(), body, headers)
	}
	switch {
	case err != nil:
		return s.retry(d, 0, err.Error())
	case status >= 200 && status < 300:
		return store.Outcome{State: store.DeliveryDelivered}
	case status == 429 || status >= 500 || status == 408:
		return s.retry(d, after, fmt.Sprintf("the destination answered %d", status))
	}
	// Another 4xx will not change by itself: dead at once, re-sendable.
	return store.Outcome{State: store.DeliveryDead, Error: fmt.Sprintf("the destination answered %d", status)}
}

// retry schedules the next attempt of d, or dead-letters it after
// MaxAttempts. after, when positive, is the destination's Retry-After.
func (s *Sender) retry(d store.Delivery, after time.Duration, why string) store.Outcome {
	if d.Attempts >= s.maxAttempts(d.Destination) {
		return store.Outcome{State: store.DeliveryDead, Error: fmt.Sprintf("gave up after %d attempts: %s", d.Attempts, why)}
	}
	wait := backoff(s.cfg.FirstRetry, s.cfg.MaxRetry, d.Attempts)
	if after > 0 {
		wait = min(after, time.Hour)
	}
	return store.Outcome{State: store.DeliveryPending, NextAttemptAt: s.now().Add(wait), Error: why}
}

// maxAttempts is the destination's own limit, or the global one.
func (s *Sender) maxAttempts(dest string) int {
	for _, d := range s.n.Destinations {
		if d.Name == dest && d.MaxAttempts > 0 {
			return d.MaxAttempts
		}
	}
	return s.n.MaxAttempts
}

// backoff is first doubled per attempt made beyond the first, capped at max.
func backoff(first, max time.Duration, attempts int) time.Duration {
	d := first
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}
