// Package notifications runs the real ferry binary with notification
// destinations on a local receiver, kills it with SIGKILL during a burst
// of build reports, takes the receiver down for a while, and checks that
// every event arrives at least once, as the destinations' filters say,
// signed, with one delivery id per event; that a destination off the
// allowlist is never contacted; and that a dead letter is re-sendable.
package notifications

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/test/ferrytest"
)

var ferryBin string

func TestMain(m *testing.M) { ferrytest.Main(m, &ferryBin) }

// opsToken may re-send deliveries (promotions:write) and read.
const opsToken = "notify-ops-token-0123456789abcdef"

// downFor is how long the receiver is down: FERRY_NOTIFY_DOWN, else a
// minute under CI=true (the case) and 15s elsewhere. Either way the
// sender's backoff is capped at 3s (notifications.retryMax), so the backlog
// arrives within seconds of the receiver coming back.
func downFor(t *testing.T) time.Duration {
	if v := os.Getenv("FERRY_NOTIFY_DOWN"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("FERRY_NOTIFY_DOWN=%q: %v", v, err)
		}
		return d
	}
	if os.Getenv("CI") == "true" {
		return time.Minute
	}
	return 15 * time.Second
}

func whsec(seed string) (string, []byte) {
	key := sha256.Sum256([]byte(seed))
	return "whsec_" + base64.StdEncoding.EncodeToString(key[:]), key[:]
}

func hash(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// config is ferrytest's server config with an ops token and notifications
// to the receiver at raddr, and one destination at extra (none when "").
func config(t *testing.T, base, raddr, extra string, secrets []string) string {
	b, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "tokens:\n", fmt.Sprintf("tokens:\n  - name: ops\n    sha256: %s\n    scopes: [promotions:write, read]\n", hash(opsToken)), 1)
	s += fmt.Sprintf(`notifications:
  allow: ["%[1]s"]
  consoleURL: http://ferry.test
  maxAttempts: 1000
  retryFirst: 200ms
  retryMax: 3s
  lease: 3s
  destinations:
    - name: all
      kind: webhook
      url: http://%[1]s/all
      secret: %[2]s
    - name: payments
      kind: webhook
      url: http://%[1]s/payments
      secret: %[3]s
      events: [report.accepted, promotion.committed]
      applications: [payments]
    - name: broken
      kind: webhook
      url: http://%[1]s/broken
      secret: %[4]s
      events: [report.refused]
      maxAttempts: 3
    - name: redirected
      kind: webhook
      url: http://%[1]s/redirect
      secret: %[4]s
      events: [report.refused]
      maxAttempts: 2
`, raddr, secrets[0], secrets[1], secrets[2])
	if extra != "" {
		s += fmt.Sprintf("    - name: elsewhere\n      kind: slack\n      url: http://%s/hook\n", extra)
	}
	p := base + ".notify.yaml"
	if extra != "" {
		p = base + ".off-allowlist.yaml"
	}
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// reports sends build reports until stop ends: accepted ones (recorded)
// and, every fifth, one naming a digest the registry does not serve,
// which Ferry refuses (recorded when answered 4xx).
type reports struct {
	reg      *ferrytest.Registry
	f        *ferrytest.Ferry
	seq      atomic.Int64
	mu       sync.Mutex
	accepted []ferrytest.Accepted
	refused  []ferrytest.Build
}

func (r *reports) one(t *testing.T, app string) {
	n := r.seq.Add(1)
	tag := fmt.Sprintf("n%d", n)
	digest, err := r.reg.Push("acme/"+app, tag)
	if err != nil {
		t.Error(err)
		return
	}
	if n%5 == 0 {
		b := ferrytest.Build{App: app, Tag: tag, Digest: "sha256:" + strings.Repeat("0", 64)}
		for try := 0; try < 600; try++ {
			_, err := r.f.Report(context.Background(), r.reg.Host, b)
			if err != nil && strings.HasPrefix(err.Error(), "status 4") {
				r.mu.Lock()
				r.refused = append(r.refused, b)
				r.mu.Unlock()
				return
			}
			time.Sleep(100 * time.Millisecond) // down: ask again
		}
		t.Errorf("report %s %s never refused", app, tag)
		return
	}
	b := ferrytest.Build{App: app, Tag: tag, Digest: digest}
	for try := 0; try < 600; try++ {
		a, err := r.f.Report(context.Background(), r.reg.Host, b)
		if err == nil {
			r.mu.Lock()
			r.accepted = append(r.accepted, a)
			r.mu.Unlock()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("report %s %s never accepted", app, tag)
}

func TestEveryEventArrivesThroughKillsAndAnOutage(t *testing.T) {
	reg := ferrytest.NewRegistry(t)
	bare := ferrytest.EnvRepo(t, reg.Host)
	addr := ferrytest.FreeAddr(t)
	base := ferrytest.Config(t, addr, t.TempDir(), reg.Host, bare, "  batchWindow: 100ms\n  pollInterval: 200ms\n  lease: 5s\n  retryMax: 2s\n")
	secAll, keyAll := whsec("all")
	secPay, keyPay := whsec("payments")
	secBroken, keyBroken := whsec("broken")
	outside := newCounter(t)
	rcv := newReceiver(t, map[string][]byte{"/all": keyAll, "/payments": keyPay, "/broken": keyBroken}, "http://"+outside.ln.Addr().String()+"/stolen")
	secrets := []string{secAll, secPay, secBroken}

	// A destination off the allowlist: the config is refused, Ferry never starts.
	bad := config(t, base, rcv.addr, outside.ln.Addr().String(), secrets)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	out, err := exec.CommandContext(ctx, ferryBin, "serve", "--config", bad).CombinedOutput()
	cancel()
	if err == nil || !strings.Contains(string(out), "not in notifications.allow") {
		t.Fatalf("ferry with a destination off the allowlist: %v\n%s", err, out)
	}

	f := ferrytest.NewFerry(t, ferryBin, addr, config(t, base, rcv.addr, "", secrets))
	f.Start(t)
	r := &reports{reg: reg, f: f}

	// A burst from three reporters; Ferry is killed three times during it.
	stop, stopReports := context.WithCancel(context.Background())
	defer stopReports()
	var wg sync.WaitGroup
	apps := ferrytest.Apps()
	for w := range 3 {
		wg.Go(func() {
			for i := 0; stop.Err() == nil; i++ {
				r.one(t, apps[(w+i)%len(apps)])
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	kills := 0
	for range 3 {
		time.Sleep(2 * time.Second)
		f.Kill()
		kills++
		time.Sleep(300 * time.Millisecond)
		f.Start(t)
	}
	time.Sleep(time.Second)
	stopReports()
	wg.Wait()
	f.Drain(t, 90*time.Second)

	// The receiver goes down; events keep happening meanwhile.
	down := downFor(t)
	rcv.down()
	downAt := time.Now()
	for i := range 6 {
		r.one(t, apps[i%len(apps)])
	}
	time.Sleep(time.Until(downAt.Add(down)))
	rcv.up()
	upAt := time.Now()
	promotions := f.Drain(t, 90*time.Second)

	// What each destination must get, from the reports' answers and the
	// promotions' final states (read from the API, not from deliveries).
	release := map[string]string{} // promotion id → tag
	for _, a := range r.accepted {
		release[a.PromotionID] = a.Tag
	}
	app := map[string]string{}
	for _, a := range r.accepted {
		app[a.PromotionID] = a.App
	}
	want := map[string][]string{"/all": nil, "/payments": nil}
	for _, a := range r.accepted {
		want["/all"] = append(want["/all"], "report.accepted||"+a.Tag, "promotion.created|"+a.PromotionID+"|"+a.Tag)
		if a.App == "payments" {
			want["/payments"] = append(want["/payments"], "report.accepted||"+a.Tag)
		}
	}
	for _, p := range promotions {
		tag, ok := release[p.ID]
		if !ok {
			continue
		}
		want["/all"] = append(want["/all"], "promotion."+p.State+"|"+p.ID+"|"+tag)
		if p.State == "committed" && app[p.ID] == "payments" {
			want["/payments"] = append(want["/payments"], "promotion.committed|"+p.ID+"|"+tag)
		}
	}
	for _, b := range r.refused {
		want["/all"] = append(want["/all"], "report.refused||"+b.Tag)
	}
	short := func(rc receipt) string { return rc.body.Type + "|" + rc.body.Data.PromotionID + "|" + rc.body.Data.To }
	missing := func(path string) []string {
		seen := map[string]bool{}
		for _, rc := range rcv.receipts(path) {
			seen[short(rc)] = true
		}
		var out []string
		for _, w := range want[path] {
			if !seen[w] {
				out = append(out, w)
			}
		}
		return out
	}
	deadline := time.Now().Add(90 * time.Second)
	for len(missing("/all"))+len(missing("/payments")) > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	backlog := time.Since(upAt)

	// Dead letters: /broken answered 500 three times per refused report.
	dead := waitDead(t, f, len(r.refused)+len(r.refused), 60*time.Second)
	var brokenDead []api.Delivery
	for _, d := range dead {
		switch d.Destination {
		case "broken":
			if d.Attempts != 3 || !strings.Contains(d.LastError, "gave up after 3 attempts") {
				t.Errorf("dead letter %+v, want 3 attempts", d)
			}
			brokenDead = append(brokenDead, d)
		case "redirected":
		default:
			t.Errorf("dead letter for %s: %+v", d.Destination, d)
		}
	}
	// Re-send the broken destination's dead letters once it works.
	rcv.mu.Lock()
	rcv.fixed = true
	rcv.mu.Unlock()
	for _, d := range brokenDead {
		redeliver(t, f, d.ID)
	}
	resent := map[string]bool{}
	deadline = time.Now().Add(60 * time.Second)
	for len(resent) < len(brokenDead) && time.Now().Before(deadline) {
		for _, rc := range rcv.receipts("/broken") {
			resent[rc.id] = true
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, d := range brokenDead {
		if !resent[d.ID] {
			t.Errorf("dead letter %s re-sent: not received with its id", d.ID)
		}
	}

	// Tally: events, ids per event, repeats.
	events, delivered, redelivered, lost := 0, 0, 0, 0
	idsPerEvent := 1
	for _, path := range []string{"/all", "/payments"} {
		ids := map[string]map[string]bool{} // event → delivery ids
		eventOf := map[string]string{}      // delivery id → event
		rs := rcv.receipts(path)
		for _, rc := range rs {
			ev := rc.event()
			if ids[ev] == nil {
				ids[ev] = map[string]bool{}
			}
			if ids[ev][rc.id] {
				redelivered++
			}
			ids[ev][rc.id] = true
			if prev, ok := eventOf[rc.id]; ok && prev != ev {
				t.Errorf("%s: delivery id %s carried %s and %s", path, rc.id, prev, ev)
			}
			eventOf[rc.id] = ev
			if path == "/payments" && (rc.body.Data.Application != "payments" || (rc.body.Type != "report.accepted" && rc.body.Type != "promotion.committed")) {
				t.Errorf("/payments got what its filters keep out: %s %s", rc.body.Type, rc.body.Text)
			}
		}
		for _, s := range ids {
			idsPerEvent = max(idsPerEvent, len(s))
		}
		events += len(want[path])
		delivered += len(ids)
		if m := missing(path); len(m) > 0 {
			lost += len(m)
			t.Errorf("%s: %d events never arrived, e.g. %v", path, len(m), m[:min(5, len(m))])
		}
		if len(ids) != len(want[path]) && path == "/payments" {
			wanted := map[string]bool{}
			for _, w := range want[path] {
				wanted[w] = true
			}
			var extra []string
			for _, rc := range rs {
				if !wanted[short(rc)] {
					extra = append(extra, rc.event())
				}
			}
			t.Errorf("/payments got %d events, want exactly %d; not expected: %v", len(ids), len(want[path]), extra)
		}
	}
	rcv.mu.Lock()
	badSigs := rcv.bad
	rcv.mu.Unlock()
	if len(badSigs) > 0 {
		t.Errorf("%d deliveries did not verify, e.g. %s", len(badSigs), badSigs[0])
	}
	if n := outside.conns.Load(); n != 0 {
		t.Errorf("the destination off the allowlist got %d connections, want 0", n)
	}
	if rcv.redirect.Load() == 0 {
		t.Errorf("the redirecting destination was never tried")
	}
	if len(r.refused) == 0 || kills != 3 {
		t.Errorf("refused=%d kills=%d: the scenario did not happen", len(r.refused), kills)
	}
	fmt.Printf("notifications: events=%d delivered=%d lost=%d redelivered=%d ids_per_event=%d dead_letter=%d\n",
		events, delivered, lost, redelivered, idsPerEvent, len(dead))
	t.Logf("kills=%d accepted=%d refused=%d receiver_down=%s backlog_after_up=%s off_allowlist_connections=%d redirects_not_followed=%d",
		kills, len(r.accepted), len(r.refused), down, backlog.Round(time.Millisecond), outside.conns.Load(), rcv.redirect.Load())
	if idsPerEvent != 1 {
		t.Errorf("ids_per_event=%d, want 1", idsPerEvent)
	}
}

// waitDead polls GET /api/v1/deliveries?state=dead until it lists n (a
// report refused just before a kill and asked again is told twice).
func waitDead(t *testing.T, f *ferrytest.Ferry, n int, limit time.Duration) []api.Delivery {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var list api.DeliveryList
		call(t, f, http.MethodGet, "/api/v1/deliveries?state=dead&limit=500", http.StatusOK, &list)
		if len(list.Items) >= n || time.Now().After(deadline) {
			if len(list.Items) < n {
				t.Errorf("dead letters: %d, want at least %d", len(list.Items), n)
			}
			return list.Items
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func redeliver(t *testing.T, f *ferrytest.Ferry, id string) {
	t.Helper()
	var d api.Delivery
	call(t, f, http.MethodPost, "/api/v1/deliveries/"+id+"/redeliver", http.StatusAccepted, &d)
	if d.ID != id || d.State != "pending" {
		t.Errorf("redeliver %s: %+v", id, d)
	}
}

func call(t *testing.T, f *ferrytest.Ferry, method, path string, status int, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, f.URL+path, bytes.NewReader(nil))
	req.Header.Set("Authorization", "Bearer "+opsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}
