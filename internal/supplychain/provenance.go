package supplychain

import (
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
)

// Predicate types Ferry reads.
const (
	predicateCosignSign = "https://sigstore.dev/cosign/sign/v1"
	predicateSLSAv1     = "https://slsa.dev/provenance/v1"
	predicateSLSAv02    = "https://slsa.dev/provenance/v0.2"
)

func isSLSA(pt string) bool { return pt == predicateSLSAv1 || pt == predicateSLSAv02 }

// slsaV1 is the part of an SLSA v1 predicate Ferry reads.
type slsaV1 struct {
	BuildDefinition struct {
		ResolvedDependencies []resource `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
	} `json:"runDetails"`
}

// slsaV02 is the part of an SLSA v0.2 predicate Ferry reads.
type slsaV02 struct {
	Builder struct {
		ID string `json:"id"`
	} `json:"builder"`
	Invocation struct {
		ConfigSource resource `json:"configSource"`
	} `json:"invocation"`
	Materials []resource `json:"materials"`
}

// resource is an SLSA ResourceDescriptor (v1) or material (v0.2).
type resource struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
}

// commit returns the resource's Git commit, if it is a Git source.
func (r resource) commit() string {
	for _, k := range []string{"gitCommit", "sha1"} {
		if c := r.Digest[k]; c != "" {
			return c
		}
	}
	return ""
}

// parseProvenance reads builder and source from an SLSA predicate. The
// source is the first Git resource: GitHub's and GitLab's generators put
// the repository being built first.
func parseProvenance(pt string, pred *structpb.Struct) (Provenance, error) {
	b, err := pred.MarshalJSON()
	if err != nil {
		return Provenance{}, fmt.Errorf("reading predicate: %w", err)
	}
	p := Provenance{PredicateType: pt}
	var sources []resource
	if pt == predicateSLSAv1 {
		var s slsaV1
		if err := json.Unmarshal(b, &s); err != nil {
			return Provenance{}, fmt.Errorf("parsing SLSA v1 predicate: %w", err)
		}
		p.Builder = s.RunDetails.Builder.ID
		sources = s.BuildDefinition.ResolvedDependencies
	} else {
		var s slsaV02
		if err := json.Unmarshal(b, &s); err != nil {
			return Provenance{}, fmt.Errorf("parsing SLSA v0.2 predicate: %w", err)
		}
		p.Builder = s.Builder.ID
		sources = append([]resource{s.Invocation.ConfigSource}, s.Materials...)
	}
	if p.Builder == "" {
		return Provenance{}, fmt.Errorf("%s predicate names no builder id", pt)
	}
	for _, r := range sources {
		if c := r.commit(); c != "" && r.URI != "" {
			p.SourceRepo, p.SourceCommit = repoURL(r.URI), c
			break
		}
	}
	return p, nil
}

// sameRepo reports whether a provenance source URI ("git+https://github.com/acme/app@refs/heads/main")
// names the repository a build report gave ("https://github.com/acme/app",
// "github.com/acme/app.git", or "acme/app" for the host's own shorthand).
func sameRepo(provenance, report string) bool {
	p, r := normalizeRepo(provenance), normalizeRepo(report)
	if p == "" || r == "" {
		return false
	}
	if p == r {
		return true
	}
	// A report without a host ("acme/app") matches the path on any host.
	return !strings.Contains(strings.SplitN(r, "/", 2)[0], ".") && strings.HasSuffix(p, "/"+r)
}

func normalizeRepo(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "git+")
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	host, path, _ := strings.Cut(s, "/")
	if i := strings.LastIndex(host, "@"); i >= 0 {
		// user@host, or scp-like git@host:owner/repo
		host = host[i+1:]
		if h, rest, ok := strings.Cut(host, ":"); ok && !isPort(rest) {
			host, path = h, rest+"/"+path
		}
	}
	// A trailing "@ref" names what was checked out, not the repository.
	if i := strings.LastIndex(path, "@"); i >= 0 {
		path = path[:i]
	}
	s = strings.TrimSuffix(strings.Trim(host+"/"+path, "/"), ".git")
	return s
}

func isPort(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// repoURL shows an SLSA source URI as the repository's URL: without the
// "git+" prefix and the "@ref" that was checked out.
func repoURL(uri string) string {
	u := strings.TrimPrefix(uri, "git+")
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	host, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(path, "@"); i >= 0 {
		path = path[:i]
	}
	return scheme + "://" + strings.TrimSuffix(host+"/"+path, "/")
}
