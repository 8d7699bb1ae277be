package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParsePipelineExample(t *testing.T) {
	b, err := os.ReadFile("../../deploy/examples/env-repo/ferry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePipeline(b, "main")
	if err != nil {
		t.Fatalf("ParsePipeline(example): %v", err)
	}
	wantEnvs := []Environment{
		{Name: "dev", Promotion: ModeCommit, Branch: "main"},
		{Name: "stage", From: "dev", Promotion: ModePullRequest, Branch: "main", Gates: Gates{Approvals: 1}},
		{Name: "prod", From: "stage", Promotion: ModePullRequest, Branch: "main", Gates: Gates{Soak: Duration(10 * time.Minute), Approvals: 2}},
	}
	freeze := p.Environments[2].Gates.Freeze
	if len(freeze) != 1 || freeze[0].String() != "Fri 16:00–Mon 08:00 Europe/Berlin" {
		t.Errorf("prod freeze = %v", freeze)
	}
	p.Environments[2].Gates.Freeze = nil
	if !reflect.DeepEqual(p.Environments, wantEnvs) {
		t.Errorf("environments =\n%+v\nwant\n%+v", p.Environments, wantEnvs)
	}
	var names []string
	for _, a := range p.Applications {
		names = append(names, a.Name+"="+a.Image)
	}
	if want := []string{"payments=registry.example.com/acme/payments", "checkout=registry.example.com/acme/checkout",
		"notifier=registry.example.com/acme/notifier"}; !reflect.DeepEqual(names, want) {
		t.Errorf("applications = %q, want %q", names, want)
	}

	checkout, ok := p.Application("checkout")
	if !ok {
		t.Fatal("no checkout")
	}
	got := checkout.TargetFor("stage", "main")
	want := Target{Path: "charts/checkout/values-stage.yaml", Branch: "main", Kind: "helm", Marker: "checkout",
		Helm: &HelmPaths{Repository: "image.repository", Tag: "image.tag", Digest: "image.digest"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checkout in stage = %+v, want %+v", got, want)
	}
	if tgt := mustApp(t, p, "payments").TargetFor("prod", "main"); tgt.Path != "envs/prod/payments/kustomization.yaml" || tgt.Kind != "kustomize" {
		t.Errorf("payments in prod = %+v", tgt)
	}
	if _, ok := p.Application("billing"); ok {
		t.Error("Application(billing) found")
	}
	if e, ok := p.Environment("prod"); !ok || e.Gates.Approvals != 2 {
		t.Errorf("Environment(prod) = %+v %v", e, ok)
	}
	if _, ok := p.Environment("qa"); ok {
		t.Error("Environment(qa) found")
	}
}

func mustApp(t *testing.T, p *Pipeline, name string) *Application {
	t.Helper()
	a, ok := p.Application(name)
	if !ok {
		t.Fatalf("no application %s", name)
	}
	return a
}

const fanOut = `
environments:
  - name: dev
  - name: hotfix
    branch: hotfix
  - name: stage
    from: dev
  - name: qa
    from: dev
    promotion: pull-request
  - name: prod
    from: stage
    branch: production
applications:
  - name: payments
    image: ghcr.io/acme/payment-service-api
    target:
      kind: kustomize
      path: "{env}/{app}/kustomization.yaml"
    environments:
      qa:
        path: qa/{app}-{env}.yaml
      prod:
        branch: release-{env}
        kind: marker
        marker: pay
      hotfix:
        kind: helm
        helm: {repository: app.image.repo, tag: app.image.tag, digest: app.image.digest}
`

func TestPipelineGraphAndTargets(t *testing.T) {
	p, err := ParsePipeline([]byte(fanOut), "trunk")
	if err != nil {
		t.Fatalf("ParsePipeline: %v", err)
	}
	envNames := func(es []Environment) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Name)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		got  []string
		want []string
	}{
		{"Firsts", envNames(p.Firsts()), []string{"dev", "hotfix"}},
		{"Next(dev)", envNames(p.Next("dev")), []string{"stage", "qa"}},
		{"Next(stage)", envNames(p.Next("stage")), []string{"prod"}},
		{"Next(prod)", envNames(p.Next("prod")), nil},
		{"Next(unknown)", envNames(p.Next("nope")), nil},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if e, _ := p.Environment("stage"); e.Promotion != ModeCommit || e.Branch != "trunk" {
		t.Errorf("stage defaults: promotion %q branch %q, want commit on the repository branch", e.Promotion, e.Branch)
	}

	a := mustApp(t, p, "payments")
	for _, tc := range []struct {
		env  string
		want Target
	}{
		{"dev", Target{Path: "dev/payments/kustomization.yaml", Branch: "trunk", Kind: "kustomize", Marker: "payments"}},
		{"stage", Target{Path: "stage/payments/kustomization.yaml", Branch: "trunk", Kind: "kustomize", Marker: "payments"}},
		// Path overridden, placeholders expanded in the override.
		{"qa", Target{Path: "qa/payments-qa.yaml", Branch: "trunk", Kind: "kustomize", Marker: "payments"}},
		// Branch override (with a placeholder) beats the environment's branch.
		{"prod", Target{Path: "prod/payments/kustomization.yaml", Branch: "release-prod", Kind: "marker", Marker: "pay"}},
		// Environment branch used when the target names none.
		{"hotfix", Target{Path: "hotfix/payments/kustomization.yaml", Branch: "hotfix", Kind: "helm", Marker: "payments",
			Helm: &HelmPaths{Repository: "app.image.repo", Tag: "app.image.tag", Digest: "app.image.digest"}}},
	} {
		e, ok := p.Environment(tc.env)
		if !ok {
			t.Fatalf("no environment %s", tc.env)
		}
		if got := a.TargetFor(e.Name, e.Branch); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("TargetFor(%s) = %+v (helm %+v), want %+v", tc.env, got, got.Helm, tc.want)
		}
	}
	// TargetFor does not change the application.
	if a.Target.Path != "{env}/{app}/kustomization.yaml" || a.Target.Branch != "" {
		t.Errorf("application target changed: %+v", a.Target)
	}
}

func TestParsePipelineEmptyIsInvalid(t *testing.T) {
	_, err := ParsePipeline(nil, "main")
	if err == nil || !strings.Contains(err.Error(), "environments: at least one environment is required") {
		t.Errorf("empty pipeline: %v", err)
	}
}

func TestParsePipelineInvalid(t *testing.T) {
	const envs = "environments:\n  - name: dev\n  - name: prod\n    from: dev\n"
	app := func(fields string) string {
		return envs + "applications:\n  - name: payments\n    image: ghcr.io/acme/payments\n" + fields
	}
	const kustomize = "    target: {kind: kustomize, path: \"envs/{env}/k.yaml\"}\n"
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown from", "environments:\n  - name: dev\n  - name: prod\n    from: stagee\n",
			[]string{`environments[1].from: unknown environment "stagee"`}},
		{"cycle", "environments:\n  - name: dev\n  - name: a\n    from: b\n  - name: b\n    from: a\n",
			[]string{"environments: from forms a cycle through"}},
		{"self cycle", "environments:\n  - name: dev\n  - name: a\n    from: a\n", []string{`environments: from forms a cycle through "a"`}},
		{"no first environment", "environments:\n  - name: a\n    from: b\n  - name: b\n    from: a\n",
			[]string{"environments: one environment must have no from (the first)", "cycle"}},
		{"duplicate environment", "environments:\n  - name: dev\n  - name: dev\n", []string{`environments[1].name: "dev" is used twice`}},
		{"bad environment name", "environments:\n  - name: Dev\n", []string{`environments[0].name: "Dev" must be lowercase`}},
		{"bad promotion mode", "environments:\n  - name: dev\n    promotion: merge\n", []string{`environments[0].promotion: "merge" is not commit or pull-request`}},
		{"negative approvals", "environments:\n  - name: dev\n    gates: {approvals: -1}\n", []string{"environments[0].gates.approvals: must not be negative"}},
		{"empty approver", "environments:\n  - name: dev\n    gates: {approvals: 1, approvers: [alice, \"team:\"]}\n",
			[]string{`environments[0].gates.approvers[1]: "team:" must name a user, or a team as team:<name>`}},
		{"unknown approver prefix", "environments:\n  - name: dev\n    gates: {approvals: 1, approvers: [\"org:acme\"]}\n",
			[]string{`environments[0].gates.approvers[0]: "org:acme": only team: and group: prefixes are known`}},
		{"approver twice", "environments:\n  - name: dev\n    gates: {approvals: 1, approvers: [alice, alice]}\n",
			[]string{`environments[0].gates.approvers[1]: "alice" is listed twice`}},
		{"bad soak", "environments:\n  - name: dev\n    gates: {soak: a-while}\n", []string{`line 3: "a-while" is not a duration`}},
		{"duplicate application", app(kustomize) + "  - name: payments\n    image: ghcr.io/acme/other\n" + kustomize,
			[]string{`applications[1].name: "payments" is used twice`}},
		{"bad application name", envs + "applications:\n  - name: pay/ments\n    image: ghcr.io/acme/p\n" + kustomize,
			[]string{`applications[0].name: "pay/ments" must be lowercase`}},
		{"bad kind", app("    target: {kind: kustomization, path: k.yaml}\n"),
			[]string{`applications[0].target.kind: "kustomization" is not one of kustomize, helm, manifest, marker`}},
		{"missing kind", app("    target: {path: k.yaml}\n"), []string{`applications[0].target.kind: "" is not one of`}},
		{"bad kind override", app(kustomize + "    environments:\n      prod: {kind: chart}\n"),
			[]string{`applications[0].environments.prod.kind: "chart" is not one of`}},
		{"missing path", app("    target: {kind: helm}\n"), []string{"applications[0].target.path: required (for environment dev)"}},
		{"path with ..", app("    target: {kind: helm, path: envs/../../etc/values.yaml}\n"),
			[]string{`applications[0].target.path: "envs/../../etc/values.yaml" must stay inside the repository`}},
		{"path ending in ..", app("    target: {kind: helm, path: envs/..}\n"), []string{"must stay inside the repository"}},
		{"path with .. from a placeholder", app("    target: {kind: helm, path: \"{env}/v.yaml\"}\n    environments:\n      prod: {path: ../v.yaml}\n"),
			[]string{`applications[0].environments.prod.path: "../v.yaml" must stay inside the repository`}},
		{"bad verify", app("    target: {kind: helm, path: v.yaml, verify: always}\n"),
			[]string{`applications[0].target.verify: "always" is not render or edit`}},
		{"chart outside the repository", app("    target: {kind: helm, path: v.yaml, chart: ../charts/x}\n"),
			[]string{`applications[0].target.chart: "../charts/x" must stay inside the repository`}},
		{"absolute path", app("    target: {kind: helm, path: /etc/values.yaml}\n"), []string{`"/etc/values.yaml" must stay inside the repository`}},
		{"override of unknown environment", app(kustomize + "    environments:\n      staging: {path: s.yaml}\n"),
			[]string{"applications[0].environments.staging: unknown environment"}},
		{"image with tag", envs + "applications:\n  - name: p\n    image: ghcr.io/acme/p:1.0\n" + kustomize,
			[]string{`applications[0].image: "ghcr.io/acme/p:1.0" is not an image repository`}},
		{"image with digest", envs + "applications:\n  - name: p\n    image: ghcr.io/acme/p@sha256:" + strings.Repeat("a", 64) + "\n" + kustomize,
			[]string{`applications[0].image: "ghcr.io/acme/p@sha256:`}},
		{"image uppercase", envs + "applications:\n  - name: p\n    image: ghcr.io/Acme/p\n" + kustomize, []string{`applications[0].image: "ghcr.io/Acme/p"`}},
		{"image with scheme", envs + "applications:\n  - name: p\n    image: https://ghcr.io/acme/p\n" + kustomize, []string{`applications[0].image: "https://ghcr.io/acme/p"`}},
		{"image with a trailing dash", envs + "applications:\n  - name: p\n    image: ghcr.io/acme/p-\n" + kustomize, []string{`applications[0].image: "ghcr.io/acme/p-"`}},
		{"image missing", envs + "applications:\n  - name: p\n" + kustomize, []string{`applications[0].image: "" is not an image repository`}},
		// Branches Git refuses, or reads as another ref: promotions into them
		// could never succeed, so the pipeline does not load.
		{"branch climbing out", "environments:\n  - name: dev\n    branch: ../../evil\n", []string{`environments[0].branch: "../../evil" is not a valid branch name: breaks Git's ref-format rules`}},
		{"branch HEAD", "environments:\n  - name: dev\n    branch: HEAD\n", []string{`environments[0].branch: "HEAD" is not a valid branch name: HEAD names the checked-out commit`}},
		{"branch as a full ref", "environments:\n  - name: dev\n    branch: refs/tags/v1\n", []string{`environments[0].branch: "refs/tags/v1" is not a valid branch name: give the branch's short name`}},
		{"target branch", app("    target: {kind: helm, path: v.yaml, branch: \"deploy/{env}.lock\"}\n"),
			[]string{`applications[0].target.branch: "deploy/dev.lock" is not a valid branch name`, `applications[0].target.branch: "deploy/prod.lock"`}},
		{"target branch override", app(kustomize + "    environments:\n      prod: {branch: \"a..b\"}\n"),
			[]string{`applications[0].environments.prod.branch: "a..b" is not a valid branch name`}},
		{"unknown field", envs + "applications:\n  - name: p\n    imgae: ghcr.io/acme/p\n", []string{"line 7: field imgae not found"}},
		{"unknown environment field", "environments:\n  - name: dev\n    form: x\n", []string{"line 3: field form not found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePipeline([]byte(tc.yaml), "main")
			if err == nil {
				t.Fatalf("ParsePipeline succeeded, want an error containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestParsePipelineImages: image repositories as registries name them.
func TestParsePipelineImages(t *testing.T) {
	for _, image := range []string{
		"ghcr.io/acme/payments",
		"ghcr.io/acme/payment-service-api",
		"registry.example.com:5000/team/sub/app",
		"127.0.0.1:5000/acme/app_v2",
		"docker.io/library/redis",
		"my-registry.example.com/a__b/c.d",
		"registry.gitlab.com/acme/group/app--x",
	} {
		y := "environments:\n  - name: dev\napplications:\n  - name: app\n    image: " + image + "\n    target: {kind: kustomize, path: k.yaml}\n"
		if _, err := ParsePipeline([]byte(y), "main"); err != nil {
			t.Errorf("image %s: %v", image, err)
		}
	}
}
