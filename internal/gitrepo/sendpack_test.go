package gitrepo

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// wireLog records what a Git client asked of a smart HTTP server: the
// packs it fetched (upload-pack POSTs) and the object count of every pack
// it pushed.
type wireLog struct {
	mu      sync.Mutex
	fetches int
	pushed  []uint32
}

func (l *wireLog) counts() (fetches int, pushed []uint32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fetches, append([]uint32(nil), l.pushed...)
}

// serveLogged serves the bare repositories under root with git
// http-backend and logs the requests into l.
func serveLogged(t *testing.T, root string, l *wireLog) *httptest.Server {
	t.Helper()
	backend := &cgi.Handler{
		Path: filepath.Join(git(t, "", "--exec-path"), "git-http-backend"),
		Env:  append([]string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}, gitEnv...),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost {
			body, err := io.ReadAll(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			l.mu.Lock()
			switch {
			case strings.HasSuffix(req.URL.Path, "/git-upload-pack"):
				l.fetches++
			case strings.HasSuffix(req.URL.Path, "/git-receive-pack"):
				// A pack starts "PACK", version, object count (big endian).
				if i := bytes.Index(body, []byte("PACK")); i >= 0 && len(body) >= i+12 {
					l.pushed = append(l.pushed, binary.BigEndian.Uint32(body[i+8:]))
				}
			}
			l.mu.Unlock()
		}
		backend.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCommitSendsOnlyTheObjectsItMade(t *testing.T) {
	t.Parallel()
	files := envFiles()
	for i := range 50 { // a tree worth walking, which the push must not send
		files["envs/prod/app"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+"/values.yaml"] = "v: 1\n"
	}
	bare := newBare(t, files)
	git(t, bare, "config", "http.receivepack", "true")
	var l wireLog
	srv := serveLogged(t, filepath.Dir(bare), &l)
	r := openRepo(t, Config{URL: srv.URL + "/" + filepath.Base(bare)})
	ctx := context.Background()

	for i, content := range []string{"one\n", "two\n", "three\n"} {
		res, err := r.Commit(ctx, "main", setFiles("Edit\n", map[string]string{"envs/dev/app/kustomization.yaml": content}))
		if err != nil {
			t.Fatalf("Commit %d: %v", i, err)
		}
		if got := git(t, bare, "rev-parse", "main"); got != res.SHA {
			t.Fatalf("remote main = %s, want %s", got, res.SHA)
		}
	}
	fetches, pushed := l.counts()
	// One fetch: the first clone. A writer alone on the branch learns from
	// the push advertisement that its clone is current.
	if fetches != 1 {
		t.Errorf("fetches = %d, want 1 (the first clone)", fetches)
	}
	// commit, root tree, envs, envs/dev, envs/dev/app and the blob.
	if len(pushed) != 3 || pushed[0] != 6 || pushed[1] != 6 || pushed[2] != 6 {
		t.Errorf("objects per pushed pack = %v, want [6 6 6]", pushed)
	}
	fsck(t, bare)

	// Someone else moves the branch: the next Commit fetches once, builds on
	// their commit and still sends only its own objects.
	human := humanPush(t, bare, "main", map[string]string{"envs/prod/human.txt": "hi\n"}, "Human")
	var seen string
	res, err := r.Commit(ctx, "main", func(s Snapshot) (Change, error) {
		seen = s.Head()
		return Change{Message: "After human\n", Files: map[string][]byte{"envs/dev/app/kustomization.yaml": []byte("four\n")}}, nil
	})
	if err != nil {
		t.Fatalf("Commit after a human push: %v", err)
	}
	if seen != human || res.Attempts != 1 {
		t.Errorf("build saw %s in %d attempts, want the human commit %s in 1", seen, res.Attempts, human)
	}
	if got := git(t, bare, "rev-parse", "main^"); got != human {
		t.Errorf("parent = %s, want the human commit %s", got, human)
	}
	fetches, pushed = l.counts()
	if fetches != 2 || len(pushed) != 4 || pushed[3] != 6 {
		t.Errorf("fetches = %d, pushed packs = %v; want 2 fetches and a last pack of 6 objects", fetches, pushed)
	}
	if got := git(t, bare, "show", "main:envs/prod/human.txt"); got != "hi" {
		t.Errorf("human file = %q, lost", got)
	}
	fsck(t, bare)
}

func TestCommitCreatesBranchFromBaseSendingOnlyItsObjects(t *testing.T) {
	t.Parallel()
	bare := newBare(t, envFiles())
	git(t, bare, "config", "http.receivepack", "true")
	var l wireLog
	srv := serveLogged(t, filepath.Dir(bare), &l)
	r := openRepo(t, Config{URL: srv.URL + "/" + filepath.Base(bare)})
	res, err := r.Commit(context.Background(), "ferry/dev/app", setFiles("PR\n", map[string]string{"envs/dev/app/kustomization.yaml": "pr\n"}), FromBranch("main"))
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := git(t, bare, "rev-parse", "ferry/dev/app^"); got != git(t, bare, "rev-parse", "main") {
		t.Errorf("new branch's parent = %s, want main", got)
	}
	if got := git(t, bare, "rev-parse", "ferry/dev/app"); got != res.SHA {
		t.Errorf("branch = %s, want %s", got, res.SHA)
	}
	if _, pushed := l.counts(); len(pushed) != 1 || pushed[0] != 6 {
		t.Errorf("objects per pushed pack = %v, want [6]", pushed)
	}
	fsck(t, bare)
}
