package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// rtt40 is the distance of the *-rtt40 scenarios: a Git host and a
// registry 40 ms away, as a hosted Git service in another region is.
var rtt40 = link{RTT: 40 * time.Millisecond}

// gitServer serves every bare repository under root over Git's smart HTTP
// protocol: git http-backend run by net/http/cgi, as a web server runs it
// for a self-hosted Git. Pushes are allowed (REMOTE_USER is set, which is
// what http-backend asks of an authenticated push).
type gitServer struct {
	ln  net.Listener
	srv *http.Server
}

func startGitServer(root string) (*gitServer, error) {
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		return nil, fmt.Errorf("git --exec-path: %w", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		return nil, fmt.Errorf("git http-backend: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &cgi.Handler{
		Path: backend,
		Root: "/",
		Env: append([]string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=bench"},
			gitEnv...),
	}
	s := &gitServer{ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *gitServer) close() { _ = s.srv.Close() }

// far is a scenario's Git host and registry, each behind a proxy that adds
// the link's distance. Ferry and the script baseline reach both through
// the same proxies. The proxy delays bytes, not the TCP handshake, so a new
// connection costs nothing extra: that favours the script, which opens
// new connections for every git command, not Ferry, which keeps them.
type far struct {
	root     string
	git      *gitServer
	gitProxy *proxy
	regProxy *proxy
	reg      *registry // the registry as seen through the proxy: host is the proxy's
}

// goFar serves the bare repositories under root and e's registry through
// proxies with link l.
func goFar(e *env, root string, l link) (*far, error) {
	g, err := startGitServer(root)
	if err != nil {
		return nil, err
	}
	gp, err := startProxy(g.ln.Addr().String(), l)
	if err != nil {
		g.close()
		return nil, err
	}
	rp, err := startProxy(e.reg.host, l)
	if err != nil {
		gp.close()
		g.close()
		return nil, err
	}
	view := *e.reg
	view.host = rp.addr()
	return &far{root: root, git: g, gitProxy: gp, regProxy: rp, reg: &view}, nil
}

// url is bare's address on the far Git host.
func (f *far) url(bare string) (string, error) {
	rel, err := filepath.Rel(f.root, bare)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("%s is not under %s", bare, f.root)
	}
	return "http://" + f.gitProxy.addr() + "/" + filepath.ToSlash(rel), nil
}

// build is b as reported against the far registry.
func (f *far) build(b build) build {
	b.image = f.reg.image(b.app)
	return b
}

func (f *far) close() {
	f.git.close()
	f.gitProxy.close()
	f.regProxy.close()
}

// checkFar makes sure the far Git host answers before a scenario relies on
// it: an ls-remote through the proxy.
func checkFar(ctx context.Context, u string) error {
	_, err := git(ctx, "", "ls-remote", u, "main")
	return err
}
