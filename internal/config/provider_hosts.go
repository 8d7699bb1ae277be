package config

import (
	"slices"
	"strings"
)

// validateProject checks the shape of the host's repository name.
func validateProject(errs *fieldErrors, f string, p Provider) {
	parts := strings.Split(p.Project, "/")
	switch p.Kind {
	case ProviderBitbucket, ProviderBitbucketDC, ProviderAzureDevOps:
		if len(parts) != 2 || slices.Contains(parts, "") {
			errs.add(f, "required: %s (could not take it from the repository URL)", projectShape[p.Kind])
		}
	default:
		if p.Project == "" || !strings.Contains(p.Project, "/") {
			errs.add(f, "required: owner/repo (could not take it from the repository URL)")
		}
	}
}

var projectShape = map[string]string{
	ProviderBitbucket:   "workspace/repo",
	ProviderBitbucketDC: "PROJECTKEY/repo",
	ProviderAzureDevOps: "project/repo",
}

// validateHostUsers checks the user names only some hosts take: a basic-auth
// user for Bitbucket, the service hooks' user for Azure DevOps.
func validateHostUsers(errs *fieldErrors, f string, p Provider) {
	if p.Username != "" && p.Kind != ProviderBitbucket && p.Kind != ProviderBitbucketDC {
		errs.add(f+".username", "only for bitbucket and bitbucket-datacenter")
	}
	switch {
	case p.Kind == ProviderAzureDevOps && p.WebhookUsername == "":
		errs.add(f+".webhookUsername", "required for azure-devops: the basic-auth user name of the service hooks")
	case p.Kind != ProviderAzureDevOps && p.WebhookUsername != "":
		errs.add(f+".webhookUsername", "only for azure-devops")
	}
}

// hostProject trims the host's own path words from a project taken from a
// clone URL: Bitbucket Data Center clones from /scm/KEY/repo.git, Azure
// DevOps from /org/project/_git/repo.
func hostProject(kind, project string) string {
	switch kind {
	case ProviderBitbucketDC:
		return strings.TrimPrefix(project, "scm/")
	case ProviderAzureDevOps:
		parts := strings.Split(project, "/")
		if i := slices.Index(parts, "_git"); i >= 1 && i == len(parts)-2 {
			return parts[i-1] + "/" + parts[i+1]
		}
	}
	return project
}
