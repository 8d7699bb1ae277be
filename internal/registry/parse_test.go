package registry

import (
	"context"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/derrors"
)

func TestParseRepository(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       string
		registry string // "" means invalid
		repo     string
	}{
		{in: "nginx", registry: "index.docker.io", repo: "library/nginx"},
		{in: "docker.io/library/nginx", registry: "index.docker.io", repo: "library/nginx"},
		{in: "ghcr.io/org/app", registry: "ghcr.io", repo: "org/app"},
		{in: "registry.example.com:5000/team/app", registry: "registry.example.com:5000", repo: "team/app"},
		{in: "127.0.0.1:5000/app", registry: "127.0.0.1:5000", repo: "app"},
		{in: "localhost/app", registry: "localhost", repo: "app"},
		{in: ""},
		{in: "Nginx"},
		{in: "GHCR.io/org/app"},
		{in: "ghcr.io/org/app:1.0"},
		{in: "nginx:latest"},
		{in: "ghcr.io/org/app@sha256:" + strings.Repeat("a", 64)},
		{in: "https://ghcr.io/org/app"},
		{in: "ghcr.io/"},
		{in: "ghcr.io/org//app"},
		{in: "ghcr.io/org/-app"},
		{in: "ghcr.io/org/app_"},
		{in: "ghcr.io/my-org/my__app.v2", registry: "ghcr.io", repo: "my-org/my__app.v2"},
		{in: " ghcr.io/org/app"},
		{in: "ghcr.io/org/app\n"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			repo, err := ParseRepository(tc.in)
			if tc.registry == "" {
				wantCode(t, err, derrors.Invalid, "invalid_image")
				return
			}
			if err != nil {
				t.Fatalf("ParseRepository: %v", err)
			}
			if repo.RegistryStr() != tc.registry || repo.RepositoryStr() != tc.repo {
				t.Fatalf("got %s / %s, want %s / %s", repo.RegistryStr(), repo.RepositoryStr(), tc.registry, tc.repo)
			}
		})
	}
}

func TestResolveRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	reg := startRegistry(t, nil)
	v := newVerifier(t, Config{Hosts: []Host{{Host: reg.host, Insecure: true}}})
	repo := reg.host + "/team/app"
	good := "sha256:" + strings.Repeat("a", 64)
	for _, tc := range []struct {
		name            string
		repo, tag, want string
		wantKind        derrors.Kind
		wantCode        string
	}{
		{name: "empty repository", repo: "", tag: "v1", wantKind: derrors.Invalid, wantCode: "invalid_image"},
		{name: "repository with tag", repo: repo + ":v1", tag: "v1", wantKind: derrors.Invalid, wantCode: "invalid_image"},
		{name: "uppercase repository", repo: reg.host + "/Team/App", tag: "v1", wantKind: derrors.Invalid, wantCode: "invalid_image"},
		{name: "empty tag", repo: repo, tag: "", wantKind: derrors.Invalid, wantCode: "invalid_tag"},
		{name: "tag with colon", repo: repo, tag: "v1:x", wantKind: derrors.Invalid, wantCode: "invalid_tag"},
		{name: "tag starting with dot", repo: repo, tag: ".v1", wantKind: derrors.Invalid, wantCode: "invalid_tag"},
		{name: "tag too long", repo: repo, tag: strings.Repeat("a", 129), wantKind: derrors.Invalid, wantCode: "invalid_tag"},
		{name: "digest without algorithm", repo: repo, tag: "v1", want: strings.Repeat("a", 64), wantKind: derrors.Invalid, wantCode: "invalid_digest"},
		{name: "digest uppercase hex", repo: repo, tag: "v1", want: "sha256:" + strings.Repeat("A", 64), wantKind: derrors.Invalid, wantCode: "invalid_digest"},
		{name: "digest short", repo: repo, tag: "v1", want: "sha256:" + strings.Repeat("a", 63), wantKind: derrors.Invalid, wantCode: "invalid_digest"},
		{name: "digest unknown algorithm", repo: repo, tag: "v1", want: "md5:" + strings.Repeat("a", 32), wantKind: derrors.Invalid, wantCode: "invalid_digest"},
		{name: "sha512 digest of sha256 length", repo: repo, tag: "v1", want: "sha512:" + strings.Repeat("a", 64), wantKind: derrors.Invalid, wantCode: "invalid_digest"},
		{name: "registry not on the allowlist", repo: "ghcr.io/org/app", tag: "v1", want: good, wantKind: derrors.Unprocessable, wantCode: "registry_not_allowed"},
		{name: "docker hub not on the allowlist", repo: "nginx", tag: "v1", wantKind: derrors.Unprocessable, wantCode: "registry_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Resolve(context.Background(), tc.repo, tc.tag, tc.want)
			wantCode(t, err, tc.wantKind, tc.wantCode)
		})
	}
	if n := reg.requests.Load(); n != 0 {
		t.Errorf("registry got %d requests for invalid input, want 0", n)
	}
}

func TestAllowed(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, Config{Hosts: []Host{{Host: "docker.io"}, {Host: "Registry.Example.com:5000"}}})
	for _, tc := range []struct {
		repo     string
		wantCode string
	}{
		{repo: "nginx"},
		{repo: "docker.io/library/nginx"},
		{repo: "index.docker.io/org/app"},
		{repo: "registry.example.com:5000/team/app"},
		{repo: "registry.example.com/team/app", wantCode: "registry_not_allowed"},
		{repo: "ghcr.io/org/app", wantCode: "registry_not_allowed"},
		{repo: "ghcr.io/org/app:v1", wantCode: "invalid_image"},
	} {
		err := v.Allowed(tc.repo)
		if tc.wantCode == "" {
			if err != nil {
				t.Errorf("Allowed(%q) = %v, want nil", tc.repo, err)
			}
			continue
		}
		if e, ok := derrors.As(err); !ok || e.Code != tc.wantCode {
			t.Errorf("Allowed(%q) = %v, want %s", tc.repo, err, tc.wantCode)
		}
	}
}

func TestNewValidatesHosts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		hosts   []Host
		wantErr string
	}{
		{name: "empty host", hosts: []Host{{Host: " "}}, wantErr: "empty"},
		{name: "scheme", hosts: []Host{{Host: "https://ghcr.io"}}, wantErr: "scheme"},
		{name: "path", hosts: []Host{{Host: "ghcr.io/org"}}, wantErr: "bare host"},
		{name: "duplicate", hosts: []Host{{Host: "ghcr.io"}, {Host: "GHCR.io"}}, wantErr: "twice"},
		{name: "docker hub twice under two names", hosts: []Host{{Host: "docker.io"}, {Host: "index.docker.io"}}, wantErr: "twice"},
		{name: "bad auth host", hosts: []Host{{Host: "registry.gitlab.com", AuthHosts: []string{"https://gitlab.com"}}}, wantErr: "auth host"},
		{name: "valid", hosts: []Host{{Host: "ghcr.io"}, {Host: "docker.io"}, {Host: "127.0.0.1:5000", Insecure: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Config{Hosts: tc.hosts})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("New = %v, want an error mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestDockerHubHosts(t *testing.T) {
	t.Parallel()
	p, err := newPolicy(Host{Host: "docker.io", AuthHosts: []string{"Mirror.Example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"index.docker.io", "registry-1.docker.io", "auth.docker.io", "mirror.example.com"} {
		if !p.hosts[h] {
			t.Errorf("docker.io policy does not allow %s", h)
		}
	}
	if p.hosts["docker.io"] || p.allowHTTP {
		t.Errorf("docker.io policy allows too much: hosts %v, http %v", p.hosts, p.allowHTTP)
	}
}
