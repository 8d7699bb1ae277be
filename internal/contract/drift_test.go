package contract

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
)

// apiSchemas maps each wire type of package api to its component schema.
var apiSchemas = map[string]struct {
	typ    reflect.Type
	schema string
}{
	"BuildRequest":        {reflect.TypeFor[api.BuildRequest](), "BuildRequest"},
	"BuildResponse":       {reflect.TypeFor[api.BuildResponse](), "BuildResponse"},
	"Release":             {reflect.TypeFor[api.Release](), "Release"},
	"Promotion":           {reflect.TypeFor[api.Promotion](), "Promotion"},
	"ReleaseList":         {reflect.TypeFor[api.ReleaseList](), "ReleaseList"},
	"PromotionList":       {reflect.TypeFor[api.PromotionList](), "PromotionList"},
	"ApplicationList":     {reflect.TypeFor[api.ApplicationList](), "ApplicationList"},
	"ApplicationSummary":  {reflect.TypeFor[api.ApplicationSummary](), "ApplicationSummary"},
	"Application":         {reflect.TypeFor[api.Application](), "Application"},
	"EnvironmentStatus":   {reflect.TypeFor[api.EnvironmentStatus](), "EnvironmentStatus"},
	"Image":               {reflect.TypeFor[api.Image](), "Image"},
	"Problem":             {reflect.TypeFor[api.Problem](), "Problem"},
	"Event":               {reflect.TypeFor[api.Event](), "Event"},
	"PromotionRequest":    {reflect.TypeFor[api.PromotionRequest](), "PromotionRequest"},
	"CancelRequest":       {reflect.TypeFor[api.CancelRequest](), "CancelRequest"},
	"WebhookResponse":     {reflect.TypeFor[api.WebhookResponse](), "WebhookResponse"},
	"Verification":        {reflect.TypeFor[api.Verification](), "Verification"},
	"Signer":              {reflect.TypeFor[api.Signer](), "Signer"},
	"Provenance":          {reflect.TypeFor[api.Provenance](), "Provenance"},
	"Delivery":            {reflect.TypeFor[api.Delivery](), "Delivery"},
	"DeliveryList":        {reflect.TypeFor[api.DeliveryList](), "DeliveryList"},
	"DoraReport":          {reflect.TypeFor[api.DoraReport](), "DoraReport"},
	"DoraEnvironment":     {reflect.TypeFor[api.DoraEnvironment](), "DoraEnvironment"},
	"DoraBucket":          {reflect.TypeFor[api.DoraBucket](), "DoraBucket"},
	"DoraTotals":          {reflect.TypeFor[api.DoraTotals](), "DoraTotals"},
	"Preview":             {reflect.TypeFor[api.Preview](), "Preview"},
	"FileDiff":            {reflect.TypeFor[api.FileDiff](), "FileDiff"},
	"GateOutcome":         {reflect.TypeFor[api.GateOutcome](), "GateOutcome"},
	"BuildPreview":        {reflect.TypeFor[api.BuildPreview](), "BuildPreview"},
	"SetReleasePreview":   {reflect.TypeFor[api.SetReleasePreview](), "SetReleasePreview"},
	"SetPreview":          {reflect.TypeFor[api.SetPreview](), "SetPreview"},
	"Pin":                 {reflect.TypeFor[api.Pin](), "Pin"},
	"PinList":             {reflect.TypeFor[api.PinList](), "PinList"},
	"UnpinRequest":        {reflect.TypeFor[api.UnpinRequest](), "UnpinRequest"},
	"ProblemItem":         {reflect.TypeFor[api.ProblemItem](), "ProblemItem"},
	"SetReleaseRequest":   {reflect.TypeFor[api.SetReleaseRequest](), "SetReleaseRequest"},
	"SetRelease":          {reflect.TypeFor[api.SetRelease](), "SetRelease"},
	"SetMember":           {reflect.TypeFor[api.SetMember](), "SetMember"},
	"SetReleaseList":      {reflect.TypeFor[api.SetReleaseList](), "SetReleaseList"},
	"SetPromotionRequest": {reflect.TypeFor[api.SetPromotionRequest](), "SetPromotionRequest"},
	"Approval":            {reflect.TypeFor[api.Approval](), "Approval"},
}

// TestEveryAPITypeHasASchema parses package api, so a wire type added there
// without a schema (or a mapping here) fails.
func TestEveryAPITypeHasASchema(t *testing.T) {
	entries, err := os.ReadDir("../../api")
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("../../api", e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.IsExported() {
				if _, ok := ts.Type.(*ast.StructType); ok {
					types = append(types, ts.Name.Name)
				}
			}
			return true
		})
	}
	if len(types) == 0 {
		t.Fatal("found no struct types in api/")
	}
	for _, name := range types {
		if _, ok := apiSchemas[name]; !ok {
			t.Errorf("api.%s has no component schema in apiSchemas", name)
		}
	}
	if len(types) != len(apiSchemas) {
		t.Errorf("api/ has %d struct types %v, apiSchemas maps %d", len(types), types, len(apiSchemas))
	}
}

// TestAPITypesMatchSchemas checks each schema's properties are the type's
// JSON fields, and its required properties are those without omitempty.
func TestAPITypesMatchSchemas(t *testing.T) {
	doc := New(t).Doc()
	for name, m := range apiSchemas {
		t.Run(name, func(t *testing.T) {
			s := doc.Components.Schemas[m.schema]
			if s == nil {
				t.Fatalf("no schema %s", m.schema)
			}
			var fields, required []string
			for f := range m.typ.Fields() {
				tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
				if !f.IsExported() || tag == "-" {
					continue
				}
				if tag == "" {
					tag = f.Name
				}
				fields = append(fields, tag)
				if !slices.Contains(strings.Split(opts, ","), "omitempty") {
					required = append(required, tag)
				}
			}
			var props []string
			for p := range s.Value.Properties {
				props = append(props, p)
			}
			slices.Sort(fields)
			slices.Sort(props)
			slices.Sort(required)
			req := slices.Sorted(slices.Values(s.Value.Required))
			if !slices.Equal(fields, props) {
				t.Errorf("properties %v, want the JSON fields %v", props, fields)
			}
			if !slices.Equal(required, req) {
				t.Errorf("required %v, want the fields without omitempty %v", req, required)
			}
		})
	}
}

const (
	sha256Digest = "sha256:0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
	sha512Digest = "sha512:" + "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8" + "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
	commit       = "3b18e512dba79e4c8300dd08aeb37f8e728b8dad"
)

func minimalRelease() api.Release {
	return api.Release{
		ID: "r1", Application: "a", Image: "app", Tag: "v", Digest: sha256Digest,
		Reference: "app:v@" + sha256Digest, ReportedBy: "ci",
	}
}

func fullRelease() api.Release {
	return api.Release{
		ID: "01J9Z3X8K6V7Q2M4N5P6R7S8T9", Application: "payments", Image: "localhost:5000/acme/payments",
		Tag: "1.4.2-rc.1_b7", Digest: sha512Digest, Reference: "localhost:5000/acme/payments:1.4.2-rc.1_b7@" + sha512Digest,
		SourceRepo: "https://github.com/acme/payments", SourceCommit: commit, SourceBranch: "feature/x",
		CIRunURL: "https://ci.example.com/runs/1?attempt=2", ReportedBy: "ci-payments",
		CreatedAt: time.Date(2025, 3, 1, 10, 15, 30, 123456789, time.FixedZone("CET", 3600)),
	}
}

func fullVerification() api.Verification {
	id := api.Signer{Identity: "https://github.com/acme/payments/.github/workflows/release.yml@refs/heads/main", Issuer: "https://token.actions.githubusercontent.com"}
	return api.Verification{
		VerifiedAt: time.Date(2025, 3, 1, 10, 15, 31, 0, time.UTC),
		Signatures: []api.Signer{id, {Key: "sha256:3f1c0e6f0a4b2c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"}},
		Provenance: []api.Provenance{{Signer: id, PredicateType: "https://slsa.dev/provenance/v1",
			Builder: "https://github.com/actions/runner/github-hosted", SourceRepo: "https://github.com/acme/payments", SourceCommit: commit}},
		Rejected: []string{"tag sha256-0e57.sig layer 0: signed with a key that is not allowed, or not over this digest"},
	}
}

func minimalPromotion() api.Promotion {
	return api.Promotion{ID: "p1", ReleaseID: "r1", Application: "a", Environment: "dev", State: "pending"}
}

func fullPromotion() api.Promotion {
	next := time.Date(2025, 3, 1, 10, 16, 0, 0, time.UTC)
	r := fullRelease()
	return api.Promotion{
		ID: "p2", ReleaseID: r.ID, Application: "payments", Environment: "prod", State: "failed",
		Reason: "pushing: connection refused", CommitSHA: commit + "0123456789abcdef01234567", Noop: true, Attempts: 3,
		NextAttemptAt: &next, CreatedAt: r.CreatedAt, UpdatedAt: next, Release: &r,
		RequestedBy: "rm-alice", Forced: true, PRNumber: 87, PRURL: "https://github.com/acme/envs/pull/87",
		PRBranch: "ferry/payments/prod", MergeSHA: commit, MergedBy: "ferry", Approvers: []string{"alice", "bob"},
		Approvals: []api.Approval{{User: "alice", Counted: true}, {User: "bob", Counted: true}, {User: "carol", Reason: "not in approvers"}},
		Events:    []api.Event{minimalEvent(), fullEvent()},
	}
}

func minimalEvent() api.Event {
	return api.Event{State: "pending"}
}

func fullEvent() api.Event {
	return api.Event{At: time.Date(2025, 3, 1, 10, 20, 4, 0, time.UTC), State: "merged", Actor: "ferry", Reason: "pull request #87 merged by Ferry"}
}

// TestAPIValuesValidate marshals minimal and fully populated values of
// every wire type and validates them against their schema.
func TestAPIValuesValidate(t *testing.T) {
	v := New(t)
	tests := []struct {
		name   string
		schema string
		value  any
	}{
		{"minimal", "BuildRequest", api.BuildRequest{Application: "a", Image: "app", Tag: "v"}},
		{"full", "BuildRequest", api.BuildRequest{
			Application: "payments-eu-1", Image: "registry.example.com/acme/payments", Tag: "1.4.2", Digest: sha256Digest,
			SourceRepo: "ssh://git@github.com/acme/payments.git", SourceCommit: commit, SourceBranch: "main",
			CIRunURL: "https://github.com/acme/payments/actions/runs/1",
		}},
		{"minimal", "BuildResponse", api.BuildResponse{Release: minimalRelease(), Promotion: minimalPromotion()}},
		{"full", "BuildResponse", api.BuildResponse{Release: fullRelease(), Promotion: fullPromotion(), Duplicate: true}},
		{"minimal", "Release", minimalRelease()},
		{"full", "Release", fullRelease()},
		{"minimal", "Promotion", minimalPromotion()},
		{"full", "Promotion", fullPromotion()},
		{"empty", "ReleaseList", api.ReleaseList{Items: []api.Release{}}},
		{"full", "ReleaseList", api.ReleaseList{Items: []api.Release{minimalRelease(), fullRelease()}, NextCursor: "c"}},
		{"empty", "PromotionList", api.PromotionList{Items: []api.Promotion{}}},
		{"full", "PromotionList", api.PromotionList{Items: []api.Promotion{minimalPromotion(), fullPromotion()}, NextCursor: "c"}},
		{"empty", "ApplicationList", api.ApplicationList{Items: []api.ApplicationSummary{}}},
		{"full", "ApplicationList", api.ApplicationList{Items: []api.ApplicationSummary{{
			Name: "payments", Image: "ghcr.io/acme/payments", Repository: "https://github.com/acme/env.git", Environments: []string{"dev", "prod"},
		}}}},
		{"minimal", "ApplicationSummary", api.ApplicationSummary{Name: "a", Image: "app", Repository: "r", Environments: []string{}}},
		{"minimal", "Application", api.Application{Name: "a", Image: "app", Repository: "r", Environments: []api.EnvironmentStatus{}}},
		{"full", "Application", api.Application{Name: "a", Image: "app", Repository: "r", Environments: []api.EnvironmentStatus{
			minimalEnvironment(), fullEnvironment(),
		}}},
		{"minimal", "EnvironmentStatus", minimalEnvironment()},
		{"full", "EnvironmentStatus", fullEnvironment()},
		{"minimal", "Image", api.Image{Image: "x"}},
		{"full", "Image", api.Image{Image: "x", Tag: "whatever the file holds", Digest: "sha256:short"}},
		{"minimal", "Event", minimalEvent()},
		{"full", "Event", fullEvent()},
		{"minimal", "PromotionRequest", api.PromotionRequest{Application: "a", Environment: "prod", Release: "1"}},
		{"full", "PromotionRequest", api.PromotionRequest{
			Application: "payments", Environment: "prod-eu-1", Release: sha512Digest, Force: true, Reason: "roll back:\n1.4.3 breaks checkout",
			Rollback: true,
		}},
		{"minimal", "Pin", api.Pin{ID: "pin_1", Application: "a", Environment: "prod", ReleaseID: "rel_1", PinnedBy: "alice",
			CreatedAt: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), Held: "pinned by alice at 2025-03-01T12:00:00Z"}},
		{"full", "Pin", fullPin()},
		{"empty", "PinList", api.PinList{Items: []api.Pin{}}},
		{"full", "PinList", api.PinList{Items: []api.Pin{fullPin()}}},
		{"minimal", "UnpinRequest", api.UnpinRequest{}},
		{"full", "UnpinRequest", api.UnpinRequest{Reason: "fixed:\n1.4.4"}},
		{"minimal", "Verification", api.Verification{Signatures: []api.Signer{}, Provenance: []api.Provenance{}, Rejected: []string{}}},
		{"full", "Verification", fullVerification()},
		{"minimal", "Signer", api.Signer{Key: "sha256:ab"}},
		{"full", "Signer", api.Signer{Identity: "https://github.com/acme/payments/.github/workflows/release.yml@refs/heads/main", Issuer: "https://token.actions.githubusercontent.com"}},
		{"minimal", "Provenance", api.Provenance{Signer: api.Signer{Key: "sha256:ab"}, PredicateType: "https://slsa.dev/provenance/v0.2", Builder: "b"}},
		{"full", "Provenance", fullVerification().Provenance[0]},
		{"verified", "Release", func() api.Release { r := fullRelease(); v := fullVerification(); r.Verification = &v; return r }()},
		{"empty", "CancelRequest", api.CancelRequest{}},
		{"full", "CancelRequest", api.CancelRequest{Reason: "superseded by the hotfix"}},
		{"minimal", "WebhookResponse", api.WebhookResponse{Kind: "checks"}},
		{"full", "WebhookResponse", api.WebhookResponse{Delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Kind: "merged", Duplicate: true}},
		{"minimal", "Delivery", api.Delivery{ID: "dlv_1", EventID: "evt_1", Event: "pr.opened", PromotionID: "prm_1", Application: "a",
			Environment: "prod", Destination: "ops", State: "pending", NextAttemptAt: time.Unix(0, 0).UTC(), CreatedAt: time.Unix(0, 0).UTC(), UpdatedAt: time.Unix(0, 0).UTC()}},
		{"full", "DeliveryList", api.DeliveryList{Items: []api.Delivery{{ID: "dlv_1", EventID: "evt_1", Event: "promotion.failed", PromotionID: "prm_1",
			Application: "a", Environment: "prod", Destination: "ops", State: "dead", Attempts: 10, LastError: "the destination answered 500",
			NextAttemptAt: time.Unix(0, 0).UTC(), CreatedAt: time.Unix(0, 0).UTC(), UpdatedAt: time.Unix(0, 0).UTC()}}}},
		{"empty", "DeliveryList", api.DeliveryList{Items: []api.Delivery{}}},
		{"empty", "DoraReport", api.DoraReport{Application: "a", From: time.Unix(0, 0).UTC(), To: time.Unix(3600, 0).UTC(), BucketSeconds: 3600,
			Environments: []api.DoraEnvironment{}}},
		{"full", "DoraReport", api.DoraReport{Application: "payments", From: time.Unix(0, 0).UTC(), To: time.Unix(7200, 0).UTC(), BucketSeconds: 3600,
			Overall: api.DoraTotals{Deployments: 2, DeploymentsPerDay: 24, LeadTimeSeconds: 90, LeadTimeMeasuredFrom: "mixed",
				LeadTimesFromSourceCommit: 1, LeadTimesFromReport: 1, FailedChanges: 1, ChangeFailureRate: 0.5, TimeToRestoreSeconds: 60},
			Environments: []api.DoraEnvironment{{Environment: "prod", Totals: api.DoraTotals{Deployments: 2, LeadTimeMeasuredFrom: "report", LeadTimesFromReport: 2},
				Buckets: []api.DoraBucket{{Start: time.Unix(0, 0).UTC(), Totals: api.DoraTotals{}}}}}}},
		{"zero", "DoraTotals", api.DoraTotals{}},
		{"minimal", "DoraBucket", api.DoraBucket{Start: time.Unix(0, 0).UTC()}},
		{"minimal", "DoraEnvironment", api.DoraEnvironment{Environment: "dev", Buckets: []api.DoraBucket{}}},
		{"fix-forward", "BuildRequest", func() api.BuildRequest {
			at := time.Unix(1772442764, 0).UTC()
			return api.BuildRequest{Application: "a", Image: "r/a", Tag: "1", SourceCommittedAt: &at, Fixes: "rel_1"}
		}()},
		{"minimal", "FileDiff", api.FileDiff{Path: "a.yaml", Diff: "--- a/a.yaml\n+++ b/a.yaml\n"}},
		{"minimal", "GateOutcome", api.GateOutcome{Gate: "soak", Open: true}},
		{"minimal", "Preview", api.Preview{DryRun: true, Release: api.Release{ID: "rel_1", Application: "a", Image: "r/a", Tag: "1", Digest: "sha256:" + strings.Repeat("0", 64), Reference: "r/a:1@sha256:" + strings.Repeat("0", 64), ReportedBy: "ci"}, Application: "a", Environment: "dev", Repository: "env", Branch: "main", Files: []api.FileDiff{}, Gates: []api.GateOutcome{}}},
		{"minimal", "BuildPreview", api.BuildPreview{DryRun: true, Previews: []api.Preview{}}},
		{"minimal", "SetReleasePreview", api.SetReleasePreview{DryRun: true, Set: "shop", Previews: []api.SetPreview{{Members: []api.Preview{}}}}},
		{"full", "SetPreview", api.SetPreview{Environment: "dev", Repository: "env", Branch: "main", Head: "abc", Members: []api.Preview{{DryRun: true,
			Release:     api.Release{ID: "rel_1", Application: "a", Image: "r/a", Tag: "1", Digest: "sha256:" + strings.Repeat("0", 64), Reference: "r/a:1@sha256:" + strings.Repeat("0", 64), ReportedBy: "ci"},
			Application: "a", Environment: "dev", Repository: "env", Branch: "main", Files: []api.FileDiff{{Path: "a.yaml", Diff: "--- a/a.yaml\n"}}, Gates: []api.GateOutcome{}}},
			Message: "promote a", Held: true, Reason: "release set shop waits for a: frozen", Until: func() *time.Time { t := time.Unix(0, 0).UTC(); return &t }()}},
		{"minimal", "SetReleaseRequest", api.SetReleaseRequest{Set: "shop", Builds: []api.BuildRequest{{Application: "a", Image: "app", Tag: "v"}}}},
		{"minimal", "SetPromotionRequest", api.SetPromotionRequest{Environment: "prod"}},
		{"full", "SetPromotionRequest", api.SetPromotionRequest{Environment: "prod", Force: true, Reason: "back to last week's set"}},
		{"minimal", "SetMember", api.SetMember{Application: "a", ReleaseID: "rel_1"}},
		{"minimal", "SetRelease", api.SetRelease{ID: "set_1", Set: "shop", Members: []api.SetMember{}, ReportedBy: "ci", Formed: "reported"}},
		{"full", "SetRelease", api.SetRelease{ID: "set_1", Set: "shop", ReportedBy: "ferry", Formed: "members", CreatedAt: time.Unix(0, 0).UTC(),
			Members:    []api.SetMember{{Application: "payments", ReleaseID: "rel_1", Release: func() *api.Release { r := fullRelease(); return &r }()}},
			Promotions: []api.Promotion{minimalPromotion(), func() api.Promotion { p := fullPromotion(); p.SetRelease = "set_1"; return p }()}}},
		{"empty", "SetReleaseList", api.SetReleaseList{Items: []api.SetRelease{}}},
		{"full", "SetReleaseList", api.SetReleaseList{Items: []api.SetRelease{{ID: "set_1", Set: "shop", Members: []api.SetMember{}, ReportedBy: "ci", Formed: "reported"}}, NextCursor: "c"}},
		{"counted", "Approval", api.Approval{User: "alice", Counted: true}},
		{"not counted", "Approval", api.Approval{User: "carol", Reason: "not in approvers"}},
		{"minimal", "ProblemItem", api.ProblemItem{Name: "payments", Code: "tag_not_found", Detail: "no such tag"}},
		{"set refused", "Problem", api.Problem{Type: "https://ferry.dev/problems/release_set_refused", Title: "Unprocessable Entity", Status: 422,
			Code: "release_set_refused", Errors: []api.ProblemItem{{Name: "payments", Code: "tag_not_found", Detail: "no such tag"}}}},
		{"minimal", "Problem", api.Problem{Type: "about:blank", Title: "Internal Server Error", Status: 500, Code: "internal"}},
		{"full", "Problem", api.Problem{
			Type: "https://ferry.dev/problems/digest_mismatch", Title: "Unprocessable Entity", Status: 422,
			Detail: "registry serves another digest", Instance: "/api/v1/builds", Code: "digest_mismatch",
		}},
	}
	covered := make(map[string]bool)
	for _, tt := range tests {
		covered[tt.schema] = true
		t.Run(tt.schema+"/"+tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.CheckSchema(tt.schema, b); err != nil {
				t.Errorf("%s: %v", b, err)
			}
		})
	}
	for name := range apiSchemas {
		if !covered[apiSchemas[name].schema] {
			t.Errorf("no value of api.%s validated", name)
		}
	}
}

func minimalEnvironment() api.EnvironmentStatus {
	return api.EnvironmentStatus{Name: "dev", Promotion: "commit", Branch: "main", Path: "dev.yaml", Kind: "kustomize", InFlight: []api.Promotion{}}
}

func fullEnvironment() api.EnvironmentStatus {
	return api.EnvironmentStatus{
		Name: "prod", From: "stage", Promotion: "pull-request", Branch: "main", Path: "apps/a/prod/values.yaml", Kind: "helm",
		HeadCommit: commit, Current: &api.Image{Image: "app", Tag: "v", Digest: sha256Digest}, ReleaseID: "r1",
		Error: "", InFlight: []api.Promotion{minimalPromotion()}, Pin: func() *api.Pin { p := fullPin(); return &p }(),
	}
}

// TestSchemasRefuse checks the constraints the server enforces are in the
// document: each value must fail its schema.
func TestSchemasRefuse(t *testing.T) {
	v := New(t)
	build := func(f func(*api.BuildRequest)) api.BuildRequest {
		b := api.BuildRequest{Application: "payments", Image: "registry.example.com/acme/payments", Tag: "1.4.2"}
		f(&b)
		return b
	}
	tests := []struct {
		name   string
		schema string
		value  any
	}{
		{"uppercase application", "BuildRequest", build(func(b *api.BuildRequest) { b.Application = "Payments" })},
		{"application starting with -", "BuildRequest", build(func(b *api.BuildRequest) { b.Application = "-a" })},
		{"application ending with -", "BuildRequest", build(func(b *api.BuildRequest) { b.Application = "a-" })},
		{"application of 64 characters", "BuildRequest", build(func(b *api.BuildRequest) { b.Application = strings.Repeat("a", 64) })},
		{"empty application", "BuildRequest", build(func(b *api.BuildRequest) { b.Application = "" })},
		{"uppercase image", "BuildRequest", build(func(b *api.BuildRequest) { b.Image = "Registry.example.com/acme/payments" })},
		{"image with tag", "BuildRequest", build(func(b *api.BuildRequest) { b.Image = "payments:1.4.2" })},
		{"image with digest", "BuildRequest", build(func(b *api.BuildRequest) { b.Image = "acme/payments@" + sha256Digest })},
		{"image of 256 characters", "BuildRequest", build(func(b *api.BuildRequest) { b.Image = strings.Repeat("a", 256) })},
		{"empty image", "BuildRequest", build(func(b *api.BuildRequest) { b.Image = "" })},
		{"tag starting with .", "BuildRequest", build(func(b *api.BuildRequest) { b.Tag = ".x" })},
		{"tag of 129 characters", "BuildRequest", build(func(b *api.BuildRequest) { b.Tag = strings.Repeat("a", 129) })},
		{"tag with /", "BuildRequest", build(func(b *api.BuildRequest) { b.Tag = "a/b" })},
		{"empty tag", "BuildRequest", build(func(b *api.BuildRequest) { b.Tag = "" })},
		{"uppercase digest", "BuildRequest", build(func(b *api.BuildRequest) { b.Digest = strings.ToUpper(sha256Digest) })},
		{"short digest", "BuildRequest", build(func(b *api.BuildRequest) { b.Digest = "sha256:abc" })},
		{"sha256 prefix with 128 hex", "BuildRequest", build(func(b *api.BuildRequest) { b.Digest = "sha256:" + sha512Digest[7:] })},
		{"md5 digest", "BuildRequest", build(func(b *api.BuildRequest) { b.Digest = "md5:d41d8cd98f00b204e9800998ecf8427e" })},
		{"relative ci_run_url", "BuildRequest", build(func(b *api.BuildRequest) { b.CIRunURL = "runs/1" })},
		{"scp-like source_repo", "BuildRequest", build(func(b *api.BuildRequest) { b.SourceRepo = "git@github.com:acme/payments.git" })},
		{"unknown field", "BuildRequest", map[string]string{"application": "a", "image": "app", "tag": "v", "tga": "v"}},
		{"missing tag", "BuildRequest", map[string]string{"application": "a", "image": "app"}},
		{"nil items", "ReleaseList", api.ReleaseList{}},
		{"nil items", "PromotionList", api.PromotionList{}},
		{"nil items", "ApplicationList", api.ApplicationList{}},
		{"nil environments", "Application", api.Application{Name: "a", Image: "app", Repository: "r"}},
		{"nil in_flight", "EnvironmentStatus", api.EnvironmentStatus{Name: "dev", Promotion: "commit", Branch: "main", Path: "p", Kind: "helm"}},
		{"unknown promotion mode", "EnvironmentStatus", func() api.EnvironmentStatus { e := minimalEnvironment(); e.Promotion = "push"; return e }()},
		{"unknown state", "Promotion", func() api.Promotion { p := minimalPromotion(); p.State = "done"; return p }()},
		{"negative attempts", "Promotion", func() api.Promotion { p := minimalPromotion(); p.Attempts = -1; return p }()},
		{"short commit", "Promotion", func() api.Promotion { p := minimalPromotion(); p.CommitSHA = "3b18e51"; return p }()},
		{"problem status 200", "Problem", api.Problem{Type: "about:blank", Title: "OK", Status: 200, Code: "x"}},
		{"problem without code", "Problem", api.Problem{Type: "about:blank", Title: "Not Found", Status: 404}},
		{"release without digest", "Release", func() api.Release { r := minimalRelease(); r.Digest = ""; return r }()},
		{"pr number 0", "Promotion", map[string]any{"id": "p", "release_id": "r", "application": "a", "environment": "dev", "state": "pr-open", "noop": false, "forced": false, "attempts": 0, "created_at": "2025-03-01T10:15:30Z", "updated_at": "2025-03-01T10:15:30Z", "pr_number": 0}},
		{"without forced", "Promotion", map[string]any{"id": "p", "release_id": "r", "application": "a", "environment": "dev", "state": "pending", "noop": false, "attempts": 0, "created_at": "2025-03-01T10:15:30Z", "updated_at": "2025-03-01T10:15:30Z"}},
		{"short merge sha", "Promotion", func() api.Promotion { p := minimalPromotion(); p.MergeSHA = "3b18e51"; return p }()},
		{"unknown event state", "Event", api.Event{State: "done"}},
		{"uppercase environment", "PromotionRequest", api.PromotionRequest{Application: "a", Environment: "Prod", Release: "1"}},
		{"empty release", "PromotionRequest", api.PromotionRequest{Application: "a", Environment: "prod"}},
		{"release with a newline", "PromotionRequest", api.PromotionRequest{Application: "a", Environment: "prod", Release: "1\n2"}},
		{"release of 141 characters", "PromotionRequest", api.PromotionRequest{Application: "a", Environment: "prod", Release: strings.Repeat("r", 141)}},
		{"reason of 1001 characters", "PromotionRequest", api.PromotionRequest{Application: "a", Environment: "prod", Release: "1", Reason: strings.Repeat("r", 1001)}},
		{"unknown field", "PromotionRequest", map[string]any{"application": "a", "environment": "prod", "release": "1", "forse": true}},
		{"unknown field", "CancelRequest", map[string]any{"why": "x"}},
		{"reason with a tab", "CancelRequest", api.CancelRequest{Reason: "a\tb"}},
		{"reason with a NUL", "PromotionRequest", api.PromotionRequest{Application: "a", Environment: "prod", Release: "1", Reason: "a\x00"}},
		{"unknown kind", "WebhookResponse", api.WebhookResponse{Kind: "ignored"}},
	}
	for _, tt := range tests {
		t.Run(tt.schema+"/"+tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.CheckSchema(tt.schema, b); err == nil {
				t.Errorf("%s passes schema %s, want it refused", b, tt.schema)
			}
		})
	}
}

func fullPin() api.Pin {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	end := at.Add(time.Hour)
	return api.Pin{ID: "pin_1", Application: "payments", Environment: "prod", ReleaseID: "rel_1", ReleaseTag: "1.4.2",
		PromotionID: "prm_1-rollback", PinnedBy: "ferry:rollback", Reason: "automatic rollback from 1.4.3", CreatedAt: at,
		Held:    "pinned by ferry:rollback at 2025-03-01T12:00:00Z: automatic rollback from 1.4.3",
		EndedAt: &end, EndedBy: "alice", EndReason: "1.4.4 fixes it"}
}
