package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/api"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/registry/imagetest"
)

func testReleaseSets(t *testing.T, h *harness) {
	payments := imagetest.PushImage(t, h.regHost, "acme/payments", "2.0.0")
	checkout := imagetest.PushImage(t, h.regHost, "acme/checkout", "2.0.0")
	set := func(paymentsTag string) string {
		return jsonBody(map[string]any{"set": "shop", "builds": []map[string]any{
			h.build("checkout", "checkout", "2.0.0", "digest", checkout.String(), "source_repo", "https://git.example.com/acme/shop",
				"source_commit", "9fceb02d0ae598e95dc970b74767f19372d61af8"),
			h.build("payments", "payments", paymentsTag, "digest", digestFor(paymentsTag, payments.String())),
			h.build("notifier", "notifier", "0.9.1", "digest", h.notifierDigest.String()), // already in dev
		}})
	}

	t.Run("one failing member refuses the set and writes nothing", func(t *testing.T) {
		before := h.written(t)
		res := h.do(t, request{method: "POST", path: "/api/v1/release-sets", token: tokAdmin, body: set("9.9.9")})
		p := wantProblem(t, res, http.StatusUnprocessableEntity, "release_set_refused")
		if len(p.Errors) != 1 || p.Errors[0].Name != "payments" || p.Errors[0].Code != "tag_not_found" {
			t.Errorf("errors = %+v, want payments tag_not_found only", p.Errors)
		}
		if after := h.written(t); after != before {
			t.Errorf("written %+v, was %+v", after, before)
		}
		if n := reportedSets(t, h); n != 0 {
			t.Errorf("reported set releases after a refusal = %d; want none", n)
		}
	})

	t.Run("unknown set and a stranger member are refused", func(t *testing.T) {
		res := h.do(t, request{method: "POST", path: "/api/v1/release-sets", token: tokAdmin,
			body: jsonBody(map[string]any{"set": "web", "builds": []map[string]any{h.build("payments", "payments", "2.0.0")}})})
		wantProblem(t, res, http.StatusNotFound, "unknown_set")
		res = h.do(t, request{method: "POST", path: "/api/v1/release-sets", token: tokAdmin,
			body: jsonBody(map[string]any{"set": "shop", "builds": []map[string]any{h.build("evil", "payments", "2.0.0")}})})
		p := wantProblem(t, res, http.StatusUnprocessableEntity, "release_set_refused")
		codes := map[string]string{}
		for _, it := range p.Errors {
			codes[it.Name] = it.Code
		}
		if codes["evil"] != "not_in_set" || codes["checkout"] != "member_missing" || codes["payments"] != "member_missing" {
			t.Errorf("errors = %+v", p.Errors)
		}
	})

	t.Run("a dry run previews the set's one commit and writes nothing", func(t *testing.T) {
		before := h.written(t)
		dry := strings.TrimSuffix(set("2.0.0"), "}") + `,"dry_run":true}`
		var pv api.SetReleasePreview
		decode(t, h.do(t, request{method: "POST", path: "/api/v1/release-sets", token: tokAdmin, body: dry}), http.StatusOK, &pv)
		if !pv.DryRun || pv.Set != "shop" || len(pv.Previews) != 1 {
			t.Fatalf("preview = %+v", pv)
		}
		dev := pv.Previews[0]
		if dev.Environment != "dev" || dev.Head != before.head || dev.Noop || dev.Failure != "" || len(dev.Members) != 3 {
			t.Fatalf("dev preview = %+v", dev)
		}
		for _, m := range dev.Members {
			if m.Message != "" || len(m.Gates) == 0 {
				t.Errorf("%s: message %q, %d gates; want the set's message only, and each gate", m.Application, m.Message, len(m.Gates))
			}
			if m.Noop != (m.Application == "notifier") || m.Noop == (len(m.Files) == 1) {
				t.Errorf("%s: noop %v, %d files; only notifier is already in dev", m.Application, m.Noop, len(m.Files))
			}
			for _, f := range m.Files {
				if !strings.Contains(f.Diff, "+") || !strings.Contains(f.Diff, "2.0.0") {
					t.Errorf("%s: diff of %s = %q", m.Application, f.Path, f.Diff)
				}
			}
		}
		for _, app := range []string{"checkout", "payments"} {
			if !strings.Contains(dev.Message, app) {
				t.Errorf("message %q does not name %s", dev.Message, app)
			}
		}
		if after := h.written(t); after != before {
			t.Errorf("written %+v, was %+v", after, before)
		}
		if n := reportedSets(t, h); n != 0 {
			t.Errorf("reported set releases after a dry run = %d; want none", n)
		}
		// A failing member refuses the dry run as it refuses the report.
		dry = strings.TrimSuffix(set("9.9.9"), "}") + `,"dry_run":true}`
		wantProblem(t, h.do(t, request{method: "POST", path: "/api/v1/release-sets", token: tokAdmin, body: dry}), http.StatusUnprocessableEntity, "release_set_refused")
	})

	var sr api.SetRelease
	t.Run("a reported set moves into dev as one commit", func(t *testing.T) {
		before := h.written(t)
		res := h.do(t, request{method: "POST", path: "/api/v1/release-sets", token: tokAdmin, body: set("2.0.0")})
		decode(t, res, http.StatusAccepted, &sr)
		if loc := res.header.Get("Location"); loc != "/api/v1/release-sets/"+sr.ID {
			t.Errorf("Location %q", loc)
		}
		if len(sr.Members) != 3 || len(sr.Promotions) != 3 || sr.Set != "shop" {
			t.Fatalf("set release = %+v", sr)
		}
		got := h.waitSet(t, sr.ID, 3)
		commits := map[string]bool{}
		for _, p := range got.Promotions {
			if p.Environment != "dev" {
				continue // the set goes on to stage once dev completed
			}
			if p.State != "committed" || p.SetRelease != sr.ID {
				t.Errorf("%s: %s %q, want committed in set %s", p.Application, p.State, p.Reason, sr.ID)
			}
			if p.Application == "notifier" != p.Noop {
				t.Errorf("%s: noop %v; only notifier is already there", p.Application, p.Noop)
			}
			if !p.Noop {
				commits[p.CommitSHA] = true
			}
		}
		head := git(t, h.bare, "rev-parse", "main")
		if len(commits) != 1 || !commits[head] || git(t, h.bare, "rev-parse", "main^") != before.head {
			t.Errorf("commits %v, head %s (was %s): want one new commit for the set", commits, head, before.head)
		}
	})

	t.Run("the console's board shows the set's newest set release", func(t *testing.T) {
		res := h.do(t, request{method: "GET", path: "/", anon: true})
		body := string(res.body)
		if res.status != http.StatusOK || !strings.Contains(body, "<h2>Release sets</h2>") ||
			!strings.Contains(body, `data-set="shop"`) || !strings.Contains(body, "<code>"+sr.ID+"</code>") {
			t.Fatalf("GET /: %d, no release set shop %s on the board:\n%s", res.status, sr.ID, body)
		}
		sets := body[strings.Index(body, `data-set="shop"`):]
		sets = sets[:strings.Index(sets, "</table>")]
		for _, app := range []string{"checkout", "payments", "notifier"} {
			i := strings.Index(sets, `<a href="/ui/apps/`+app+`">`+app+`</a>`)
			if i < 0 {
				t.Fatalf("member %s not linked in the set's table:\n%s", app, sets)
			}
			row := sets[i:]
			row = row[:strings.Index(row, "</tr>")]
			dev := row[strings.Index(row, `data-env="dev"`):]
			dev = dev[:strings.Index(dev, "</td>")]
			if !strings.Contains(dev, "running") || !strings.Contains(dev, "committed") {
				t.Errorf("%s in dev: %q, want running and committed", app, dev)
			}
		}
		if !strings.Contains(sets, `<td class="tag">2.0.0</td>`) || !strings.Contains(sets, `<td class="tag">0.9.1</td>`) {
			t.Errorf("members' tags missing:\n%s", sets)
		}
	})

	t.Run("list and promote the set", func(t *testing.T) {
		var list api.SetReleaseList
		decode(t, h.do(t, request{method: "GET", path: "/api/v1/release-sets?set=shop", token: tokRead}), http.StatusOK, &list)
		// The one reported set release, newest, and the ones formed from
		// the members CI reported one by one before (see reads).
		if len(list.Items) < 2 || list.Items[0].ID != sr.ID || list.Items[0].Formed != "reported" {
			t.Errorf("list = %+v", list)
		}
		for _, other := range list.Items[1:] {
			if other.Formed != "members" || other.ReportedBy != "ferry" {
				t.Errorf("set release %+v, want formed from members by ferry", other)
			}
		}
		wantProblem(t, h.do(t, request{method: "GET", path: "/api/v1/release-sets/set_nope", token: tokRead}), http.StatusNotFound, "not_found")
		var promoted api.SetRelease
		decode(t, h.do(t, request{method: "POST", path: "/api/v1/release-sets/" + sr.ID + "/promote", token: tokPromoter,
			body: `{"environment":"stage","reason":"ship the shop"}`}), http.StatusAccepted, &promoted)
		if len(promoted.Promotions) != 3 {
			t.Errorf("promotions = %+v", promoted.Promotions)
		}
		wantProblem(t, h.do(t, request{method: "POST", path: "/api/v1/release-sets/" + sr.ID + "/promote", token: tokCheckout,
			body: `{"environment":"stage"}`}), http.StatusForbidden, "forbidden")
	})
}

// waitSet polls the set release until at least n of its promotions are
// terminal.
func (h *harness) waitSet(t *testing.T, id string, n int) api.SetRelease {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var sr api.SetRelease
		decode(t, h.do(t, request{method: "GET", path: "/api/v1/release-sets/" + id, token: tokRead}), http.StatusOK, &sr)
		done := 0
		for _, p := range sr.Promotions {
			switch p.State {
			case "committed", "merged", "failed", "rejected", "superseded":
				done++
			}
		}
		if done >= n {
			return sr
		}
		if time.Now().After(deadline) {
			t.Fatalf("set release %s: %d of %d promotions terminal: %+v", id, done, n, sr.Promotions)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func promotionSetFilter() promotion.SetReleaseFilter { return promotion.SetReleaseFilter{Name: "shop"} }

// digestFor reports the pushed digest for the 2.0.0 tag and none for a tag
// that was never pushed.
func digestFor(tag, digest string) string {
	if tag == "2.0.0" {
		return digest
	}
	return "sha256:" + "0000000000000000000000000000000000000000000000000000000000000000"
}

// reportedSets counts the set releases CI reported at once (not those
// formed from members reported one by one).
func reportedSets(t *testing.T, h *harness) int {
	t.Helper()
	page, err := h.store.ListSetReleases(context.Background(), promotionSetFilter())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sr := range page.Items {
		if sr.Formed != promotion.FormedMembers {
			n++
		}
	}
	return n
}
