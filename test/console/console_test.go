package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/test/ferrytest"
)

// People in Dex, the OpenID provider the console signs in with.
var (
	carla = dexUser{email: "carla@example.com", password: "carla-pw-1", groups: []string{"release-managers"}}
	rory  = dexUser{email: "rory@example.com", password: "rory-pw-1", groups: []string{"readers"}}
	nadia = dexUser{email: "nadia@example.com", password: "nadia-pw-1", groups: []string{"interns"}}
)

func TestConsoleInBrowser(t *testing.T) {
	addr := ferrytest.FreeAddr(t)
	callback := "http://" + addr + "/ui/oidc/callback"
	d := startDex(t, callback, []dexUser{carla, rory, nadia})
	s := startDev(t, addr, "--dev-console", d.consoleConfig(t, callback))
	b := newBrowser(t)

	// Two releases reach dev; 1.4.2's stage pull request supersedes 1.4.1's.
	r141 := s.report(t, "1.4.1")
	r142 := s.report(t, "1.4.2")
	stage := s.promotion(t, "stage", "pr-open", r142.Release.ID)

	// Sign in by pasting alice's token.
	b.visit(t, s.url+"/ui/signin")
	b.screenshot(t, "signin")
	b.run(t, "sign in", chromedp.SendKeys("#token", s.alice, chromedp.ByID), chromedp.Click("#signin", chromedp.ByID),
		chromedp.WaitVisible("#viewer", chromedp.ByID))
	b.actions++
	if got := b.text(t, "#viewer"); got != "alice" {
		t.Fatalf("signed in as %q, want alice", got)
	}
	var cookies []*network.Cookie
	b.run(t, "cookies", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().WithURLs([]string{s.url}).Do(ctx)
		return err
	}))
	var session *network.Cookie
	for _, c := range cookies {
		if c.Name == "ferry_session" {
			session = c
		}
	}
	if session == nil || !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict || strings.Contains(session.Value, s.alice) {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, not the token", session)
	}

	// The board shows what runs where and the pull request in flight.
	b.visit(t, s.url+"/")
	b.run(t, "board", chromedp.WaitVisible(`a[href="/ui/promotions/`+stage.ID+`"]`, chromedp.ByQuery))
	b.screenshot(t, "board")
	board := b.text(t, "table.board")
	for _, want := range []string{"payments", "1.4.2", "pr-open", "differs from dev"} {
		if !strings.Contains(board, want) {
			t.Errorf("board lacks %q:\n%s", want, board)
		}
	}

	// Approve stage's built-in pull request until it merges; its address
	// (/pulls/<repository>/<n>) is its promotion's page.
	pu := s.url + "/ui/promotions/" + stage.ID
	if !strings.HasPrefix(stage.PRURL, "/pulls/") {
		t.Fatalf("stage pull request URL %q, want Ferry's /pulls/…", stage.PRURL)
	}
	b.visit(t, s.url+stage.PRURL)
	var loc string
	b.run(t, "location", chromedp.Location(&loc))
	if loc != pu {
		t.Errorf("%s leads to %s, want %s", stage.PRURL, loc, pu)
	}
	b.screenshot(t, "promotion")
	b.run(t, "approve", chromedp.Click("#approve", chromedp.ByID), chromedp.WaitVisible("#confirm", chromedp.ByID))
	b.pages++
	b.screenshot(t, "confirm-approve")
	b.run(t, "confirm approve", chromedp.Click("#confirm", chromedp.ByID), chromedp.WaitReady("#state", chromedp.ByID))
	b.actions++
	b.waitState(t, pu, "merged")
	if a := b.text(t, "#approvals"); !strings.Contains(a, "alice") || !strings.Contains(a, "yes") {
		t.Errorf("approvals table lacks alice, counted:\n%s", a)
	}

	// The stored diff, then the whole file it edits with the change marked.
	change := b.text(t, "#diff")
	if !strings.Contains(change, "+") || !strings.Contains(change, "1.4.2") {
		t.Errorf("promotion diff lacks the new tag:\n%s", change)
	}
	b.run(t, "whole file", chromedp.Click("#diff-whole", chromedp.ByID), chromedp.WaitVisible("#diff-change", chromedp.ByID))
	b.pages++
	whole := b.text(t, "#diff")
	var wholeErrors int
	b.run(t, "whole-file errors", chromedp.Evaluate(`document.querySelectorAll("#whole-error").length`, &wholeErrors))
	if wholeErrors != 0 || strings.Count(whole, "\n") <= strings.Count(change, "\n") || !strings.Contains(whole, "kind: Kustomization") {
		t.Errorf("whole-file view (%d errors) is not the whole file around the change:\n%s", wholeErrors, whole)
	}
	b.screenshot(t, "promotion-whole-file")

	// prod waits for its soak: cancel it, with a reason.
	prod := s.promotion(t, "prod", "waiting", r142.Release.ID)
	qu := s.url + "/ui/promotions/" + prod.ID
	b.visit(t, qu)
	b.run(t, "cancel", chromedp.Click("#cancel", chromedp.ByID), chromedp.WaitVisible("#confirm", chromedp.ByID),
		chromedp.SendKeys("#reason", "not this week", chromedp.ByID), chromedp.Click("#confirm", chromedp.ByID),
		chromedp.WaitReady("#state", chromedp.ByID))
	b.pages++
	b.actions++
	b.waitState(t, qu, "rejected")
	if r := b.text(t, "#timeline"); !strings.Contains(r, "not this week") || !strings.Contains(r, "alice") {
		t.Errorf("timeline lacks the cancellation by alice:\n%s", r)
	}
	b.screenshot(t, "promotion-cancelled")

	// Roll dev back to 1.4.1 from the application page.
	b.visit(t, s.url+"/ui/apps/payments")
	b.screenshot(t, "application")

	// History in a time range, through the filter form: a day long past
	// shows none, the hour around now shows them all.
	historyRows := func() int {
		var n int
		b.run(t, "history rows", chromedp.Evaluate(`document.querySelectorAll("#history tbody a[href^='/ui/promotions/']").length`, &n))
		return n
	}
	all := historyRows()
	setRange := func(from, to string) {
		// #history is on the page before the click too: wait until the
		// page the form asked for has loaded (an evaluation that meets the
		// navigation fails; ask again), then for its history.
		loaded := fmt.Sprintf(`(() => { const q = new URLSearchParams(location.search); return q.get("from") === %q && q.get("to") === %q && document.readyState === "complete"; })()`, from, to)
		b.run(t, "time range "+from+" "+to, chromedp.SetValue("#from", from, chromedp.ByID), chromedp.SetValue("#to", to, chromedp.ByID),
			chromedp.Click("#apply", chromedp.ByID))
		for deadline := time.Now().Add(stepTimeout); ; time.Sleep(100 * time.Millisecond) {
			var ok bool
			ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
			err := chromedp.Run(ctx, chromedp.Evaluate(loaded, &ok))
			cancel()
			if err == nil && ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("time range %s %s: the filtered page did not load (%v)", from, to, err)
			}
		}
		b.run(t, "history after the time range", chromedp.WaitReady("#history", chromedp.ByID))
		b.pages++
	}
	setRange("2001-02-03T04:05", "2001-02-03T05:05")
	if n := historyRows(); n != 0 || !strings.Contains(b.text(t, "#history"), "No promotions match in from 2001-02-03T04:05") {
		t.Errorf("history of 2001 has %d rows", n)
	}
	now := time.Now().UTC()
	setRange(now.Add(-time.Hour).Format("2006-01-02T15:04"), now.Add(time.Hour).Format("2006-01-02T15:04"))
	if n := historyRows(); n != all || n == 0 {
		t.Errorf("history of the last hour has %d rows, the unfiltered page %d", n, all)
	}
	b.screenshot(t, "application-time-range")
	b.visit(t, s.url+"/ui/apps/payments?from=yesterday")
	if e := b.text(t, "#range-error"); !strings.Contains(e, `"yesterday" is not a UTC date`) {
		t.Errorf("a bad time range says %q", e)
	}
	b.visit(t, s.url+"/ui/apps/payments")
	rollback := fmt.Sprintf(`a[href*="environment=dev"][href*="release=%s"]`, r141.Release.ID)
	b.run(t, "roll back", chromedp.Click(rollback, chromedp.ByQuery), chromedp.WaitVisible("#confirm", chromedp.ByID))
	b.pages++
	b.screenshot(t, "confirm-rollback")
	b.run(t, "confirm roll back", chromedp.SendKeys("#reason", "1.4.2 leaks memory", chromedp.ByID),
		chromedp.Click("#confirm", chromedp.ByID), chromedp.WaitReady("#state", chromedp.ByID))
	b.actions++
	b.run(t, "location", chromedp.Location(&loc))
	b.waitState(t, loc, "committed")
	var app api.Application
	s.api(t, "GET", "/api/v1/applications/payments", s.alice, nil, &app)
	if app.Environments[0].Current == nil || app.Environments[0].Current.Tag != "1.4.1" {
		t.Errorf("dev runs %+v after the rollback, want 1.4.1", app.Environments[0].Current)
	}
	// The rollback pinned dev at 1.4.1 (its status says so); unpin it so
	// that the next build lands in dev.
	if pin := app.Environments[0].Pin; pin == nil || pin.ReleaseTag != "1.4.1" || pin.Reason != "1.4.2 leaks memory" {
		t.Errorf("dev's pin after the rollback = %+v", pin)
	}
	s.api(t, "DELETE", "/api/v1/pins/payments/dev", s.alice, api.UnpinRequest{Reason: "the next build fixes it"}, nil)

	// The DORA page: dev got 1.4.1, 1.4.2 and the rollback to 1.4.1, so
	// 1.4.2 is a failed change of three; drawn as SVG, one bar per week.
	b.visit(t, s.url+"/ui/apps/payments/dora")
	b.run(t, "dora", chromedp.WaitVisible("#chart-dev", chromedp.ByID))
	b.pages++
	b.screenshot(t, "dora")
	if got := b.text(t, "#dora"); !strings.Contains(got, "dev") || !strings.Contains(got, "33.3% (1)") {
		t.Errorf("DORA table lacks dev with one failed change of three:\n%s", got)
	}
	var bars int
	b.run(t, "dora bars", chromedp.Evaluate(`document.querySelectorAll("#chart-dev rect.bar").length`, &bars))
	if bars != 12 {
		t.Errorf("dev chart has %d bars, want 12 (weeks)", bars)
	}

	// CSRF: the session cookie alone changes nothing.
	csrfRefused := 0
	r140 := s.report(t, "1.4.0") // a new stage pull request to aim at
	target := s.promotion(t, "stage", "pr-open", r140.Release.ID)
	for _, tc := range []struct {
		name, path, origin string
		form               url.Values
		cookie             bool
	}{
		{"no token", "/ui/promotions/" + target.ID + "/approve", "", url.Values{}, true},
		{"wrong token", "/ui/promotions/" + target.ID + "/approve", "", url.Values{"csrf": {"forged"}}, true},
		{"other origin", "/ui/promotions/" + target.ID + "/cancel", "https://evil.example", url.Values{"csrf": {"forged"}}, true},
		{"sign-in without its cookie", "/ui/signin", "", url.Values{"csrf": {"x"}, "token": {s.alice}}, false},
	} {
		req, _ := http.NewRequest("POST", s.url+tc.path, strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		if tc.cookie {
			req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusForbidden {
			csrfRefused++
		} else {
			t.Errorf("CSRF %s: %d, want 403", tc.name, resp.StatusCode)
		}
	}
	var after api.Promotion
	s.api(t, "GET", "/api/v1/promotions/"+target.ID, s.alice, nil, &after)
	if after.State != "pr-open" || len(after.Approvers) != 0 {
		t.Errorf("a refused request changed the promotion: %s, approvers %v", after.State, after.Approvers)
	}

	// Signed out, a reader sees no buttons anywhere.
	b.run(t, "sign out", chromedp.Click(`header form button`, chromedp.ByQuery), chromedp.WaitVisible("#viewer-anonymous", chromedp.ByID))
	b.actions++
	readonly := 0
	for _, u := range []string{"/", "/ui/promotions/" + target.ID, "/ui/apps/payments"} {
		b.visit(t, s.url+u)
		readonly += b.buttons(t)
	}
	b.screenshot(t, "readonly-application")

	// Single sign-on through Dex's login form: carla, a release manager by
	// her group, approves the pull request the refused requests aimed at.
	b.signInDex(t, s.url, carla)
	if got := b.text(t, "#viewer"); got != carla.email {
		t.Fatalf("signed in with Dex as %q, want %s", got, carla.email)
	}
	b.run(t, "cookies", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().WithURLs([]string{s.url}).Do(ctx)
		return err
	}))
	session = nil
	for _, c := range cookies {
		if c.Name == "ferry_session" {
			session = c
		}
	}
	if session == nil || !session.HTTPOnly || session.SameSite != network.CookieSameSiteLax || session.Secure {
		t.Fatalf("single sign-on session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", session)
	}
	tu := s.url + "/ui/promotions/" + target.ID
	b.visit(t, tu)
	b.run(t, "approve as carla", chromedp.Click("#approve", chromedp.ByID), chromedp.WaitVisible("#confirm", chromedp.ByID),
		chromedp.Click("#confirm", chromedp.ByID), chromedp.WaitReady("#state", chromedp.ByID))
	b.pages++
	b.actions++
	b.waitState(t, tu, "merged")
	s.api(t, "GET", "/api/v1/promotions/"+target.ID, s.alice, nil, &after)
	if !slices.Contains(after.Approvers, carla.email) {
		t.Errorf("approvers %v, want %s (signed in with Dex)", after.Approvers, carla.email)
	}
	b.screenshot(t, "promotion-sso-approved")
	b.run(t, "sign out carla", chromedp.Click(`header form button`, chromedp.ByQuery), chromedp.WaitVisible("#viewer-anonymous", chromedp.ByID))
	b.actions++

	// rory is only a reader: signed in, no button anywhere.
	b.signInDex(t, s.url, rory)
	if got := b.text(t, "#viewer"); got != rory.email {
		t.Fatalf("signed in with Dex as %q, want %s", got, rory.email)
	}
	open := s.promotion(t, "prod", "waiting", r140.Release.ID)
	for _, u := range []string{"/", "/ui/promotions/" + open.ID, "/ui/apps/payments"} {
		b.visit(t, s.url+u)
		readonly += b.buttons(t)
	}
	b.screenshot(t, "readonly-sso-application")
	b.run(t, "sign out rory", chromedp.Click(`header form button`, chromedp.ByQuery), chromedp.WaitVisible("#viewer-anonymous", chromedp.ByID))
	b.actions++

	// nadia's group maps to no role: Dex signs her in, Ferry does not.
	b.signInDexRefused(t, s.url, nadia)
	if msg := b.text(t, "#signin-error"); !strings.Contains(msg, "nadia@example.com is in no group") {
		t.Errorf("nadia's refusal says %q", msg)
	}

	b.visit(t, s.url+"/")
	b.run(t, "phone width", chromedp.EmulateViewport(390, 844))
	b.screenshot(t, "board-phone")

	b.mu.Lock()
	errs := b.errors
	b.mu.Unlock()
	for _, e := range errs {
		t.Errorf("browser console: %s", e)
	}
	if readonly != 0 {
		t.Errorf("a reader without a token sees %d buttons", readonly)
	}
	fmt.Printf("console: pages=%d actions=%d screenshots=%d browser_errors=%d csrf_refused=%d readonly_buttons=%d\n",
		b.pages, b.actions, b.shots, len(errs), csrfRefused, readonly)
	t.Logf("screenshots in %s", b.out)
}
