// Package bitbucketfake serves an scmtest.Model as Bitbucket Cloud's REST
// 2.0 API does, for the provider's conformance tests. Objects follow the
// shapes of Bitbucket's published OpenAPI description
// (https://dac-static.atlassian.com/cloud/bitbucket/swagger.v3.json) and
// the examples of https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/.
package bitbucketfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

// Repo is the API path of the repository the fake serves ("acme/env").
const Repo = "/2.0/repositories/acme/env"

// maxPageLen is the largest pagelen Bitbucket serves for pull requests.
const maxPageLen = 50

// New serves m as Bitbucket Cloud; the provider's URL is the server's
// URL + "/2.0".
func New(t testing.TB, m *scmtest.Model) *httptest.Server {
	f := &fake{m: m}
	srv := httptest.NewServer(m.Serve(f.serve))
	f.url = srv.URL
	t.Cleanup(srv.Close)
	return srv
}

type fake struct {
	m   *scmtest.Model
	url string
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+Token {
		writeJSON(w, 401, map[string]any{"type": "error", "error": map[string]any{"message": "Access token expired."}})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Repo)
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if !ok {
		notFound(w)
		return
	}
	switch {
	case r.Method == "GET" && rest == "/pullrequests":
		f.list(w, r)
	case r.Method == "POST" && rest == "/pullrequests":
		f.create(w, r)
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "commit":
		f.commit(w, parts[1])
	case len(parts) == 3 && parts[0] == "commit" && parts[2] == "statuses":
		f.statuses(w, r, parts[1])
	case len(parts) >= 2 && parts[0] == "pullrequests":
		n, _ := strconv.Atoi(parts[1])
		pr := f.m.Find(n)
		if pr == nil {
			notFound(w)
			return
		}
		f.pull(w, r, pr, strings.Join(parts[2:], "/"))
	default:
		notFound(w)
	}
}

func (f *fake) pull(w http.ResponseWriter, r *http.Request, pr *scmtest.PR, sub string) {
	switch {
	case r.Method == "GET" && sub == "":
		writeJSON(w, 200, f.render(pr))
	case r.Method == "PUT" && sub == "":
		var in struct {
			Title       *string `json:"title"`
			Description *string `json:"description"`
			Destination *struct {
				Branch struct{ Name string } `json:"branch"`
			} `json:"destination"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		if in.Title != nil {
			pr.Title = *in.Title
		}
		if in.Description != nil {
			pr.Body = *in.Description
		}
		if in.Destination != nil {
			pr.Base = in.Destination.Branch.Name
		}
		pr.Updated = f.m.Tick()
		writeJSON(w, 200, f.render(pr))
	case r.Method == "GET" && sub == "activity":
		f.activity(w, r, pr)
	case r.Method == "POST" && sub == "merge":
		if f.m.Conflict {
			// Documented answer when the refs changed or cannot merge.
			writeJSON(w, 409, map[string]any{"type": "error", "error": map[string]any{"message": "Unable to merge because one of the refs involved changed while attempting to merge."}})
			return
		}
		if pr.State != promotion.PROpen {
			writeJSON(w, 400, map[string]any{"type": "error", "error": map[string]any{"message": "You can't merge a pull request that isn't open."}})
			return
		}
		f.m.Merge(pr, f.m.Bot)
		writeJSON(w, 200, f.render(pr))
	case r.Method == "POST" && sub == "comments":
		var in struct {
			Content struct {
				Raw string `json:"raw"`
			} `json:"content"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		pr.Comments = append(pr.Comments, in.Content.Raw)
		writeJSON(w, 201, map[string]any{"type": "pullrequest_comment", "id": len(pr.Comments), "content": map[string]any{"raw": in.Content.Raw, "markup": "markdown"}})
	case r.Method == "POST" && sub == "decline":
		f.m.Decline(pr, f.m.Bot)
		writeJSON(w, 200, f.render(pr))
	default:
		notFound(w)
	}
}

// list answers GET /pullrequests with the q filter Ferry sends
// (source.branch.name = "…"), a page of at most pagelen (capped at 50)
// and next as the full URL of the following page.
func (f *fake) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var match []*scmtest.PR
	for _, pr := range f.m.PRs {
		if q.Get("state") == "OPEN" && pr.State != promotion.PROpen {
			continue
		}
		if want, ok := strings.CutPrefix(q.Get("q"), "source.branch.name = "); ok {
			name, err := strconv.Unquote(want)
			if err != nil || pr.Head != name {
				continue
			}
		}
		match = append(match, pr)
	}
	var values []any
	for _, pr := range match {
		values = append(values, f.render(pr))
	}
	writeJSON(w, 200, f.page(r, values))
}

func (f *fake) page(r *http.Request, values []any) map[string]any {
	q := r.URL.Query()
	size, _ := strconv.Atoi(q.Get("pagelen"))
	if size <= 0 || size > maxPageLen {
		size = min(max(size, 10), maxPageLen)
	}
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	lo, hi := min((page-1)*size, len(values)), min(page*size, len(values))
	out := map[string]any{"pagelen": size, "size": len(values), "page": page, "values": nonNil(values[lo:hi])}
	if hi < len(values) {
		q.Set("page", strconv.Itoa(page+1))
		out["next"] = f.url + r.URL.Path + "?" + q.Encode()
	}
	return out
}

func (f *fake) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Source      struct {
			Branch struct{ Name string } `json:"branch"`
		} `json:"source"`
		Destination struct {
			Branch struct{ Name string } `json:"branch"`
		} `json:"destination"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	pr := f.m.Open(in.Source.Branch.Name, in.Destination.Branch.Name, in.Title, in.Description, f.m.Bot)
	writeJSON(w, 201, f.render(pr))
}

// activity lists, newest first, an update for each push (Bitbucket logs
// the source commit with each update) and each review.
func (f *fake) activity(w http.ResponseWriter, r *http.Request, pr *scmtest.PR) {
	type entry struct {
		at time.Time
		v  map[string]any
	}
	var es []entry
	for _, p := range pr.Pushes {
		es = append(es, entry{p.At, map[string]any{"update": map[string]any{
			"state": "OPEN", "title": pr.Title, "date": p.At, "author": user(pr.Author),
			"source": map[string]any{"branch": map[string]any{"name": pr.Head}, "commit": map[string]any{"hash": short(p.SHA), "type": "commit"}},
		}}})
	}
	for _, rv := range pr.Reviews {
		key := "approval"
		if rv.Verdict == scmtest.RequestChanges {
			key = "changes_requested"
		}
		es = append(es, entry{rv.At, map[string]any{key: map[string]any{"date": rv.At, "user": user(rv.User)}}})
	}
	slices.SortFunc(es, func(a, b entry) int { return b.at.Compare(a.at) })
	var values []any
	for _, e := range es {
		e.v["pull_request"] = map[string]any{"type": "pullrequest", "id": pr.Number, "title": pr.Title}
		values = append(values, e.v)
	}
	writeJSON(w, 200, f.page(r, values))
}

// commit answers GET /commit/{revision} for a commit the model knows,
// found by its (short) hash.
func (f *fake) commit(w http.ResponseWriter, rev string) {
	for _, pr := range f.m.PRs {
		shas := []string{pr.MergeSHA}
		for _, p := range pr.Pushes {
			shas = append(shas, p.SHA)
		}
		for _, sha := range shas {
			if sha != "" && strings.HasPrefix(sha, rev) {
				writeJSON(w, 200, map[string]any{"type": "commit", "hash": sha, "message": "Promote\n", "date": pr.Created,
					"links": map[string]any{"html": map[string]any{"href": "https://bitbucket.org/acme/env/commits/" + sha}}})
				return
			}
		}
	}
	notFound(w)
}

// statuses answers one build status per key, the latest, as Bitbucket
// keeps them.
func (f *fake) statuses(w http.ResponseWriter, r *http.Request, sha string) {
	var full string
	for c := range f.m.Statuses {
		if strings.HasPrefix(c, sha) {
			full = c
		}
	}
	latest := map[string]promotion.Checks{}
	var keys []string
	for _, s := range f.m.Statuses[full] {
		if _, ok := latest[s.Key]; !ok {
			keys = append(keys, s.Key)
		}
		latest[s.Key] = s.State
	}
	var values []any
	for _, k := range keys {
		state := map[promotion.Checks]string{promotion.ChecksPending: "INPROGRESS", promotion.ChecksPassed: "SUCCESSFUL", promotion.ChecksFailed: "FAILED"}[latest[k]]
		values = append(values, map[string]any{
			"type": "build", "key": k, "name": k, "state": state, "refname": nil,
			"url": "https://ci.example.com/" + k, "commit": map[string]any{"hash": full, "type": "commit"},
		})
	}
	writeJSON(w, 200, f.page(r, values))
}

// render is a pullrequest object; like Bitbucket, commits are shown by
// their 12-character short hash.
func (f *fake) render(pr *scmtest.PR) map[string]any {
	state := map[promotion.PRState]string{promotion.PROpen: "OPEN", promotion.PRMerged: "MERGED", promotion.PRClosed: "DECLINED"}[pr.State]
	var participants []any
	for _, rv := range pr.Reviews {
		var st any
		switch rv.Verdict {
		case scmtest.Approve:
			st = "approved"
		case scmtest.RequestChanges:
			st = "changes_requested"
		}
		participants = append(participants, map[string]any{
			"type": "participant", "user": user(rv.User), "role": "REVIEWER",
			"approved": rv.Verdict == scmtest.Approve, "state": st, "participated_on": rv.At,
		})
	}
	repo := map[string]any{"type": "repository", "full_name": "acme/env", "name": "env", "uuid": "{7d8f7e6a-0f2b-4c59-9d44-5b3b1a4f1e21}"}
	out := map[string]any{
		"type": "pullrequest", "id": pr.Number, "title": pr.Title, "description": pr.Body,
		"state": state, "author": user(pr.Author), "comment_count": len(pr.Comments), "task_count": 0,
		"close_source_branch": false, "reason": "",
		"source": map[string]any{
			"branch": map[string]any{"name": pr.Head}, "commit": map[string]any{"hash": short(pr.HeadSHA()), "type": "commit"}, "repository": repo,
		},
		"destination": map[string]any{
			"branch": map[string]any{"name": pr.Base}, "commit": map[string]any{"hash": "ce5965ddd289", "type": "commit"}, "repository": repo,
		},
		"merge_commit": nil, "closed_by": nil,
		"participants": nonNil(participants), "reviewers": []any{},
		"created_on": pr.Created, "updated_on": pr.Updated,
		"links": map[string]any{
			"html": map[string]any{"href": fmt.Sprintf("https://bitbucket.org/acme/env/pull-requests/%d", pr.Number)},
			"self": map[string]any{"href": fmt.Sprintf("%s%s/pullrequests/%d", f.url, Repo, pr.Number)},
		},
	}
	if pr.State == promotion.PRMerged {
		out["merge_commit"] = map[string]any{"hash": short(pr.MergeSHA), "type": "commit"}
	}
	if pr.State != promotion.PROpen {
		out["closed_by"] = user(pr.ClosedBy)
	}
	return out
}

func user(name string) map[string]any {
	return map[string]any{
		"type": "user", "display_name": strings.ToUpper(name[:1]) + name[1:], "nickname": name,
		"uuid": "{" + name + "-0000-4000-8000-000000000000}", "account_id": "557058:" + name,
	}
}

func short(sha string) string { return sha[:min(12, len(sha))] }

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

// Deliver is the webhook Bitbucket sends for kind about pr: X-Event-Key
// pullrequest:fulfilled or pullrequest:rejected, signed with secret in
// X-Hub-Signature (https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks).
func Deliver(t testing.TB, secret string, pr *scmtest.PR, kind promotion.EventKind) (promotion.Headers, []byte) {
	f := &fake{url: "https://api.bitbucket.org"}
	body, err := json.Marshal(map[string]any{
		"actor": user("alice"), "pullrequest": f.render(pr),
		"repository": map[string]any{"type": "repository", "full_name": "acme/env", "name": "env"},
	})
	if err != nil {
		t.Fatal(err)
	}
	key := map[promotion.EventKind]string{promotion.EventMerged: "pullrequest:fulfilled", promotion.EventClosed: "pullrequest:rejected"}[kind]
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	h := http.Header{}
	h.Set("X-Event-Key", key)
	h.Set("X-Request-UUID", "b5a8e4c2-8f3d-4a7b-9f1e-2c3d4e5f6a7b")
	h.Set("X-Hook-UUID", "{e1d2c3b4-a596-4788-b9aa-bbccddeeff00}")
	h.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	return scmtest.Headers(h), body
}

// Forge replaces the signature with one made with another secret.
func Forge(h promotion.Headers) promotion.Headers {
	out := maps.Clone(h)
	m := hmac.New(sha256.New, []byte("not-the-secret"))
	out.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeJSON(w, 400, map[string]any{"type": "error", "error": map[string]any{"message": "Bad request: " + err.Error()}})
		return false
	}
	return true
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, 404, map[string]any{"type": "error", "error": map[string]any{"message": "Resource not found"}})
}
