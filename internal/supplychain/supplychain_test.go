package supplychain_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/derrors"
	"github.com/ferryhq/ferry/internal/registry"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
	"github.com/ferryhq/ferry/internal/supplychain"
)

const (
	ghIssuer     = "https://token.actions.githubusercontent.com"
	gitlabIssuer = "https://gitlab.com"
	releaseID    = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
	ghBuilder    = "https://github.com/actions/runner/github-hosted"
	sourceRepo   = "https://github.com/acme/app"
	sourceCommit = "0123456789abcdef0123456789abcdef01234567"
)

// interceptor serves go-containerregistry's in-process registry, except for
// the paths a case overrides (a huge or malformed answer, a redirect).
type interceptor struct {
	next http.Handler
	mu   sync.Mutex
	over map[string]http.HandlerFunc
}

func (i *interceptor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i.mu.Lock()
	h := i.over[r.URL.Path]
	i.mu.Unlock()
	if h != nil && r.Method != http.MethodPut {
		h(w, r)
		return
	}
	i.next.ServeHTTP(w, r)
}

func (i *interceptor) override(path string, h http.HandlerFunc) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.over[path] = h
}

// env is a registry, a virtual Sigstore, signing keys and a verifier.
type env struct {
	host       string
	reg        *interceptor
	sig        *sigstore
	key        keyPair
	otherKey   []byte // a PEM key nobody signs with
	ed         edKey
	verifier   *supplychain.Verifier
	foreign    *atomic.Int64 // requests the foreign host received
	foreignURL string
}

func newEnv(t *testing.T) *env { return newBenchEnv(t) }

func newBenchEnv(t testing.TB) *env {
	t.Helper()
	e := &env{reg: &interceptor{next: ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))), over: map[string]http.HandlerFunc{}}}
	srv := httptest.NewServer(e.reg)
	t.Cleanup(srv.Close)
	e.host = strings.TrimPrefix(srv.URL, "http://")
	e.foreign = &atomic.Int64{}
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.foreign.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(foreign.Close)
	e.foreignURL = foreign.URL
	e.sig = newSigstore(t)
	e.key = newKey(t)
	e.otherKey = otherP256Key(t)
	e.ed = newEdKey(t)
	e.verifier = newVerifier(t, e.host, "", "", e.sig.root)
	return e
}

func newVerifier(t testing.TB, host, user, pass, trustedRoot string) *supplychain.Verifier {
	t.Helper()
	reg, err := registry.New(registry.Config{
		Hosts:    []registry.Host{{Host: host, Insecure: true, Username: user, Password: pass}},
		Keychain: authn.NewMultiKeychain(),
	})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := supplychain.LoadTrustedRoot(trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	v, err := supplychain.New(reg, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func repoOf(t testing.TB, host, path string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(host+"/"+path, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func slsaV1(builder, repo, commit string) map[string]any {
	return map[string]any{
		"buildDefinition": map[string]any{
			"buildType":          "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters": map[string]any{"workflow": map[string]any{"repository": repo}},
			"resolvedDependencies": []any{map[string]any{
				"uri": "git+" + repo + "@refs/heads/main", "digest": map[string]string{"gitCommit": commit},
			}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": builder}},
	}
}

func slsaV02(builder, repo, commit string) map[string]any {
	return map[string]any{
		"builder":    map[string]any{"id": builder},
		"buildType":  "https://gitlab.com/gitlab-org/gitlab-runner",
		"invocation": map[string]any{"configSource": map[string]any{"uri": "git+" + repo, "digest": map[string]string{"sha1": commit}, "entryPoint": ".gitlab-ci.yml"}},
	}
}

// policies used by the cases.
func keylessGate() config.Gates {
	return config.Gates{Signature: &config.SignatureGate{Keyless: []config.KeylessSigner{{Issuer: ghIssuer, Identity: `https://github\.com/acme/.*/\.github/workflows/release\.yml@refs/heads/main`}}}}
}

func keyGate(pem []byte) config.Gates {
	return config.Gates{Signature: &config.SignatureGate{Keys: []config.SigningKey{{File: "keys/ci.pub", PEM: pem}}}}
}

func provenanceGate(g config.Gates, sourceMustMatch bool) config.Gates {
	g.Provenance = &config.ProvenanceGate{Builders: []string{ghBuilder, "https://gitlab.com/acme/runners"}, SourceMustMatchReport: sourceMustMatch}
	return g
}

type scCase struct {
	name  string
	gates func(e *env) config.Gates
	// publish pushes the image (and whatever is attached) and returns the
	// repository path and the digest that is reported.
	publish func(t *testing.T, e *env) (string, v1.Hash)
	// wantCode is the refusal's problem code; "" means accepted.
	wantCode string
	// wantDetail is text the refusal's detail must hold.
	wantDetail string
	// wantSigner is part of the accepted decision's summary.
	wantSigner string
}

func cases() []scCase {
	return []scCase{
		{
			name:  "keyless identity, OCI 1.1 referrer bundle",
			gates: func(*env) config.Gates { return keylessGate() },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/app", "v1")
				e.attachBundle(t, "acme/app", d, e.sig.keylessBundle(t, releaseID, ghIssuer, statement(t, d, cosignSignType, map[string]any{})))
				return "acme/app", d
			},
			wantSigner: "signed by " + releaseID,
		},
		{
			name:  "keyless identity, cosign .sig tag with certificate and Rekor bundle",
			gates: func(*env) config.Gates { return keylessGate() },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/tagged", "v1")
				p := simpleSigning(t, e.host+"/acme/tagged", d)
				sigTag(t, repoOf(t, e.host, "acme/tagged"), d, p, e.sig.keylessSig(t, releaseID, ghIssuer, p))
				return "acme/tagged", d
			},
			wantSigner: "signed by " + releaseID,
		},
		{
			name:  "allowed key, cosign .sig tag",
			gates: func(e *env) config.Gates { return keyGate(e.key.pem) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/keyed", "v1")
				p := simpleSigning(t, e.host+"/acme/keyed", d)
				sigTag(t, repoOf(t, e.host, "acme/keyed"), d, p, e.key.keySig(t, p))
				return "acme/keyed", d
			},
			wantSigner: "signed by key sha256:",
		},
		{
			name:  "allowed Ed25519 key, cosign .sig tag",
			gates: func(e *env) config.Gates { return keyGate(e.ed.pem) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/ed", "v1")
				p := simpleSigning(t, e.host+"/acme/ed", d)
				sigTag(t, repoOf(t, e.host, "acme/ed"), d, p, e.ed.sign(p))
				return "acme/ed", d
			},
			wantSigner: "signed by key sha256:",
		},
		{
			name:  "allowed key, referrer bundle",
			gates: func(e *env) config.Gates { return keyGate(e.key.pem) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/keyedref", "v1")
				e.attachBundle(t, "acme/keyedref", d, e.key.keyBundle(t, statement(t, d, cosignSignType, map[string]any{})))
				return "acme/keyedref", d
			},
			wantSigner: "signed by key sha256:",
		},
		{
			name:  "signed and SLSA v1 provenance from an allowed builder and the reported source",
			gates: func(*env) config.Gates { return provenanceGate(keylessGate(), true) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/prov", "v1")
				e.attachBundle(t, "acme/prov", d, e.sig.keylessBundle(t, releaseID, ghIssuer, statement(t, d, cosignSignType, map[string]any{})))
				e.attachBundle(t, "acme/prov", d, e.sig.keylessBundle(t, releaseID, ghIssuer, statement(t, d, "https://slsa.dev/provenance/v1", slsaV1(ghBuilder, sourceRepo, sourceCommit))))
				return "acme/prov", d
			},
			wantSigner: "built by " + ghBuilder + ", from " + sourceRepo,
		},
		{
			name:  "SLSA v0.2 provenance in cosign's .att tag",
			gates: func(*env) config.Gates { return provenanceGate(keylessGate(), true) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/prov02", "v1")
				e.attachBundle(t, "acme/prov02", d, e.sig.keylessBundle(t, releaseID, ghIssuer, statement(t, d, cosignSignType, map[string]any{})))
				e.sig.attTag(t, repoOf(t, e.host, "acme/prov02"), d, releaseID, ghIssuer, statement(t, d, "https://slsa.dev/provenance/v0.2", slsaV02(ghBuilder, "https://github.com/acme/app.git", sourceCommit)))
				return "acme/prov02", d
			},
			wantSigner: "built by " + ghBuilder,
		},
		{
			name:  "unsigned",
			gates: func(*env) config.Gates { return keylessGate() },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				return "acme/unsigned", imagetest.PushImage(t, e.host, "acme/unsigned", "v1")
			},
			wantCode:   supplychain.CodeSignatureRequired,
			wantDetail: "found: nothing",
		},
		{
			name:  "signed by another identity",
			gates: func(*env) config.Gates { return keylessGate() },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/other", "v1")
				e.attachBundle(t, "acme/other", d, e.sig.keylessBundle(t, "https://github.com/mallory/app/.github/workflows/release.yml@refs/heads/main", ghIssuer, statement(t, d, cosignSignType, map[string]any{})))
				return "acme/other", d
			},
			wantCode:   supplychain.CodeSignatureRequired,
			wantDetail: "found: signature by https://github.com/mallory/app",
		},
		{
			name:  "identity that only contains an allowed one (regexp is anchored)",
			gates: func(*env) config.Gates { return keylessGate() },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/prefixed", "v1")
				e.attachBundle(t, "acme/prefixed", d, e.sig.keylessBundle(t, "https://evil.example/"+releaseID, ghIssuer, statement(t, d, cosignSignType, map[string]any{})))
				return "acme/prefixed", d
			},
			wantCode: supplychain.CodeSignatureRequired,
		},
		{
			name:  "allowed identity from the wrong issuer",
			gates: func(*env) config.Gates { return keylessGate() },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/issuer", "v1")
				e.attachBundle(t, "acme/issuer", d, e.sig.keylessBundle(t, releaseID, gitlabIssuer, statement(t, d, cosignSignType, map[string]any{})))
				return "acme/issuer", d
			},
			wantCode:   supplychain.CodeSignatureRequired,
			wantDetail: "(issuer " + gitlabIssuer + ")",
		},
		{
			name:  "signed with a key that is not allowed",
			gates: func(e *env) config.Gates { return keyGate(e.otherKey) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/otherkey", "v1")
				p := simpleSigning(t, e.host+"/acme/otherkey", d)
				sigTag(t, repoOf(t, e.host, "acme/otherkey"), d, p, e.key.keySig(t, p))
				return "acme/otherkey", d
			},
			wantCode:   supplychain.CodeSignatureRequired,
			wantDetail: "not allowed",
		},
		{
			name:  "signature over another digest (.sig payload)",
			gates: func(e *env) config.Gates { return keyGate(e.key.pem) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/swap", "v1")
				other := imagetest.PushImage(t, e.host, "acme/swap", "v0")
				p := simpleSigning(t, e.host+"/acme/swap", other)
				sigTag(t, repoOf(t, e.host, "acme/swap"), d, p, e.key.keySig(t, p))
				return "acme/swap", d
			},
			wantCode:   supplychain.CodeSignatureRequired,
			wantDetail: "signature is over ",
		},
		{
			name:  "signature over another digest (bundle attached to this one)",
			gates: func(*env) config.Gates { return keylessGate() },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/swapref", "v1")
				other := imagetest.PushImage(t, e.host, "acme/swapref", "v0")
				e.attachBundle(t, "acme/swapref", d, e.sig.keylessBundle(t, releaseID, ghIssuer, statement(t, other, cosignSignType, map[string]any{})))
				return "acme/swapref", d
			},
			wantCode:   supplychain.CodeSignatureRequired,
			wantDetail: "did not verify",
		},
		{
			name:  "provenance from a builder that is not allowed",
			gates: func(*env) config.Gates { return provenanceGate(keylessGate(), true) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/builder", "v1")
				e.attachBundle(t, "acme/builder", d, e.sig.keylessBundle(t, releaseID, ghIssuer, statement(t, d, cosignSignType, map[string]any{})))
				e.attachBundle(t, "acme/builder", d, e.sig.keylessBundle(t, releaseID, ghIssuer, statement(t, d, "https://slsa.dev/provenance/v1", slsaV1("https://ci.example/self-hosted", sourceRepo, sourceCommit))))
				return "acme/builder", d
			},
			wantCode:   supplychain.CodeProvenanceRequired,
			wantDetail: "built by https://ci.example/self-hosted, not an allowed builder",
		},
		{
			name:  "provenance source commit differs from the report",
			gates: func(*env) config.Gates { return provenanceGate(keylessGate(), true) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/commit", "v1")
				e.attachBundle(t, "acme/commit", d, e.sig.keylessBundle(t, releaseID, ghIssuer, statement(t, d, cosignSignType, map[string]any{})))
				e.attachBundle(t, "acme/commit", d, e.sig.keylessBundle(t, releaseID, ghIssuer, statement(t, d, "https://slsa.dev/provenance/v1", slsaV1(ghBuilder, sourceRepo, strings.Repeat("f", 40)))))
				return "acme/commit", d
			},
			wantCode:   supplychain.CodeSourceMismatch,
			wantDetail: "but CI reported source",
		},
		{
			name:  "index whose platform manifests are signed, not the index",
			gates: func(e *env) config.Gates { return keyGate(e.key.pem) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				idx, arm := imagetest.PushIndex(t, e.host, "acme/multi", "v1")
				p := simpleSigning(t, e.host+"/acme/multi", arm)
				sigTag(t, repoOf(t, e.host, "acme/multi"), arm, p, e.key.keySig(t, p))
				e.attachBundle(t, "acme/multi", arm, e.key.keyBundle(t, statement(t, arm, cosignSignType, map[string]any{})))
				return "acme/multi", idx
			},
			wantCode:   supplychain.CodeSignatureRequired,
			wantDetail: "found: nothing",
		},
		{
			name:  "huge signature manifest",
			gates: func(e *env) config.Gates { return keyGate(e.key.pem) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/huge", "v1")
				e.reg.override("/v2/acme/huge/manifests/sha256-"+d.Hex+".sig", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", string(types.OCIManifestSchema1))
					w.WriteHeader(http.StatusOK)
					if r.Method == http.MethodGet {
						chunk := []byte(strings.Repeat(" ", 1<<16))
						for range (registry.MaxArtifactBytes / len(chunk)) * 4 {
							if _, err := w.Write(chunk); err != nil {
								return
							}
						}
					}
				})
				return "acme/huge", d
			},
			wantCode:   supplychain.CodeSignatureRequired,
			wantDetail: fmt.Sprintf("served more than %d bytes", registry.MaxArtifactBytes),
		},
		{
			name:  "malformed signature manifest and bundle",
			gates: func(e *env) config.Gates { return keyGate(e.key.pem) },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/malformed", "v1")
				e.attachBundle(t, "acme/malformed", d, []byte(`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": 7}`))
				e.reg.override("/v2/acme/malformed/manifests/sha256-"+d.Hex+".sig", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", string(types.OCIManifestSchema1))
					_, _ = io.WriteString(w, `{"schemaVersion": 2, "layers": [{"digest": "not-a-digest"`)
				})
				return "acme/malformed", d
			},
			wantCode:   supplychain.CodeSignatureRequired,
			wantDetail: "parsing Sigstore bundle",
		},
		{
			name:  "signature blob on a host not on the allowlist",
			gates: func(*env) config.Gates { return keylessGate() },
			publish: func(t *testing.T, e *env) (string, v1.Hash) {
				d := imagetest.PushImage(t, e.host, "acme/foreign", "v1")
				b := e.sig.keylessBundle(t, releaseID, ghIssuer, statement(t, d, cosignSignType, map[string]any{}))
				e.attachBundle(t, "acme/foreign", d, b)
				e.reg.override("/v2/acme/foreign/blobs/"+sha256Of(b).String(), func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, e.foreignURL+"/blobs/bundle.json", http.StatusTemporaryRedirect)
				})
				return "acme/foreign", d
			},
			wantCode:   supplychain.CodeSignatureRequired,
			wantDetail: "not on the allowlist",
		},
	}
}

func (e *env) attachBundle(t *testing.T, path string, d v1.Hash, b []byte) {
	t.Helper()
	e.attachBundleTB(t, path, d, b)
}

func (e *env) attachBundleTB(t testing.TB, path string, d v1.Hash, b []byte) {
	t.Helper()
	attachReferrer(t, repoOf(t, e.host, path), d, types.OCIManifestSchema1, b)
}

// TestSupplyChainCases runs every case against go-containerregistry's
// in-process registry and prints the tally the issue asks for.
func TestSupplyChainCases(t *testing.T) {
	e := newEnv(t)
	var accepted, refused, wronglyAccepted int
	cs := cases()
	for _, tc := range cs {
		t.Run(tc.name, func(t *testing.T) {
			path, d := tc.publish(t, e)
			pol, err := supplychain.Compile(tc.gates(e), func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			facts, err := e.verifier.Collect(context.Background(), e.host+"/"+path, d.String(), pol.Keys())
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			dec, err := pol.Decide(facts, sourceRepo, sourceCommit)
			if err == nil {
				if tc.wantCode != "" {
					wronglyAccepted++
					t.Fatalf("accepted (%s); want refusal %s", dec.Summary(), tc.wantCode)
				}
				accepted++
				if !strings.Contains(dec.Summary(), tc.wantSigner) {
					t.Errorf("summary %q does not contain %q", dec.Summary(), tc.wantSigner)
				}
				return
			}
			refused++
			de, ok := derrors.As(err)
			if !ok || de.Kind != derrors.Unprocessable || de.Code != tc.wantCode {
				t.Fatalf("Decide error = %v; want code %q (422)", err, tc.wantCode)
			}
			if !strings.Contains(de.Detail, tc.wantDetail) {
				t.Errorf("detail %q does not contain %q", de.Detail, tc.wantDetail)
			}
		})
	}
	if n := e.foreign.Load(); n != 0 {
		t.Errorf("the foreign host received %d requests; want 0", n)
	}
	tally = fmt.Sprintf("supplychain: cases=%d accepted_signed=%d refused=%d wrongly_accepted=%d foreign_hosts_contacted=%d",
		len(cs), accepted, refused, wronglyAccepted, e.foreign.Load())
}

// tally is TestSupplyChainCases' summary line, printed by TestMain outside
// any test so that go test -json shows it as the package's own output.
var tally string

func TestMain(m *testing.M) {
	code := m.Run()
	if tally != "" {
		fmt.Println(tally)
	}
	os.Exit(code)
}
