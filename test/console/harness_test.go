// Package console drives the web console in Debian's chromium (through
// chromedp) against the real ferry binary in dev mode: sign in, approve a
// built-in pull request until it merges, cancel, roll back, what a reader
// without a token sees, and CSRF refusals. Screenshots of each page go to
// $FERRY_TEST_OUT (or the test's temporary folder); any error in the
// browser's console fails the test.
package console

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/test/ferrytest"
)

var ferryBin string

func TestMain(m *testing.M) { ferrytest.Main(m, &ferryBin) }

// stack is ferry serve --dev on free ports, with its tokens.
type stack struct {
	url, regHost string
	dev, alice   string
}

// startDev starts ferry serve --dev on addr, with more flags.
func startDev(t *testing.T, addr string, flags ...string) *stack {
	t.Helper()
	data := t.TempDir()
	s := &stack{url: "http://" + addr, regHost: ferrytest.FreeAddr(t)}
	var out bytes.Buffer
	cmd := exec.Command(ferryBin, append([]string{"serve", "--dev", "--data", data, "--listen", addr, "--dev-registry", s.regHost}, flags...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("ferry serve --dev output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if r, err := http.Get(s.url + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ferry --dev not ready after 60s:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(data, name+"-token"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	s.dev, s.alice = read("dev"), read("alice")
	return s
}

// api calls Ferry's API with token and decodes the answer into out.
func (s *stack) api(t *testing.T, method, path, token string, body, out any) {
	t.Helper()
	var rd bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&rd).Encode(body)
	}
	req, _ := http.NewRequest(method, s.url+path, &rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *stack) report(t *testing.T, tag string) api.BuildResponse {
	var r api.BuildResponse
	s.api(t, "POST", "/api/v1/builds?wait=60s", s.dev, api.BuildRequest{Application: "payments",
		Image: s.regHost + "/acme/payments", Tag: tag}, &r)
	return r
}

// promotion returns the newest promotion of release into env in state.
func (s *stack) promotion(t *testing.T, env, state, release string) api.Promotion {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list api.PromotionList
		s.api(t, "GET", "/api/v1/promotions?"+url.Values{"application": {"payments"}, "environment": {env}, "state": {state},
			"release": {release}}.Encode(), s.alice, nil, &list)
		if len(list.Items) > 0 {
			return list.Items[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s promotion of payments into %s after 30s", state, env)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// browser is one chromium with the console's tallies.
type browser struct {
	ctx     context.Context
	out     string
	mu      sync.Mutex
	errors  []string
	pages   int
	actions int
	shots   int
	dexShot bool // Dex's login form was photographed
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("Debian's chromium is needed (apt-get install chromium; .ci/deps.sh installs it): %v", err)
	}
	out := os.Getenv("FERRY_TEST_OUT")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-gpu", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &browser{ctx: ctx, out: out}
	chromedp.ListenTarget(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.errors = append(b.errors, "console."+string(e.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			b.errors = append(b.errors, "exception: "+e.ExceptionDetails.Error())
		case *log.EventEntryAdded:
			if e.Entry.Level == log.LevelError {
				b.errors = append(b.errors, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		}
	})
	if err := chromedp.Run(ctx, log.Enable(), runtime.Enable()); err != nil {
		t.Fatal(err)
	}
	return b
}

// stepTimeout bounds one browser step, so that a missing element fails the
// test with its name instead of waiting for the whole test's deadline.
const stepTimeout = 40 * time.Second

func (b *browser) run(t *testing.T, what string, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// visit opens a console page and waits for its <main>.
func (b *browser) visit(t *testing.T, u string) {
	t.Helper()
	b.pages++
	b.run(t, "visit "+u, chromedp.Navigate(u), chromedp.WaitReady("#main", chromedp.ByID))
}

func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	var png []byte
	b.run(t, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
	if err := os.WriteFile(filepath.Join(b.out, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	b.shots++
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	var s string
	b.run(t, "text of "+sel, chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

// waitState reloads a promotion page until its state is want.
func (b *browser) waitState(t *testing.T, u, want string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		b.run(t, "reload", chromedp.Navigate(u), chromedp.WaitReady("#state", chromedp.ByID))
		if got := b.text(t, "#state"); got == want {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%s: state %q, want %q", u, got, want)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// buttons counts what a reader could act with on the page: action links
// and forms that change state (the filter form's Apply only reads).
func (b *browser) buttons(t *testing.T) int {
	t.Helper()
	var n int
	b.run(t, "count buttons", chromedp.Evaluate(`document.querySelectorAll("main a.button, main form[method=post], #actions").length`, &n))
	return n
}
