package notify_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/notify"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/stdwebhook"
	"github.com/ferryhq/ferry/internal/store"
	"github.com/ferryhq/ferry/internal/store/sqlite"
)

var whsec = "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))

// receiver is a destination that records what it gets and answers with
// the statuses queued, then 200.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []*http.Request
	bodies  [][]byte
	answers []int
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got, r.bodies = append(r.got, req), append(r.bodies, b)
		status := http.StatusOK
		if len(r.answers) > 0 {
			status, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) host() string { u, _ := url.Parse(r.URL); return u.Host }

func (r *receiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

func secret(t *testing.T, v string) config.Secret {
	t.Helper()
	var s config.Secret
	if err := yaml.Unmarshal([]byte(strconv.Quote(v)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// flow stores a release whose dev promotion is committed: three events
// (the report accepted, the promotion created, committed).
func flow(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Now()
	r := promotion.Release{ID: "rel-1", Application: "payments", Repository: "registry.example.com/acme/payments", Tag: "1.4.2",
		Digest: "sha256:" + strings.Repeat("a", 64), SourceCommit: strings.Repeat("b", 40), CreatedAt: now}
	p := promotion.Promotion{ID: "prm-1", ReleaseID: r.ID, Application: "payments", Environment: "dev", State: promotion.StatePending,
		NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if _, _, err := s.CreateRelease(ctx, r, []promotion.Promotion{p}); err != nil {
		t.Fatal(err)
	}
	p.State, p.CommitSHA, p.UpdatedAt = promotion.StateCommitted, strings.Repeat("c", 40), now.Add(time.Second)
	if err := s.UpdatePromotion(ctx, "", p); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWebhookDeliveriesAreSignedWithAStableID(t *testing.T) {
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	s := flow(t)
	n := config.Notifications{Allow: []string{rcv.host()}, ConsoleURL: "https://ferry.example.com",
		Destinations: []config.Destination{{Name: "ops", Kind: "webhook", URL: secret(t, rcv.URL+"/hook"), Secret: secret(t, whsec),
			Events: []string{"promotion.committed"}}}}
	snd, err := notify.New(notify.Config{Owner: "a"}, n, s, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := snd.Once(ctx); err != nil {
		t.Fatal(err)
	}
	// 503 with Retry-After: 7 → pending, due in about 7s.
	ds, err := s.ListDeliveries(ctx, store.DeliveryFilter{})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	if d := ds[0]; d.State != store.DeliveryPending || d.LastError != "the destination answered 503" ||
		d.NextAttemptAt.Sub(d.UpdatedAt) < 6*time.Second || d.NextAttemptAt.Sub(d.UpdatedAt) > 8*time.Second {
		t.Fatalf("after a 503: %+v", d)
	}
	if _, err := s.Redeliver(ctx, ds[0].ID, time.Now()); err != nil { // due now, same id
		t.Fatal(err)
	}
	if err := snd.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if rcv.count() != 2 {
		t.Fatalf("receiver got %d requests, want 2", rcv.count())
	}
	for i, req := range rcv.got {
		id := req.Header.Get(stdwebhook.HeaderID)
		if id != ds[0].ID {
			t.Errorf("attempt %d: webhook-id %q, want %q", i, id, ds[0].ID)
		}
		key, _ := stdwebhook.ParseSecret(whsec)
		if err := stdwebhook.Verify([][]byte{key}, id, req.Header.Get(stdwebhook.HeaderTimestamp), req.Header.Get(stdwebhook.HeaderSignature), rcv.bodies[i], time.Now()); err != nil {
			t.Errorf("attempt %d: signature: %v", i, err)
		}
	}
	var body struct {
		Type, ID, Text string
		Data           notify.Message
	}
	if err := json.Unmarshal(rcv.bodies[1], &body); err != nil {
		t.Fatal(err)
	}
	if body.Type != "promotion.committed" || body.Text != "payments 1.4.2 in dev: committed" ||
		body.Data.ConsoleURL != "https://ferry.example.com/promotions/prm-1" || body.Data.CommitSHA != strings.Repeat("c", 40) {
		t.Errorf("body %s", rcv.bodies[1])
	}
	if d, _ := s.GetDelivery(ctx, ds[0].ID); d.State != store.DeliveryDelivered {
		t.Errorf("delivery state %s", d.State)
	}
}

func TestDeadLetterAfterMaxAttempts(t *testing.T) {
	rcv := newReceiver(t, 500, 500, 500)
	s := flow(t)
	n := config.Notifications{Allow: []string{rcv.host()}, MaxAttempts: 2,
		Destinations: []config.Destination{{Name: "chat", Kind: "slack", URL: secret(t, rcv.URL), Environments: []string{"dev"}, Events: []string{"promotion.committed"}}}}
	snd, err := notify.New(notify.Config{Owner: "a", FirstRetry: time.Millisecond, MaxRetry: time.Millisecond}, n, s, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := snd.Once(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	dead, err := s.ListDeliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
	if err != nil || len(dead) != 1 || dead[0].Attempts != 2 || !strings.HasPrefix(dead[0].LastError, "gave up after 2 attempts") {
		t.Fatalf("dead letters %+v, %v", dead, err)
	}
	if rcv.count() != 2 {
		t.Errorf("receiver got %d attempts, want 2", rcv.count())
	}
	var slackBody struct{ Text string }
	_ = json.Unmarshal(rcv.bodies[0], &slackBody)
	if slackBody.Text != "payments 1.4.2 in dev: committed" {
		t.Errorf("slack text %q", slackBody.Text)
	}
}

// TestAStopDuringTheLastAttemptDeadLettersWithoutAnother: Ferry stopped
// while its last allowed attempt was in flight (the claim counted it, no
// outcome was recorded); once the lease runs out, the next sender gives
// the delivery up as dead, re-sendable, without an attempt beyond the
// limit, and records the attempts allowed.
func TestAStopDuringTheLastAttemptDeadLettersWithoutAnother(t *testing.T) {
	rcv := newReceiver(t, 500, 500, 500)
	s := flow(t)
	n := config.Notifications{Allow: []string{rcv.host()}, MaxAttempts: 2,
		Destinations: []config.Destination{{Name: "chat", Kind: "slack", URL: secret(t, rcv.URL), Environments: []string{"dev"}, Events: []string{"promotion.committed"}}}}
	ctx := context.Background()
	snd, err := notify.New(notify.Config{Owner: "a", FirstRetry: time.Millisecond, MaxRetry: time.Millisecond, Lease: time.Second}, n, s, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	// One attempt, answered 500: pending, 1 attempt made.
	if err := snd.Once(ctx); err != nil {
		t.Fatal(err)
	}
	// The second (last) attempt is claimed by a sender that is killed
	// before it records the outcome.
	time.Sleep(5 * time.Millisecond)
	ds, err := s.ClaimDeliveries(ctx, "killed", time.Now(), time.Millisecond, 10)
	if err != nil || len(ds) != 1 || ds[0].Attempts != 2 {
		t.Fatalf("claim by the sender that stops: %+v, %v", ds, err)
	}
	time.Sleep(5 * time.Millisecond) // its lease runs out
	if err := snd.Once(ctx); err != nil {
		t.Fatal(err)
	}
	dead, err := s.ListDeliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
	if err != nil || len(dead) != 1 || dead[0].Attempts != 2 || !strings.HasPrefix(dead[0].LastError, "gave up after 2 attempts: Ferry stopped during the last one") {
		t.Fatalf("dead letters %+v, %v", dead, err)
	}
	if rcv.count() != 1 {
		t.Errorf("receiver got %d attempts, want 1 (the killed sender never sent its claim, and none goes beyond the limit)", rcv.count())
	}
	// Re-sendable: a redelivery starts again from the first attempt.
	if re, err := s.Redeliver(ctx, dead[0].ID, time.Now()); err != nil || re.State != store.DeliveryPending || re.Attempts != 0 {
		t.Fatalf("Redeliver() = %+v, %v", re, err)
	}
}

func TestDestinationOffTheAllowlistIsNeverContacted(t *testing.T) {
	rcv := newReceiver(t)
	s := flow(t)
	// Validation refuses this config; the sender refuses it again.
	n := config.Notifications{Allow: []string{"hooks.slack.com"}, MaxAttempts: 1,
		Destinations: []config.Destination{{Name: "teams", Kind: "teams", URL: secret(t, rcv.URL)}}}
	snd, err := notify.New(notify.Config{Owner: "a"}, n, s, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := snd.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rcv.count() != 0 {
		t.Fatalf("a destination off the allowlist got %d requests", rcv.count())
	}
	dead, _ := s.ListDeliveries(context.Background(), store.DeliveryFilter{State: store.DeliveryDead})
	if len(dead) != 3 || strings.Contains(dead[0].LastError, rcv.URL) {
		t.Errorf("dead letters %+v", dead)
	}
}

func TestRedirectsAreRefused(t *testing.T) {
	target := newReceiver(t)
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	s := flow(t)
	u, _ := url.Parse(redirect.URL)
	n := config.Notifications{Allow: []string{u.Host, target.host()}, MaxAttempts: 1,
		Destinations: []config.Destination{{Name: "teams", Kind: "teams", URL: secret(t, redirect.URL), Events: []string{"promotion.committed"}}}}
	snd, _ := notify.New(notify.Config{Owner: "a"}, n, s, nil, zap.NewNop())
	if err := snd.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	if target.count() != 0 {
		t.Errorf("a redirect was followed")
	}
}

func TestMessagesSayWhatMovedWhereAndWho(t *testing.T) {
	rcv := newReceiver(t)
	s := flow(t)
	ctx := context.Background()
	now := time.Now()
	// prod: 1.4.1 ran there; 1.4.2 waits, opens a PR, is approved by two.
	old := promotion.Release{ID: "rel-0", Application: "payments", Repository: "registry.example.com/acme/payments", Tag: "1.4.1",
		Digest: "sha256:" + strings.Repeat("0", 64), CreatedAt: now.Add(-time.Hour)}
	if _, _, err := s.CreateRelease(ctx, old, []promotion.Promotion{{ID: "prm-0", ReleaseID: old.ID, Application: "payments", Environment: "prod",
		State: promotion.StateMerged, NextAttemptAt: now, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	p := promotion.Promotion{ID: "prm-2", ReleaseID: "rel-1", Application: "payments", Environment: "prod", State: promotion.StatePending,
		NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if err := s.CreatePromotion(ctx, p); err != nil {
		t.Fatal(err)
	}
	for i, step := range []func(){
		func() { p.State, p.Reason = promotion.StateWaiting, "soak: 1h in stage" },
		func() { p.State, p.Reason, p.PRURL = promotion.StatePROpen, "", "https://github.com/acme/env/pull/7" },
		func() { p.Approvers = []string{"alice"} },
		func() { p.Approvers = []string{"alice", "bob"} },
	} {
		step()
		p.UpdatedAt = now.Add(time.Duration(i+1) * time.Second)
		if err := s.UpdatePromotion(ctx, "", p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordEvent(ctx, store.Event{Application: "payments", Kind: store.EventReportRefused, Actor: "ci-payments",
		Reason: "digest_mismatch: the registry serves sha256:1111", Detail: store.EventDetail{Tag: "1.4.3"}}); err != nil {
		t.Fatal(err)
	}
	n := config.Notifications{Allow: []string{rcv.host()}, ConsoleURL: "https://ferry.example.com",
		Destinations: []config.Destination{{Name: "ops", Kind: "webhook", URL: secret(t, rcv.URL), Secret: secret(t, whsec),
			Events: []string{"report.accepted", "report.refused", "promotion.waiting", "pr.opened", "promotion.approved"}}}}
	snd, err := notify.New(notify.Config{Owner: "a"}, n, s, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := snd.Once(ctx); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, b := range rcv.bodies {
		var body struct{ Type, Text string }
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, body.Type+": "+body.Text)
	}
	sort.Strings(texts)
	want := []string{
		"pr.opened: payments 1.4.1 → 1.4.2 in prod: pull request opened",
		"promotion.approved: payments 1.4.1 → 1.4.2 in prod: approved by alice",
		"promotion.approved: payments 1.4.1 → 1.4.2 in prod: approved by bob (approvals: alice, bob)",
		"promotion.waiting: payments 1.4.1 → 1.4.2 in prod: waiting on a gate (soak: 1h in stage)",
		"report.accepted: payments 1.4.1 reported: accepted (sha256:000000000000)",
		"report.accepted: payments 1.4.2 reported: accepted (sha256:aaaaaaaaaaaa)",
		"report.refused: payments 1.4.3 reported by ci-payments: refused (digest_mismatch: the registry serves sha256:1111)",
	}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
}
