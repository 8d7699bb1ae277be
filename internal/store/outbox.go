package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ferryhq/ferry/internal/promotion"
)

// Event is something to tell people about, recorded in the notification
// outbox in the transaction that made it happen: the outbox holds an event
// exactly when the store holds the change, whoever wrote it and however the
// process ends afterwards. Most events are a promotion's change of state;
// the others are the kinds below.
type Event struct {
	ID string
	// PromotionID is "" for an event about no promotion (a report, a pin).
	PromotionID string
	Application string
	// Environment is "" for a build report (it names no environment).
	Environment string
	// Kind is the state the promotion entered, or one of the Event* kinds.
	Kind   string
	At     time.Time
	Actor  string
	Reason string
	Detail EventDetail
}

// Kinds of events that are not a promotion entering a state.
const (
	// EventReportAccepted: a build report recorded a new release (Detail
	// names it). A repeated report of the same image records nothing.
	EventReportAccepted = "report.accepted"
	// EventReportRefused: a build report was refused; Reason says why.
	EventReportRefused = "report.refused"
	// EventApproved: a promotion gained counted approvals; Detail.Approvers
	// are the new ones, and the promotion's Approvers all of them.
	EventApproved = "approved"
	// EventPinned and EventUnpinned: automatic promotions of Application
	// into Environment are held (or no longer held); Actor is who, Reason
	// why. Pin code records them with RecordEvent (in its own transaction
	// with RecordEventTx).
	EventPinned   = "pinned"
	EventUnpinned = "unpinned"
)

// EventDetail is what an event names beyond its promotion: the reported
// image of a report, who approved. It is stored as JSON.
type EventDetail struct {
	ReleaseID    string   `json:"release_id,omitempty"`
	Image        string   `json:"image,omitempty"`
	Tag          string   `json:"tag,omitempty"`
	Digest       string   `json:"digest,omitempty"`
	SourceRepo   string   `json:"source_repo,omitempty"`
	SourceCommit string   `json:"source_commit,omitempty"`
	CIRunURL     string   `json:"ci_run_url,omitempty"`
	Approvers    []string `json:"approvers,omitempty"`
	// Counted are all the promotion's counted approvers when the event
	// was recorded (Approvers are the new ones).
	Counted []string `json:"counted,omitempty"`
}

// insertEvent records the event of p entering its state (p prepared).
func (s *SQL) insertEvent(ctx context.Context, tx Conn, p promotion.Promotion, at time.Time) error {
	return s.RecordEventTx(ctx, tx, Event{PromotionID: p.ID, Application: p.Application, Environment: p.Environment,
		Kind: string(p.State), At: at, Actor: firstOf(p.Actor, p.RequestedBy, DefaultActor), Reason: firstOf(p.Note, p.Reason)})
}

// promotionEvents records the events of the write of p (prepared) over a
// row that held state, reason and approvers: p entering a state, a waiting
// promotion's new reason (once per reason, not per look at its gates) and
// new counted approvals.
func (s *SQL) promotionEvents(ctx context.Context, tx Conn, state promotion.State, reason string, approvers []string, p promotion.Promotion) error {
	if state != p.State || (p.State == promotion.StateWaiting && reason != p.Reason) {
		if err := s.insertEvent(ctx, tx, p, p.UpdatedAt); err != nil {
			return err
		}
	}
	var added []string
	for _, a := range p.Approvers {
		if !slices.Contains(approvers, a) {
			added = append(added, a)
		}
	}
	if len(added) == 0 {
		return nil
	}
	return s.RecordEventTx(ctx, tx, Event{PromotionID: p.ID, Application: p.Application, Environment: p.Environment,
		Kind: EventApproved, At: p.UpdatedAt, Actor: added[0], Detail: EventDetail{Approvers: added, Counted: p.Approvers}})
}

// ReportAccepted is the event of the report that recorded r, starting ps.
// It names no environment and, when r starts one promotion, that one.
func ReportAccepted(r promotion.Release, ps []promotion.Promotion) Event {
	ev := Event{Application: r.Application, Kind: EventReportAccepted, At: r.CreatedAt, Actor: r.ReportedBy,
		Detail: EventDetail{ReleaseID: r.ID, Image: r.Repository, Tag: r.Tag, Digest: r.Digest,
			SourceRepo: r.SourceRepo, SourceCommit: r.SourceCommit, CIRunURL: r.CIRunURL}}
	if len(ps) == 1 {
		ev.PromotionID = ps[0].ID
	}
	return ev
}

// RecordEvent records ev, for an event that is not a promotion's change of
// state (EventReportRefused, EventPinned…). A zero ID is made, a zero At
// is now.
func (s *SQL) RecordEvent(ctx context.Context, ev Event) error {
	if err := s.write(ctx, func(tx Conn) error { return s.RecordEventTx(ctx, tx, ev) }); err != nil {
		return fmt.Errorf("recording a %s event: %w", ev.Kind, err)
	}
	return nil
}

// RecordEventTx records ev in tx, so that the event exists exactly when
// the change it tells of does (a pin, a release).
func (s *SQL) RecordEventTx(ctx context.Context, tx Conn, ev Event) error {
	if ev.ID == "" {
		ev.ID = "evt_" + uuid.Must(uuid.NewV7()).String()
	}
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	var promotionID any
	if ev.PromotionID != "" {
		promotionID = ev.PromotionID
	}
	detail := ""
	if ev.Detail.ReleaseID != "" || ev.Detail.Image != "" || ev.Detail.Tag != "" || len(ev.Detail.Approvers) > 0 {
		b, err := json.Marshal(ev.Detail)
		if err != nil {
			return err
		}
		detail = string(b)
	}
	_, err := tx.Exec(ctx, s.q.insertEvent, ev.ID, promotionID, ev.Application, ev.Environment, ev.Kind, s.d.time(Time(ev.At)),
		ev.Actor, ev.Reason, detail)
	if err != nil {
		return fmt.Errorf("recording the %s event of %q: %w", ev.Kind, firstOf(ev.PromotionID, ev.Application), err)
	}
	return nil
}

// DeliveryID is the id of the delivery of event to destination: the same
// for every attempt and redelivery, so a receiver drops repeats by it.
func DeliveryID(eventID, destination string) string {
	h := sha256.Sum256([]byte(eventID + "\x00" + destination))
	return "dlv_" + hex.EncodeToString(h[:16])
}

// Router says which destinations an event goes to (none: it is dropped).
type Router func(Event) []string

// DispatchEvents turns up to limit undispatched events, oldest first, into
// one pending delivery per destination route names, and marks them
// dispatched, in one transaction; it returns how many events it took. Two
// replicas dispatching the same event make the same delivery ids, so the
// second adds nothing.
func (s *SQL) DispatchEvents(ctx context.Context, now time.Time, limit int, route Router) (int, error) {
	n := 0
	err := s.write(ctx, func(tx Conn) error {
		evs, err := List(ctx, tx, s.q.newEvents, []any{limit}, s.scanEvent)
		if err != nil {
			return err
		}
		n = len(evs)
		nowArg := s.d.time(now)
		for _, ev := range evs {
			for _, dest := range route(ev) {
				if _, err := tx.Exec(ctx, s.q.insertDelivery, DeliveryID(ev.ID, dest), ev.ID, dest, nowArg, nowArg, nowArg); err != nil {
					return fmt.Errorf("adding the delivery of %s to %s: %w", ev.ID, dest, err)
				}
			}
			if _, err := tx.Exec(ctx, s.q.dispatchEvent, ev.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("dispatching events: %w", err)
	}
	return n, nil
}

func (s *SQL) scanEvent(row Row) (Event, error) {
	var ev Event
	var at timeColumn
	var detail string
	err := row.Scan(&ev.ID, &ev.PromotionID, &ev.Application, &ev.Environment, &ev.Kind, at.dest(s.d), &ev.Actor, &ev.Reason, &detail)
	ev.At = at.value(s.d)
	if err == nil {
		err = decodeDetail(detail, &ev.Detail)
	}
	return ev, err
}

func decodeDetail(s string, d *EventDetail) error {
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), d); err != nil {
		return fmt.Errorf("reading an event's detail: %w", err)
	}
	return nil
}
