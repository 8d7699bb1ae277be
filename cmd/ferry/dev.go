package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/ferryhq/ferry/deploy/examples"
	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/server"
)

// exampleHost is the registry host the example env repo names; dev mode
// replaces it with its in-process registry.
const exampleHost = "registry.example.com"

// devEnv is what `ferry serve --dev` runs on: an in-process registry with
// sample images, a local bare environment repo seeded from the example, and
// a config for the real server pointing at both.
type devEnv struct {
	cfg   *config.Server
	token string
	// managers are the release managers' tokens by name (alice, bob): the
	// bundled pipeline wants two distinct approvers for prod.
	managers []devManager
	regHost  string
	repoPath string
	regSrv   *http.Server
}

func startDev(ctx context.Context, dataDir, listen, regAddr string) (*devEnv, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("creating data folder: %w", err)
	}
	d := &devEnv{repoPath: filepath.Join(abs, "env-repo.git")}

	ln, err := net.Listen("tcp", regAddr)
	if err != nil {
		return nil, fmt.Errorf("starting the dev registry on %s (choose another with --dev-registry): %w", regAddr, err)
	}
	d.regHost = ln.Addr().String()
	d.regSrv = &http.Server{
		Handler:           ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = d.regSrv.Serve(ln) }()
	if err := pushSamples(ctx, d.regHost); err != nil {
		d.Close()
		return nil, fmt.Errorf("pushing sample images: %w", err)
	}
	if err := seedRepo(d.repoPath, d.regHost); err != nil {
		d.Close()
		return nil, fmt.Errorf("seeding the environment repo: %w", err)
	}
	if d.token, err = devToken(filepath.Join(abs, "dev-token")); err != nil {
		d.Close()
		return nil, err
	}
	tokens := []config.Token{{
		Name: "dev", SHA256: server.HashToken(d.token),
		Scopes:       []string{config.ScopeBuildsWrite, config.ScopePromotionsWrite, config.ScopeRead},
		Applications: []string{"*"},
	}}
	for _, name := range devManagerNames {
		tok, err := devToken(filepath.Join(abs, name+"-token"))
		if err != nil {
			d.Close()
			return nil, err
		}
		d.managers = append(d.managers, devManager{name: name, token: tok})
		tokens = append(tokens, config.Token{
			Name: name, SHA256: server.HashToken(tok),
			Scopes:       []string{config.ScopePromotionsWrite, config.ScopeRead},
			Applications: []string{"*"},
		})
	}
	window := config.Duration(200 * time.Millisecond)
	cfg := &config.Server{
		Listen:        listen,
		DataDir:       abs,
		AnonymousRead: true,
		Registries:    []config.Registry{{Host: d.regHost, Insecure: true}},
		Repositories: []config.Repository{{
			Name: "env-repo", URL: d.repoPath, Branch: "main",
			Author: config.Author{Name: "Ferry (dev)", Email: "ferry@localhost"},
		}},
		Tokens: tokens,
		Worker: config.Worker{BatchWindow: &window},
		Log:    config.Log{Level: "info", Format: "console"},
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		d.Close()
		return nil, err
	}
	d.cfg = cfg
	return d, nil
}

// withConsole sets the console block (single sign-on) read from path.
func (d *devEnv) withConsole(path string) error {
	c, err := readDevConsole(path)
	if err != nil {
		d.Close()
		return err
	}
	d.cfg.Console = c
	d.cfg.Defaults()
	if err := d.cfg.Validate(); err != nil {
		d.Close()
		return err
	}
	return nil
}

// Close stops the dev registry.
func (d *devEnv) Close() {
	if d.regSrv != nil {
		_ = d.regSrv.Close()
	}
}

// devManagerNames name dev mode's release-manager tokens: two, because the
// bundled pipeline asks two distinct people to approve a prod promotion.
var devManagerNames = []string{"alice", "bob"}

// devManager is one of dev mode's release managers and their token.
type devManager struct{ name, token string }

// devToken reads the dev token from path, or makes one, so it stays the
// same across restarts.
func devToken(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	t := "ferry_dev_" + hex.EncodeToString(b[:])
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing dev token: %w", err)
	}
	return t, nil
}

// seedRepo creates a bare repository at path from the embedded example env
// repo, unless it exists. The example's registry host becomes regHost.
func seedRepo(path, regHost string) error {
	if _, err := os.Stat(filepath.Join(path, "HEAD")); err == nil {
		return nil
	}
	work, err := os.MkdirTemp("", "ferry-seed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	repo, err := git.PlainInitWithOptions(work, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return err
	}
	err = fs.WalkDir(examples.EnvRepo, "env-repo", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := examples.EnvRepo.ReadFile(p)
		if err != nil {
			return err
		}
		b = []byte(strings.ReplaceAll(string(b), exampleHost, regHost))
		dst := filepath.Join(work, strings.TrimPrefix(p, "env-repo/"))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		return err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return err
	}
	if err := wt.AddGlob("."); err != nil {
		return err
	}
	sig := &object.Signature{Name: "Ferry (dev)", Email: "ferry@localhost", When: time.Now()}
	if _, err := wt.Commit("Seed environment repo from Ferry's example\n", &git.CommitOptions{Author: sig}); err != nil {
		return err
	}
	_, err = git.PlainClone(path, true, &git.CloneOptions{URL: work})
	if errors.Is(err, git.ErrRepositoryAlreadyExists) {
		return nil
	}
	return err
}

func (d *devEnv) printBanner(w io.Writer, addr string) {
	base := "http://" + addr
	img := d.regHost + "/acme/payments"
	alice, bob := d.managers[0], d.managers[1]
	fmt.Fprintf(w, `
Ferry is running in dev mode.

  console      %[1]s/   (sign in with a token below to approve, cancel, promote)
  API          %[1]s/api/v1
  tokens       dev    %[2]s   (CI: reports builds)
               %[6]s  %[7]s   (release manager)
               %[8]s    %[9]s   (release manager)
  registry     %[3]s   (in-process; sample images acme/payments:1.4.0 to 1.4.2, acme/checkout:2.0.0 and 2.1.0 (multi-arch), acme/notifier:0.9.1 and 1.0.0)
  env repo     %[4]s   (git clone it to look; ferry.yaml holds the pipeline)

1. Report a build; it lands in dev (a commit):

  export FERRY_SERVER=%[1]s
  FERRY_TOKEN=%[2]s go run ./cmd/ferry notify --application payments --image %[5]s --tag 1.4.2 --wait 30s

2. stage is promoted by pull request (built-in here) and wants 1 approval:

  FERRY_TOKEN=%[7]s go run ./cmd/ferry status payments     # IN FLIGHT: tag, state, promotion id
  FERRY_TOKEN=%[7]s go run ./cmd/ferry approve <stage promotion id>

3. Once stage has merged, prod gets its pull request. prod wants 10 minutes of soak in stage,
   no weekend freeze (Fri 16:00 to Mon 08:00, Berlin), and 2 distinct approvers: %[6]s and %[8]s.

  FERRY_TOKEN=%[7]s go run ./cmd/ferry approve <prod promotion id>   # 1 of 2
  FERRY_TOKEN=%[9]s go run ./cmd/ferry approve <prod promotion id>   # 2 of 2: merged

Then: ferry history · git -C %[4]s log --oneline main

`, base, d.token, d.regHost, d.repoPath, img, alice.name, alice.token, bob.name, bob.token)
}
