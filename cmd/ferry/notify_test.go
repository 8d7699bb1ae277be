package main

import (
	"strings"
	"testing"

	"github.com/ferryhq/ferry/api"
)

// TestFillFromCIStripsCredentials: URLs that ferry notify takes from CI
// variables lose their credentials (GitLab's CI_REPOSITORY_URL carries
// gitlab-ci-token:<job token>@), so a report never carries them to Ferry,
// which would refuse it. Values given on the command line are kept as they
// are: Ferry refuses them, naming the field.
func TestFillFromCIStripsCredentials(t *testing.T) {
	const token = "glcbt-64_s3cr3tJobT0ken"
	t.Setenv("GITHUB_ACTIONS", "")
	t.Setenv("GITLAB_CI", "true")
	t.Setenv("CI_COMMIT_SHA", "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567")
	t.Setenv("CI_PROJECT_URL", "")
	t.Setenv("CI_REPOSITORY_URL", "https://gitlab-ci-token:"+token+"@gitlab.example.com/acme/payments.git")
	t.Setenv("CI_PIPELINE_URL", "https://ci:"+token+"@gitlab.example.com/acme/payments/-/pipelines/42")

	var r api.BuildRequest
	fillFromCI(&r)
	if r.SourceRepo != "https://gitlab.example.com/acme/payments.git" || r.CIRunURL != "https://gitlab.example.com/acme/payments/-/pipelines/42" {
		t.Errorf("source_repo %q, ci_run_url %q: want the URLs without credentials", r.SourceRepo, r.CIRunURL)
	}
	if strings.Contains(r.SourceRepo+r.CIRunURL, token) {
		t.Error("the job token is in the report")
	}

	t.Setenv("CI_PROJECT_URL", "https://gitlab.example.com/acme/payments")
	r = api.BuildRequest{}
	fillFromCI(&r)
	if r.SourceRepo != "https://gitlab.example.com/acme/payments" {
		t.Errorf("source_repo %q, want CI_PROJECT_URL first", r.SourceRepo)
	}
}
