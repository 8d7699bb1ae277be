// Package dcfake serves an scmtest.Model as Bitbucket Data Center's REST
// 1.0 API does, for the provider's conformance tests. Objects follow the
// examples of the published REST reference
// (https://developer.atlassian.com/server/bitbucket/rest/v906/api-group-pull-requests/
// and …/api-group-build-status/), the webhook payloads of
// https://confluence.atlassian.com/bitbucketserver/event-payload-938025882.html.
package dcfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/scmtest"
)

// Repo is the API path of the repository the fake serves ("ACME/env").
const Repo = "/rest/api/1.0/projects/ACME/repos/env"

// New serves m as Bitbucket Data Center at the server's root URL.
func New(t testing.TB, m *scmtest.Model) *httptest.Server {
	f := &fake{m: m, edits: map[int]int{}}
	srv := httptest.NewServer(m.Serve(f.serve))
	t.Cleanup(srv.Close)
	return srv
}

type fake struct {
	m     *scmtest.Model
	edits map[int]int // edits of each PR's title, description or target
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+Token {
		writeJSON(w, 401, map[string]any{"errors": []any{map[string]any{"context": nil, "message": "Authentication failed. Please check your credentials and try again.", "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}}})
		return
	}
	if sha, ok := strings.CutPrefix(r.URL.Path, "/rest/build-status/1.0/commits/"); ok && r.Method == "GET" {
		f.builds(w, r, sha)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Repo+"/pull-requests")
	if !ok {
		notFound(w, "Repository ACME/env does not exist.")
		return
	}
	if rest == "" {
		switch r.Method {
		case "GET":
			f.list(w, r)
		case "POST":
			f.create(w, r)
		}
		return
	}
	parts := strings.SplitN(strings.Trim(rest, "/"), "/", 2)
	n, _ := strconv.Atoi(parts[0])
	pr := f.m.Find(n)
	if pr == nil {
		notFound(w, fmt.Sprintf("Pull request %s does not exist in ACME/env.", parts[0]))
		return
	}
	sub := ""
	if len(parts) == 2 {
		sub = parts[1]
	}
	f.pull(w, r, pr, sub)
}

func (f *fake) version(pr *scmtest.PR) int { return f.edits[pr.Number] + len(pr.Pushes) - 1 }

func (f *fake) pull(w http.ResponseWriter, r *http.Request, pr *scmtest.PR, sub string) {
	switch {
	case r.Method == "GET" && sub == "":
		writeJSON(w, 200, f.render(pr))
	case r.Method == "PUT" && sub == "":
		var in struct {
			Version     int     `json:"version"`
			Title       *string `json:"title"`
			Description *string `json:"description"`
			ToRef       *struct {
				ID string `json:"id"`
			} `json:"toRef"`
		}
		if !readJSON(w, r, &in) || !f.current(w, pr, in.Version) {
			return
		}
		if in.Title != nil {
			pr.Title = *in.Title
		}
		if in.Description != nil {
			pr.Body = *in.Description
		}
		if in.ToRef != nil {
			pr.Base = strings.TrimPrefix(in.ToRef.ID, "refs/heads/")
		}
		f.edits[pr.Number]++
		pr.Updated = f.m.Tick()
		writeJSON(w, 200, f.render(pr))
	case r.Method == "GET" && sub == "merge":
		writeJSON(w, 200, f.mergeStatus(pr))
	case r.Method == "POST" && sub == "merge":
		v, _ := strconv.Atoi(r.URL.Query().Get("version"))
		if !f.current(w, pr, v) {
			return
		}
		if st := f.mergeStatus(pr); !st["canMerge"].(bool) {
			writeJSON(w, 409, map[string]any{"errors": []any{map[string]any{
				"context": nil, "message": "Merging the pull request has been vetoed.",
				"exceptionName": "com.atlassian.bitbucket.pull.PullRequestMergeVetoedException",
				"conflicted":    st["conflicted"], "vetoes": st["vetoes"],
			}}})
			return
		}
		f.m.Merge(pr, f.m.Bot)
		writeJSON(w, 200, f.render(pr))
	case r.Method == "POST" && sub == "comments":
		var in struct {
			Text string `json:"text"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		pr.Comments = append(pr.Comments, in.Text)
		writeJSON(w, 201, map[string]any{"id": len(pr.Comments), "version": 0, "text": in.Text, "author": user(f.m.Bot)})
	case r.Method == "POST" && sub == "decline":
		v, _ := strconv.Atoi(r.URL.Query().Get("version"))
		if !f.current(w, pr, v) {
			return
		}
		f.m.Decline(pr, f.m.Bot)
		writeJSON(w, 200, f.render(pr))
	default:
		notFound(w, "No such resource.")
	}
}

// current answers 409 as Bitbucket does when the version sent is stale.
func (f *fake) current(w http.ResponseWriter, pr *scmtest.PR, v int) bool {
	if v == f.version(pr) {
		return true
	}
	writeJSON(w, 409, map[string]any{"errors": []any{map[string]any{
		"context": nil, "message": fmt.Sprintf("You are attempting to modify a pull request based on out-of-date information. Expected version %d.", f.version(pr)),
		"exceptionName":  "com.atlassian.bitbucket.pull.PullRequestOutOfDateException",
		"currentVersion": f.version(pr), "pullRequest": f.render(pr),
	}}})
	return false
}

// mergeStatus is GET …/merge for a repository whose merge checks are
// "no needs-work reviewers" and "required builds".
func (f *fake) mergeStatus(pr *scmtest.PR) map[string]any {
	var vetoes []any
	for _, rv := range pr.Reviews {
		if rv.Verdict == scmtest.RequestChanges {
			vetoes = append(vetoes, map[string]any{"summaryMessage": "Requires all reviewers to approve", "detailedMessage": rv.User + " has marked the pull request as needing work."})
			break
		}
	}
	for _, s := range latest(f.m.Statuses[pr.HeadSHA()]) {
		if s.State != promotion.ChecksPassed {
			vetoes = append(vetoes, map[string]any{"summaryMessage": "Not all required builds are successful yet", "detailedMessage": "You cannot merge this pull request while it has failed or in-progress builds."})
			break
		}
	}
	outcome := "CLEAN"
	if f.m.Conflict {
		outcome = "CONFLICTED"
	}
	return map[string]any{
		"canMerge": pr.State == promotion.PROpen && len(vetoes) == 0 && !f.m.Conflict, "conflicted": f.m.Conflict,
		"outcome": outcome, "vetoes": nonNil(vetoes),
	}
}

// list answers GET …/pull-requests filtered by state and at, in pages of
// limit starting at start.
func (f *fake) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var values []any
	for _, pr := range f.m.PRs {
		if q.Get("state") == "OPEN" && pr.State != promotion.PROpen {
			continue
		}
		if at := q.Get("at"); at != "" && at != "refs/heads/"+pr.Head {
			continue
		}
		values = append(values, f.render(pr))
	}
	writeJSON(w, 200, page(r, values))
}

func page(r *http.Request, values []any) map[string]any {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = 25
	}
	start, _ := strconv.Atoi(q.Get("start"))
	lo, hi := min(start, len(values)), min(start+limit, len(values))
	out := map[string]any{"size": hi - lo, "limit": limit, "start": start, "isLastPage": hi == len(values), "values": nonNil(values[lo:hi])}
	if hi < len(values) {
		out["nextPageStart"] = hi
	}
	return out
}

func (f *fake) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		FromRef     struct {
			ID string `json:"id"`
		} `json:"fromRef"`
		ToRef struct {
			ID string `json:"id"`
		} `json:"toRef"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	pr := f.m.Open(strings.TrimPrefix(in.FromRef.ID, "refs/heads/"), strings.TrimPrefix(in.ToRef.ID, "refs/heads/"), in.Title, in.Description, f.m.Bot)
	writeJSON(w, 201, f.render(pr))
}

func (f *fake) builds(w http.ResponseWriter, r *http.Request, sha string) {
	var values []any
	for _, s := range latest(f.m.Statuses[sha]) {
		state := map[promotion.Checks]string{promotion.ChecksPending: "INPROGRESS", promotion.ChecksPassed: "SUCCESSFUL", promotion.ChecksFailed: "FAILED"}[s.State]
		values = append(values, map[string]any{
			"state": state, "key": s.Key, "name": s.Key, "url": "https://ci.example.com/" + s.Key,
			"description": "", "dateAdded": 1732179600000,
		})
	}
	writeJSON(w, 200, page(r, values))
}

// latest keeps the last status of each key, in first-seen order.
func latest(all []scmtest.Status) []scmtest.Status {
	var out []scmtest.Status
	idx := map[string]int{}
	for _, s := range all {
		if i, ok := idx[s.Key]; ok {
			out[i] = s
			continue
		}
		idx[s.Key] = len(out)
		out = append(out, s)
	}
	return out
}

func ref(branch, sha string) map[string]any {
	return map[string]any{
		"id": "refs/heads/" + branch, "displayId": branch, "latestCommit": sha,
		"repository": map[string]any{"slug": "env", "name": "env", "project": map[string]any{"key": "ACME"}},
	}
}

func (f *fake) render(pr *scmtest.PR) map[string]any {
	state := map[promotion.PRState]string{promotion.PROpen: "OPEN", promotion.PRMerged: "MERGED", promotion.PRClosed: "DECLINED"}[pr.State]
	var reviewers, participants []any
	for _, rv := range pr.Reviews {
		st := map[scmtest.Verdict]string{scmtest.Approve: "APPROVED", scmtest.RequestChanges: "NEEDS_WORK"}[rv.Verdict]
		p := map[string]any{"user": user(rv.User), "lastReviewedCommit": rv.SHA, "role": "REVIEWER", "approved": rv.Verdict == scmtest.Approve, "status": st}
		if rv.User == pr.Author {
			p["role"] = "PARTICIPANT"
			participants = append(participants, p)
			continue
		}
		reviewers = append(reviewers, p)
	}
	out := map[string]any{
		"id": pr.Number, "version": f.version(pr), "title": pr.Title, "description": pr.Body,
		"state": state, "open": pr.State == promotion.PROpen, "closed": pr.State != promotion.PROpen,
		"createdDate": pr.Created.UnixMilli(), "updatedDate": pr.Updated.UnixMilli(),
		"fromRef": ref(pr.Head, pr.HeadSHA()), "toRef": ref(pr.Base, "ce5965ddd289d1ef2e5f0bda6b4a3c1e5e1c8b2a"),
		"locked":       false,
		"author":       map[string]any{"user": user(pr.Author), "role": "AUTHOR", "approved": false, "status": "UNAPPROVED"},
		"reviewers":    nonNil(reviewers),
		"participants": nonNil(participants),
		"links":        map[string]any{"self": []any{map[string]any{"href": fmt.Sprintf("https://bitbucket.example.com/projects/ACME/repos/env/pull-requests/%d", pr.Number)}}},
	}
	if pr.State == promotion.PRMerged {
		out["properties"] = map[string]any{"mergeCommit": map[string]any{"id": pr.MergeSHA, "displayId": pr.MergeSHA[:11]}}
	}
	return out
}

func user(name string) map[string]any {
	return map[string]any{
		"name": name, "emailAddress": name + "@example.com", "id": len(name) * 1000, "displayName": strings.ToUpper(name[:1]) + name[1:],
		"active": true, "slug": name, "type": "NORMAL",
	}
}

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

// Deliver is the webhook Bitbucket Data Center sends for kind about pr
// (pr:merged or pr:declined), signed with secret in X-Hub-Signature.
func Deliver(t testing.TB, secret string, pr *scmtest.PR, kind promotion.EventKind) (promotion.Headers, []byte) {
	f := &fake{m: scmtest.NewModel(pr.Author), edits: map[int]int{}}
	key := map[promotion.EventKind]string{promotion.EventMerged: "pr:merged", promotion.EventClosed: "pr:declined"}[kind]
	body, err := json.Marshal(map[string]any{
		"eventKey": key, "date": "2026-11-21T10:00:00+0000", "actor": user("alice"), "pullRequest": f.render(pr),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	h := http.Header{}
	h.Set("X-Event-Key", key)
	h.Set("X-Request-Id", "c3a1f0e2-6d1b-4f5e-9a3c-7b2d8e4f1a60")
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
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeJSON(w, 400, map[string]any{"errors": []any{map[string]any{"context": nil, "message": err.Error(), "exceptionName": nil}}})
		return false
	}
	return true
}

func notFound(w http.ResponseWriter, msg string) {
	writeJSON(w, 404, map[string]any{"errors": []any{map[string]any{"context": nil, "message": msg, "exceptionName": "com.atlassian.bitbucket.pull.NoSuchPullRequestException"}}})
}
