package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferryhq/ferry/internal/gitrepo"
)

// Promotion modes of an environment.
const (
	ModeCommit      = "commit"
	ModePullRequest = "pull-request"
)

// Pipeline is ferry.yaml, kept in the environment repository so a change of
// policy is itself reviewed.
type Pipeline struct {
	Environments []Environment `yaml:"environments"`
	Applications []Application `yaml:"applications"`
	// Sets group applications that move together (see Set).
	Sets []Set `yaml:"sets"`
}

// Environment is one stage of the pipeline.
type Environment struct {
	Name string `yaml:"name"`
	// From is the environment releases are promoted from; empty for the first.
	From string `yaml:"from"`
	// Promotion is "commit" (push to the branch) or "pull-request".
	Promotion string `yaml:"promotion"`
	// Branch is the default branch of this environment's targets. Default: the
	// repository's branch.
	Branch string `yaml:"branch"`
	Gates  Gates  `yaml:"gates"`
}

// Gates hold a promotion back until they are met.
type Gates struct {
	// Soak is the minimum time the release must have spent in From.
	Soak Duration `yaml:"soak"`
	// Approvals is the number of distinct approvals required before Ferry
	// reports a pull request mergeable (or merges it).
	Approvals int `yaml:"approvals"`
	// Freeze lists weekly windows when no promotion into the environment
	// starts, e.g. {from: "Fri 16:00", to: "Mon 08:00", timezone: Europe/Berlin}.
	Freeze []Freeze `yaml:"freeze"`
	// AutoMerge merges the pull request once the host's checks pass and the
	// gates are met. The built-in provider merges on approval anyway.
	AutoMerge bool `yaml:"autoMerge"`
	// Signature requires a signature by an allowed signer (supplychain).
	Signature *SignatureGate `yaml:"signature"`
	// Provenance requires SLSA provenance from an allowed builder.
	Provenance *ProvenanceGate `yaml:"provenance"`
	// AllowSelfApproval lets the pull request's author, the promotion's
	// requester and whoever forced it approve it themselves. Off by
	// default: four eyes.
	AllowSelfApproval bool `yaml:"allowSelfApproval"`
	// Approvers, when set, are the only people whose approvals count:
	// user names, and teams or groups as "team:<name>" (a GitHub team slug
	// of the repository's organisation, a GitLab group path, a Gitea team
	// of the repository's organisation), resolved on the Git host.
	Approvers []string `yaml:"approvers"`
	// Health holds the promotion until commit statuses are green where the
	// release came from (see Health); nil: no health gate.
	Health *Health `yaml:"health"`
}

// Application is an image and where it is written in each environment.
type Application struct {
	Name string `yaml:"name"`
	// Image is the image repository, e.g. "ghcr.io/acme/payments".
	Image string `yaml:"image"`
	// Target is the default target; {env} and {app} are replaced.
	Target Target `yaml:"target"`
	// Environments override the target per environment.
	Environments map[string]Target `yaml:"environments"`
}

// Target is where an application's image is written.
type Target struct {
	// Path is the file, relative to the repository root; may use {env} and {app}.
	Path string `yaml:"path"`
	// Branch defaults to the environment's branch.
	Branch string `yaml:"branch"`
	// Kind is kustomize, helm, manifest or marker.
	Kind string `yaml:"kind"`
	// Helm paths (dotted). Defaults image.repository, image.tag, image.digest.
	Helm *HelmPaths `yaml:"helm"`
	// Marker is the name in "# ferry:image NAME" markers. Default: the application name.
	Marker string `yaml:"marker"`
	// Verify is "render" (render the target before and after the edit and
	// require the pinned image and no other change; the default when a
	// kustomization or chart is found) or "edit" (check the edited file only).
	Verify string `yaml:"verify"`
	// Chart is the directory of the Helm chart a helm target's values file is
	// rendered with. Default: the nearest directory holding a Chart.yaml, from
	// the values file's directory up to the repository root.
	Chart string `yaml:"chart"`
}

// Verification modes of a target.
const (
	VerifyRender = "render"
	VerifyEdit   = "edit"
)

// HelmPaths locate the image in a Helm values file.
type HelmPaths struct {
	// Registry, when set, is joined in front of Repository ("registry/repository")
	// to name the image; by default a "registry" key next to the repository is.
	Registry   string `yaml:"registry"`
	Repository string `yaml:"repository"`
	Tag        string `yaml:"tag"`
	Digest     string `yaml:"digest"`
}

var (
	kinds = []string{"kustomize", "helm", "manifest", "marker"}
	// imageRE follows the distribution reference grammar: path components
	// are alphanumerics joined by ".", "_", "__" or runs of "-".
	imageRE = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$`)
)

// ParsePipeline decodes and validates ferry.yaml. repoBranch is the default branch.
func ParsePipeline(b []byte, repoBranch string) (*Pipeline, error) {
	var p Pipeline
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parsing: %w", err)
	}
	if err := p.validate(repoBranch); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *Pipeline) validate(repoBranch string) error {
	var errs fieldErrors
	if len(p.Environments) == 0 {
		errs.add("environments", "at least one environment is required")
	}
	envs := map[string]*Environment{}
	for i := range p.Environments {
		e := &p.Environments[i]
		f := fmt.Sprintf("environments[%d]", i)
		if !nameRE.MatchString(e.Name) {
			errs.add(f+".name", "%q must be lowercase letters, digits and dashes", e.Name)
		} else if envs[e.Name] != nil {
			errs.add(f+".name", "%q is used twice", e.Name)
		}
		envs[e.Name] = e
		if e.Promotion == "" {
			e.Promotion = ModeCommit
		}
		if e.Promotion != ModeCommit && e.Promotion != ModePullRequest {
			errs.add(f+".promotion", "%q is not commit or pull-request", e.Promotion)
		}
		if e.Branch == "" {
			e.Branch = repoBranch
		} else if err := gitrepo.ValidateBranchName(e.Branch); err != nil {
			errs.add(f+".branch", "%q is not a valid branch name: %v", e.Branch, err)
		}
		if e.Gates.Approvals < 0 {
			errs.add(f+".gates.approvals", "must not be negative")
		}
		validateApprovers(&errs, f+".gates.approvers", e.Gates.Approvers)
		validateSupplyChain(&errs, f+".gates", e.Gates)
		for j := range e.Gates.Freeze {
			if err := e.Gates.Freeze[j].parse(); err != nil {
				errs.add(fmt.Sprintf("%s.gates.freeze[%d]", f, j), "%v", err)
			}
		}
	}
	for i := range p.Environments {
		validateHealth(&errs, fmt.Sprintf("environments[%d]", i), &p.Environments[i])
	}
	firsts := 0
	for i, e := range p.Environments {
		f := fmt.Sprintf("environments[%d].from", i)
		if e.From == "" {
			firsts++
			continue
		}
		if envs[e.From] == nil {
			errs.add(f, "unknown environment %q", e.From)
		}
	}
	if len(p.Environments) > 0 && firsts == 0 {
		errs.add("environments", "one environment must have no from (the first)")
	}
	if cyc := p.cycle(); cyc != "" {
		errs.add("environments", "from forms a cycle through %q", cyc)
	}
	apps := map[string]bool{}
	for i := range p.Applications {
		a := &p.Applications[i]
		f := fmt.Sprintf("applications[%d]", i)
		if !nameRE.MatchString(a.Name) {
			errs.add(f+".name", "%q must be lowercase letters, digits and dashes", a.Name)
		} else if apps[a.Name] {
			errs.add(f+".name", "%q is used twice", a.Name)
		}
		apps[a.Name] = true
		if !imageRE.MatchString(a.Image) || strings.ContainsAny(a.Image, "@") {
			errs.add(f+".image", "%q is not an image repository (lowercase, no tag or digest)", a.Image)
		}
		for env := range a.Environments {
			if envs[env] == nil {
				errs.add(f+".environments."+env, "unknown environment")
			}
		}
		for _, e := range p.Environments {
			t := a.TargetFor(e.Name, e.Branch)
			tf := f + ".target"
			if _, ok := a.Environments[e.Name]; ok {
				tf = f + ".environments." + e.Name
			}
			if t.Path == "" {
				errs.add(tf+".path", "required (for environment %s)", e.Name)
			} else if strings.HasPrefix(t.Path, "/") || strings.Contains("/"+t.Path+"/", "/../") {
				errs.add(tf+".path", "%q must stay inside the repository", t.Path)
			}
			if t.Branch != e.Branch {
				if err := gitrepo.ValidateBranchName(t.Branch); err != nil {
					errs.add(tf+".branch", "%q is not a valid branch name: %v", t.Branch, err)
				}
			}
			found := false
			for _, k := range kinds {
				found = found || t.Kind == k
			}
			if !found {
				errs.add(tf+".kind", "%q is not one of %s", t.Kind, strings.Join(kinds, ", "))
			}
			if t.Verify != "" && t.Verify != VerifyRender && t.Verify != VerifyEdit {
				errs.add(tf+".verify", "%q is not render or edit", t.Verify)
			}
			if strings.HasPrefix(t.Chart, "/") || strings.Contains("/"+t.Chart+"/", "/../") {
				errs.add(tf+".chart", "%q must stay inside the repository", t.Chart)
			}
		}
	}
	p.validateSets(&errs, apps, envs)
	return errs.err()
}

// cycle returns an environment on a from-cycle, or "".
func (p *Pipeline) cycle() string {
	from := map[string]string{}
	for _, e := range p.Environments {
		from[e.Name] = e.From
	}
	for _, e := range p.Environments {
		seen := map[string]bool{}
		for n := e.Name; n != ""; n = from[n] {
			if seen[n] {
				return n
			}
			seen[n] = true
		}
	}
	return ""
}

// Environment returns the named environment.
func (p *Pipeline) Environment(name string) (Environment, bool) {
	for _, e := range p.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// Application returns the named application.
func (p *Pipeline) Application(name string) (*Application, bool) {
	for i := range p.Applications {
		if p.Applications[i].Name == name {
			return &p.Applications[i], true
		}
	}
	return nil, false
}

// Firsts returns the environments with no from: where builds land first.
func (p *Pipeline) Firsts() []Environment {
	var out []Environment
	for _, e := range p.Environments {
		if e.From == "" {
			out = append(out, e)
		}
	}
	return out
}

// Next returns the environments promoted from env.
func (p *Pipeline) Next(env string) []Environment {
	var out []Environment
	for _, e := range p.Environments {
		if e.From == env {
			out = append(out, e)
		}
	}
	return out
}

// TargetFor returns the application's resolved target in env: the per
// environment override merged over the default, placeholders expanded, branch
// defaulted to envBranch.
func (a *Application) TargetFor(env, envBranch string) Target {
	t := a.Target
	if o, ok := a.Environments[env]; ok {
		if o.Path != "" {
			t.Path = o.Path
		}
		if o.Branch != "" {
			t.Branch = o.Branch
		}
		if o.Kind != "" {
			t.Kind = o.Kind
		}
		if o.Helm != nil {
			t.Helm = o.Helm
		}
		if o.Marker != "" {
			t.Marker = o.Marker
		}
		if o.Verify != "" {
			t.Verify = o.Verify
		}
		if o.Chart != "" {
			t.Chart = o.Chart
		}
	}
	if t.Branch == "" {
		t.Branch = envBranch
	}
	if t.Marker == "" {
		t.Marker = a.Name
	}
	t.Path = strings.NewReplacer("{env}", env, "{app}", a.Name).Replace(t.Path)
	t.Branch = strings.NewReplacer("{env}", env, "{app}", a.Name).Replace(t.Branch)
	t.Chart = strings.NewReplacer("{env}", env, "{app}", a.Name).Replace(t.Chart)
	return t
}
