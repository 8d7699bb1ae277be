package console

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/ferryhq/ferry/test/ferrytest"
)

// dexBinary finds the Dex binary: FERRY_DEX_BIN, else the cache that
// .ci/dex.sh builds into (beside Go's build cache).
func dexBinary() (string, error) {
	if p := os.Getenv("FERRY_DEX_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("FERRY_DEX_BIN=%s: %w", p, err)
		}
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("asking go for GOCACHE: %w", err)
	}
	matches, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "..", "ferry-dex", "*", "dex"))
	if len(matches) == 0 {
		return "", errors.New("no Dex binary: run .ci/dex.sh (builds one from source, minutes) or set FERRY_DEX_BIN")
	}
	return matches[len(matches)-1], nil
}

// dexUser is a person in Dex's static password database.
type dexUser struct {
	email, password string
	groups          []string
}

// dex is a running Dex: the OpenID provider the console signs in with.
type dex struct {
	issuer, clientID, secretFile string
}

// startDex runs Dex on a free loopback port with in-memory storage, a
// static client for Ferry (redirectURL) and users in its password
// database. Its approval screen is skipped: the login form is the page
// a person sees.
func startDex(t *testing.T, redirectURL string, users []dexUser) *dex {
	t.Helper()
	bin, err := dexBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addr := ferrytest.FreeAddr(t)
	d := &dex{issuer: "http://" + addr + "/dex", clientID: "ferry", secretFile: filepath.Join(dir, "client-secret")}
	secret := fmt.Sprintf("s3cret-%d", time.Now().UnixNano())
	if err := os.WriteFile(d.secretFile, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `issuer: %s
storage:
  type: memory
web:
  http: %s
logger:
  level: info
oauth2:
  skipApprovalScreen: true
enablePasswordDB: true
staticClients:
- id: %s
  name: Ferry
  secret: %s
  redirectURIs: [%q]
staticPasswords:
`, d.issuer, addr, d.clientID, secret, redirectURL)
	for i, u := range users {
		hash, err := bcrypt.GenerateFromPassword([]byte(u.password), 10)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.SplitN(u.email, "@", 2)[0]
		fmt.Fprintf(&cfg, "- email: %q\n  hash: %q\n  username: %q\n  userID: \"user-%d\"\n  groups: [%s]\n",
			u.email, hash, name, i, strings.Join(u.groups, ", "))
	}
	path := filepath.Join(dir, "dex.yaml")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "serve", path)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("dex output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if r, err := http.Get(d.issuer + "/.well-known/openid-configuration"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dex not ready after 60s:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// consoleConfig writes the console block ferry serve --dev-console reads:
// single sign-on with d, release managers may act, readers only read.
func (d *dex) consoleConfig(t *testing.T, redirectURL string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.yaml")
	cfg := fmt.Sprintf(`console:
  oidc:
    name: Dex
    issuer: %s
    clientID: %s
    clientSecret: {file: %s}
    redirectURL: %s
    roles:
    - {group: release-managers, scopes: [read, promotions:write]}
    - {group: readers, scopes: [read]}
`, d.issuer, d.clientID, d.secretFile, redirectURL)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// signInDex signs in through the console's single sign-on button and
// Dex's login form, and waits for the board with the viewer's name.
func (b *browser) signInDex(t *testing.T, ferryURL string, u dexUser) {
	t.Helper()
	b.dexLogin(t, ferryURL, u)
	b.run(t, "signed in with Dex as "+u.email, chromedp.WaitVisible("#viewer", chromedp.ByID))
	b.actions++
}

// signInDexRefused signs in at Dex and waits for Ferry's refusal.
func (b *browser) signInDexRefused(t *testing.T, ferryURL string, u dexUser) {
	t.Helper()
	b.dexLogin(t, ferryURL, u)
	b.run(t, "refused "+u.email, chromedp.WaitVisible("#signin-error", chromedp.ByID))
	b.pages++
}

func (b *browser) dexLogin(t *testing.T, ferryURL string, u dexUser) {
	t.Helper()
	b.visit(t, ferryURL+"/ui/signin")
	b.run(t, "Dex login form for "+u.email, chromedp.Click("#sso", chromedp.ByID), chromedp.WaitVisible("#login", chromedp.ByID),
		chromedp.SendKeys("#login", u.email, chromedp.ByID), chromedp.SendKeys("#password", u.password, chromedp.ByID))
	if !b.dexShot {
		b.screenshot(t, "dex-login")
		b.dexShot = true
	}
	b.run(t, "Dex login for "+u.email, chromedp.Click("#submit-login", chromedp.ByID))
	b.pages++
}
