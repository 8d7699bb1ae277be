package config

import (
	"strings"
	"testing"
)

const setsPipeline = `environments:
  - {name: dev}
  - {name: stage, from: dev, promotion: pull-request}
applications:
  - {name: checkout, image: r.example/checkout, target: {path: "{env}/checkout.yaml", kind: manifest}}
  - {name: payments, image: r.example/payments, target: {path: "{env}/kustomization.yaml", kind: kustomize}}
  - {name: notifier, image: r.example/notifier, target: {path: "{env}/values.yaml", kind: helm}}
  - {name: other, image: r.example/other, target: {path: "{env}/other.yaml", kind: manifest, branch: elsewhere}}
`

func TestPipelineSets(t *testing.T) {
	p, err := ParsePipeline([]byte(setsPipeline+"sets:\n  - {name: shop, applications: [checkout, payments, notifier]}\n"), "main")
	if err != nil {
		t.Fatal(err)
	}
	s, ok := p.Set("shop")
	if !ok || len(s.Applications) != 3 || s.Entry != "dev" {
		t.Fatalf("Set(shop) = %+v, %v; want three members entering at dev", s, ok)
	}
	if got, ok := p.SetOf("payments"); !ok || got.Name != "shop" {
		t.Errorf("SetOf(payments) = %+v, %v", got, ok)
	}
	if _, ok := p.SetOf("other"); ok {
		t.Error("SetOf(other) found a set")
	}
}

func TestPipelineSetsRefused(t *testing.T) {
	for name, tc := range map[string]struct{ sets, want string }{
		"unknown member":     {"[{name: shop, applications: [checkout, billing]}]", `sets[0].applications[1]: unknown application "billing"`},
		"in two sets":        {"[{name: shop, applications: [checkout]}, {name: web, applications: [checkout]}]", `already in set "shop"`},
		"listed twice":       {"[{name: shop, applications: [checkout, checkout]}]", `listed twice`},
		"no members":         {"[{name: shop}]", "sets[0].applications: a set needs at least one application"},
		"bad name":           {"[{name: Shop, applications: [checkout]}]", `sets[0].name: "Shop" must be lowercase`},
		"name twice":         {"[{name: shop, applications: [checkout]}, {name: shop, applications: [payments]}]", `sets[1].name: "shop" is used twice`},
		"unknown entry":      {"[{name: shop, entry: qa, applications: [checkout]}]", `sets[0].entry: unknown environment "qa"`},
		"different branches": {"[{name: shop, applications: [checkout, other]}]", "members write to different branches in environment dev"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePipeline([]byte(setsPipeline+"sets: "+tc.sets+"\n"), "main")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
