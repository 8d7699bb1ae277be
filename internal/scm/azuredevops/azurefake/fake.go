// Package azurefake serves an scmtest.Model as Azure DevOps' Git and
// Policy REST APIs (7.1) do, for the provider's conformance tests. Objects
// follow the examples of the published specifications
// (https://github.com/MicrosoftDocs/vsts-rest-api-specs, specification/git/7.1/git.json
// and specification/policy/7.1/policy.json) and the service hook events of
// https://learn.microsoft.com/azure/devops/service-hooks/events.
package azurefake

import (
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

// Org is the organization's path on the fake; the provider's URL is the
// server's URL + Org, its project "platform/env".
const Org = "/acme"

const (
	repoPath  = Org + "/platform/_apis/git/repositories/env"
	projectID = "6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c"
	repoID    = "3411ebc1-d5aa-464f-9615-0b527bc66719"
	webURL    = "https://dev.azure.com/acme/platform/_git/env"
)

// New serves m as Azure DevOps.
func New(t testing.TB, m *scmtest.Model) *httptest.Server {
	srv := httptest.NewServer(Handler(m))
	t.Cleanup(srv.Close)
	return srv
}

// Handler answers as Azure DevOps holding m.
func Handler(m *scmtest.Model) http.Handler {
	f := &fake{m: m}
	return m.Serve(f.serve)
}

type fake struct {
	m *scmtest.Model
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	if user, pass, ok := r.BasicAuth(); !ok || user != "" || pass != Token {
		// What Azure DevOps answers a bad personal access token with.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNonAuthoritativeInfo)
		fmt.Fprint(w, "<html><head><title>Azure DevOps Services | Sign In</title></head></html>")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		apiError(w, 400, "VssResourceVersionNotSpecifiedException", "No api-version was supplied for the \"GET\" request.")
		return
	}
	path := strings.ToLower(r.URL.Path) // Azure DevOps routes ignore case
	if path == strings.ToLower(Org+"/platform/_apis/policy/evaluations") {
		f.evaluations(w, r)
		return
	}
	rest, ok := strings.CutPrefix(path, strings.ToLower(repoPath)+"/pullrequests")
	if !ok {
		apiError(w, 404, "GitRepositoryNotFoundException", "TF401019: The Git repository with name or identifier env does not exist or you do not have permissions for the operation you are attempting.")
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
		apiError(w, 404, "GitPullRequestNotFoundException", "TF401180: The requested pull request was not found.")
		return
	}
	sub := ""
	if len(parts) == 2 {
		sub = parts[1]
	}
	switch {
	case r.Method == "GET" && sub == "":
		writeJSON(w, 200, f.render(pr))
	case r.Method == "PATCH" && sub == "":
		f.update(w, r, pr)
	case r.Method == "GET" && sub == "iterations":
		f.iterations(w, r, pr)
	case r.Method == "GET" && sub == "threads":
		f.threads(w, pr)
	case r.Method == "POST" && sub == "threads":
		var in struct {
			Comments []struct {
				Content string `json:"content"`
			} `json:"comments"`
		}
		if !readJSON(w, r, &in) {
			return
		}
		for _, c := range in.Comments {
			pr.Comments = append(pr.Comments, c.Content)
		}
		writeJSON(w, 200, map[string]any{"id": 100 + len(pr.Comments), "status": "closed", "publishedDate": f.m.Tick()})
	case r.Method == "GET" && sub == "statuses":
		f.statuses(w, pr)
	default:
		apiError(w, 404, "", "The resource cannot be found.")
	}
}

func (f *fake) update(w http.ResponseWriter, r *http.Request, pr *scmtest.PR) {
	var in struct {
		Title                 *string `json:"title"`
		Description           *string `json:"description"`
		TargetRefName         *string `json:"targetRefName"`
		Status                string  `json:"status"`
		LastMergeSourceCommit *struct {
			CommitID string `json:"commitId"`
		} `json:"lastMergeSourceCommit"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	switch in.Status {
	case "completed":
		if in.LastMergeSourceCommit == nil || in.LastMergeSourceCommit.CommitID != pr.HeadSHA() {
			apiError(w, 409, "GitPullRequestStaleException", "TF401181: The pull request cannot be completed because the source branch has been updated since the last merge attempt.")
			return
		}
		if f.m.Conflict {
			apiError(w, 409, "GitPullRequestCannotBeCompletedException", "TF401179: The pull request cannot be completed because it has merge conflicts.")
			return
		}
		f.m.Merge(pr, f.m.Bot)
	case "abandoned":
		f.m.Decline(pr, f.m.Bot)
	case "":
		if in.Title != nil {
			pr.Title = *in.Title
		}
		if in.Description != nil {
			pr.Body = *in.Description
		}
		if in.TargetRefName != nil {
			pr.Base = strings.TrimPrefix(*in.TargetRefName, "refs/heads/")
		}
		pr.Updated = f.m.Tick()
	}
	writeJSON(w, 200, f.render(pr))
}

// list answers GET …/pullrequests filtered by searchCriteria, in pages of
// $top (default 101) after $skip.
func (f *fake) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var values []any
	for _, pr := range f.m.PRs {
		if q.Get("searchCriteria.status") == "active" && pr.State != promotion.PROpen {
			continue
		}
		if src := q.Get("searchCriteria.sourceRefName"); src != "" && src != "refs/heads/"+pr.Head {
			continue
		}
		values = append(values, f.render(pr))
	}
	writeJSON(w, 200, page(r, values))
}

func page(r *http.Request, values []any) map[string]any {
	q := r.URL.Query()
	top, err := strconv.Atoi(q.Get("$top"))
	if err != nil || top <= 0 {
		top = 101
	}
	skip, _ := strconv.Atoi(q.Get("$skip"))
	lo, hi := min(skip, len(values)), min(skip+top, len(values))
	return map[string]any{"value": nonNil(values[lo:hi]), "count": hi - lo}
}

func (f *fake) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SourceRefName string `json:"sourceRefName"`
		TargetRefName string `json:"targetRefName"`
		Title         string `json:"title"`
		Description   string `json:"description"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	pr := f.m.Open(strings.TrimPrefix(in.SourceRefName, "refs/heads/"), strings.TrimPrefix(in.TargetRefName, "refs/heads/"), in.Title, in.Description, f.m.Bot)
	writeJSON(w, 201, f.render(pr))
}

func (f *fake) iterations(w http.ResponseWriter, r *http.Request, pr *scmtest.PR) {
	var values []any
	for i, p := range pr.Pushes {
		values = append(values, map[string]any{
			"id": i + 1, "description": pr.Title, "author": identity(pr.Author),
			"createdDate": p.At, "updatedDate": p.At,
			"sourceRefCommit": map[string]any{"commitId": p.SHA},
			"targetRefCommit": map[string]any{"commitId": "ce5965ddd289d1ef2e5f0bda6b4a3c1e5e1c8b2a"},
			"reason":          map[bool]string{true: "create", false: "push"}[i == 0],
		})
	}
	writeJSON(w, 200, page(r, values))
}

// threads lists a system VoteUpdate thread per vote and a text thread per
// comment.
func (f *fake) threads(w http.ResponseWriter, pr *scmtest.PR) {
	var values []any
	for i, rv := range pr.Reviews {
		vote := vote(rv.Verdict)
		values = append(values, map[string]any{
			"id": i + 1, "publishedDate": rv.At, "lastUpdatedDate": rv.At, "status": "unknown", "isDeleted": false,
			"comments": []any{map[string]any{"id": 1, "author": identity(rv.User), "content": fmt.Sprintf("%s voted %d", rv.User, vote), "commentType": "system"}},
			"properties": map[string]any{
				"CodeReviewThreadType":               map[string]any{"$type": "System.String", "$value": "VoteUpdate"},
				"CodeReviewVoteResult":               map[string]any{"$type": "System.String", "$value": strconv.Itoa(vote)},
				"CodeReviewVotedByInitiatorIdentity": map[string]any{"$type": "System.String", "$value": "1"},
				"CodeReviewVotedByIdentity":          map[string]any{"$type": "System.String", "$value": "1"},
			},
			"identities": map[string]any{"1": identity(rv.User)},
		})
	}
	for i, c := range pr.Comments {
		values = append(values, map[string]any{
			"id": 100 + i, "status": "closed", "isDeleted": false,
			"comments": []any{map[string]any{"id": 1, "author": identity(pr.Author), "content": c, "commentType": "text"}},
		})
	}
	writeJSON(w, 200, map[string]any{"value": nonNil(values), "count": len(values)})
}

func (f *fake) statuses(w http.ResponseWriter, pr *scmtest.PR) {
	var values []any
	for i, s := range f.m.Statuses[pr.HeadSHA()] {
		state := map[promotion.Checks]string{promotion.ChecksPending: "pending", promotion.ChecksPassed: "succeeded", promotion.ChecksFailed: "failed"}[s.State]
		values = append(values, map[string]any{
			"id": i + 1, "state": state, "description": s.Key + " " + state, "iterationId": len(pr.Pushes),
			"context":   map[string]any{"name": s.Key, "genre": "ci"},
			"targetUrl": "https://ci.example.com/" + s.Key, "createdBy": identity("ci"),
		})
	}
	writeJSON(w, 200, map[string]any{"value": nonNil(values), "count": len(values)})
}

// evaluations models two blocking policies on main: "Minimum number of
// reviewers" (one approval on the current head, not the author's, as
// with "reset votes on push") and "Status" (every CI status succeeded).
func (f *fake) evaluations(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Query().Get("artifactId"), "vstfs:///CodeReview/CodeReviewId/"+projectID+"/")
	n, _ := strconv.Atoi(id)
	pr := f.m.Find(n)
	if pr == nil {
		writeJSON(w, 200, map[string]any{"value": []any{}, "count": 0})
		return
	}
	reviewers := "rejected"
	for _, rv := range pr.Reviews {
		if rv.Verdict == scmtest.Approve && rv.SHA == pr.HeadSHA() && rv.User != pr.Author {
			reviewers = "approved"
		}
	}
	status := "approved"
	for _, s := range f.m.Statuses[pr.HeadSHA()] {
		switch s.State {
		case promotion.ChecksFailed:
			status = "rejected"
		case promotion.ChecksPending:
			status = "running"
		case promotion.ChecksPassed:
			if status == "running" {
				status = "approved"
			}
		}
	}
	eval := func(i int, typ, st string) map[string]any {
		return map[string]any{
			"evaluationId": fmt.Sprintf("e2b1c3d4-0000-4000-8000-00000000000%d", i),
			"artifactId":   r.URL.Query().Get("artifactId"), "status": st,
			"configuration": map[string]any{
				"id": i, "isEnabled": true, "isBlocking": true, "isDeleted": false,
				"type":     map[string]any{"id": "fa4e907d-c16b-4a4c-9dfa-4906e5d171dd", "displayName": typ},
				"settings": map[string]any{"scope": []any{map[string]any{"refName": "refs/heads/main", "matchKind": "Exact", "repositoryId": repoID}}},
			},
		}
	}
	writeJSON(w, 200, map[string]any{"value": []any{eval(1, "Minimum number of reviewers", reviewers), eval(2, "Status", status)}, "count": 2})
}

func vote(v scmtest.Verdict) int {
	if v == scmtest.Approve {
		return 10
	}
	return -10
}

func identity(name string) map[string]any {
	return map[string]any{
		"id": name + "-d6245f20-2af8-44f4-9451-8107cb2767db", "displayName": strings.ToUpper(name[:1]) + name[1:],
		"uniqueName": name, "url": "https://vssps.dev.azure.com/acme/_apis/Identities/" + name, "imageUrl": "",
	}
}

func (f *fake) render(pr *scmtest.PR) map[string]any {
	status := map[promotion.PRState]string{promotion.PROpen: "active", promotion.PRMerged: "completed", promotion.PRClosed: "abandoned"}[pr.State]
	var reviewers []any
	for _, rv := range pr.Reviews {
		r := identity(rv.User)
		r["vote"], r["hasDeclined"], r["isFlagged"], r["reviewerUrl"] = vote(rv.Verdict), false, false, r["url"]
		reviewers = append(reviewers, r)
	}
	mergeStatus := "succeeded"
	if f.m != nil && f.m.Conflict {
		mergeStatus = "conflicts"
	}
	out := map[string]any{
		"repository": map[string]any{
			"id": repoID, "name": "env", "url": "https://dev.azure.com/acme/_apis/git/repositories/" + repoID,
			"webUrl": webURL, "project": map[string]any{"id": projectID, "name": "platform", "state": "wellFormed"},
		},
		"pullRequestId": pr.Number, "codeReviewId": pr.Number, "status": status,
		"createdBy": identity(pr.Author), "creationDate": pr.Created,
		"title": pr.Title, "description": pr.Body,
		"sourceRefName": "refs/heads/" + pr.Head, "targetRefName": "refs/heads/" + pr.Base,
		"mergeStatus": mergeStatus, "isDraft": false, "mergeId": "f5fc8381-3fb2-49fe-8a0d-27dcc2d6ef82",
		"lastMergeSourceCommit": map[string]any{"commitId": pr.HeadSHA()},
		"lastMergeTargetCommit": map[string]any{"commitId": "ce5965ddd289d1ef2e5f0bda6b4a3c1e5e1c8b2a"},
		"lastMergeCommit":       map[string]any{"commitId": "0f2c6a4b8d0e1f3a5b7c9d1e3f5a7b9c1d3e5f70"},
		"reviewers":             nonNil(reviewers),
		"url":                   fmt.Sprintf("https://dev.azure.com/acme/_apis/git/repositories/%s/pullRequests/%d", repoID, pr.Number),
		"supportsIterations":    true,
	}
	if pr.State != promotion.PROpen {
		out["closedDate"], out["closedBy"] = pr.Updated, identity(pr.ClosedBy)
	}
	if pr.State == promotion.PRMerged {
		out["lastMergeCommit"] = map[string]any{"commitId": pr.MergeSHA}
	}
	return out
}

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

// Deliver is the service hook Azure DevOps sends when pr is completed
// (merged) or abandoned (closed): a git.pullrequest.updated event with
// the basic auth configured on the subscription.
func Deliver(t testing.TB, user, password string, pr *scmtest.PR, kind promotion.EventKind) (promotion.Headers, []byte) {
	f := &fake{}
	verb := map[promotion.EventKind]string{promotion.EventMerged: "completed", promotion.EventClosed: "abandoned"}[kind]
	body, err := json.Marshal(map[string]any{
		"subscriptionId": "00000000-0000-0000-0000-000000000000", "notificationId": 3,
		"id": "2ab4e3d3-b7a6-425e-92b1-5a9982c1269e", "eventType": "git.pullrequest.updated", "publisherId": "tfs",
		"message":  map[string]any{"text": fmt.Sprintf("Alice %s pull request %d (%s) in env", verb, pr.Number, pr.Title)},
		"resource": f.render(pr), "resourceVersion": "1.0",
		"resourceContainers": map[string]any{"project": map[string]any{"id": projectID}},
		"createdDate":        "2026-11-21T10:00:00Z",
	})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", "https://ferry.example.com/", nil)
	req.SetBasicAuth(user, password)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return scmtest.Headers(req.Header), body
}

// Forge returns the header with a wrong password.
func Forge(h promotion.Headers) promotion.Headers {
	out := maps.Clone(h)
	req := &http.Request{Header: http.Header{"Authorization": {h.Get("Authorization")}}}
	user, _, _ := req.BasicAuth()
	req.SetBasicAuth(user, "not-the-secret")
	out.Set("Authorization", req.Header.Get("Authorization"))
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8; api-version=7.1")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		apiError(w, 400, "InvalidArgumentValueException", err.Error())
		return false
	}
	return true
}

// apiError is Azure DevOps' error body.
func apiError(w http.ResponseWriter, code int, typeKey, msg string) {
	writeJSON(w, code, map[string]any{
		"$id": "1", "innerException": nil, "message": msg, "typeName": "Microsoft.TeamFoundation." + typeKey,
		"typeKey": typeKey, "errorCode": 0, "eventId": 3000,
	})
}
