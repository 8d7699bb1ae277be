package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/ferryhq/ferry/internal/stdwebhook"
)

// Notifications says where Ferry tells people what moved.
type Notifications struct {
	// Allow is the allowlist of destination hosts ("hooks.slack.com",
	// "hooks.example.com:8443"): a destination whose URL names another host
	// is refused when the config loads, and the sender refuses to connect
	// anywhere else, redirects included.
	Allow []string `yaml:"allow"`
	// ConsoleURL is Ferry's public base URL, for links to the console's
	// page of a promotion (/promotions/<id>). Default: no console links.
	ConsoleURL string `yaml:"consoleURL"`
	// MaxAttempts is how many times a delivery is tried before it is
	// dead-lettered. Default 10.
	MaxAttempts int `yaml:"maxAttempts"`
	// RetryFirst and RetryMax shape the backoff between attempts at a
	// delivery: RetryFirst doubling per attempt, at most RetryMax. Defaults
	// 1s and 5m. A lower RetryMax brings a receiver that was down its
	// backlog sooner after it is back, at the cost of more attempts.
	RetryFirst Duration `yaml:"retryFirst"`
	RetryMax   Duration `yaml:"retryMax"`
	// Lease is how long a replica holds a delivery it is sending; one
	// killed mid-send leaves it to another after this. Default 1m.
	Lease Duration `yaml:"lease"`
	// Destinations each get the events their filters let through.
	Destinations []Destination `yaml:"destinations"`
}

// Destination kinds.
const (
	DestinationWebhook = "webhook"
	DestinationSlack   = "slack"
	DestinationTeams   = "teams"
	// Deployment status back on the source commit of a release (the
	// report's source_repo and source_commit); url is the host's API base,
	// secret its token.
	DestinationGitHubDeployment = "github-deployment"
	DestinationGitLabDeployment = "gitlab-deployment"
	DestinationGiteaStatus      = "gitea-status"
)

// NotificationEvents are the event names a destination may filter on.
var NotificationEvents = []string{
	"report.accepted", "report.refused",
	"promotion.created", "promotion.waiting", "promotion.committed", "pr.opened", "promotion.approved",
	"promotion.merged", "promotion.rejected", "promotion.failed", "promotion.superseded",
	"environment.pinned", "environment.unpinned",
}

// Destination is one receiver of notifications.
type Destination struct {
	// Name identifies the destination in deliveries; unique.
	Name string `yaml:"name"`
	// Kind is webhook (JSON signed with Standard Webhooks), slack (an
	// incoming webhook) or teams (a Workflows webhook taking an Adaptive
	// Card).
	Kind string `yaml:"kind"`
	// URL is where deliveries are POSTed. Slack and Teams URLs carry their
	// own credential, so it is a Secret and never logged.
	URL Secret `yaml:"url"`
	// Secret is the whsec_… key webhook deliveries are signed with.
	Secret Secret `yaml:"secret"`
	// Events, Applications and Environments filter what is sent; empty
	// means all.
	Events       []string `yaml:"events"`
	Applications []string `yaml:"applications"`
	Environments []string `yaml:"environments"`
	// MaxAttempts overrides notifications.maxAttempts for this destination
	// (0: that one).
	MaxAttempts int `yaml:"maxAttempts"`
}

// validateNotifications checks the notifications block.
func validateNotifications(errs *fieldErrors, n Notifications) {
	for i, h := range n.Allow {
		if h == "" || strings.ContainsAny(h, "/@?# ") {
			errs.add(fmt.Sprintf("notifications.allow[%d]", i), "%q must be a bare host or host:port", h)
		}
	}
	if n.ConsoleURL != "" {
		if u, err := url.Parse(n.ConsoleURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs.add("notifications.consoleURL", "%q is not an http(s) URL", n.ConsoleURL)
		}
	}
	if n.RetryFirst < 0 || n.RetryMax < 0 || n.Lease < 0 {
		errs.add("notifications", "retryFirst, retryMax and lease must not be negative")
	}
	if n.MaxAttempts < 0 {
		errs.add("notifications.maxAttempts", "must not be negative")
	}
	names := map[string]bool{}
	for i, d := range n.Destinations {
		f := fmt.Sprintf("notifications.destinations[%d]", i)
		if d.MaxAttempts < 0 {
			errs.add(f+".maxAttempts", "must not be negative")
		}
		switch {
		case !nameRE.MatchString(d.Name):
			errs.add(f+".name", "%q must be lowercase letters, digits and dashes", d.Name)
		case names[d.Name]:
			errs.add(f+".name", "%q is used twice", d.Name)
		}
		names[d.Name] = true
		switch d.Kind {
		case DestinationWebhook:
			if _, err := stdwebhook.ParseSecret(d.Secret.Value()); err != nil {
				errs.add(f+".secret", "%v", err)
			}
		case DestinationSlack, DestinationTeams:
		case DestinationGitHubDeployment, DestinationGitLabDeployment, DestinationGiteaStatus:
			if d.Secret.Value() == "" {
				errs.add(f+".secret", "required: the API token of the source repositories' host")
			}
		default:
			errs.add(f+".kind", "%q is not webhook, slack, teams, github-deployment, gitlab-deployment or gitea-status", d.Kind)
		}
		// The error names the field and the rule, never the URL: it may
		// hold a credential.
		u, err := url.Parse(d.URL.Value())
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			errs.add(f+".url", "must be an http(s) URL")
		case u.Scheme == "http" && !loopbackHost(u.Hostname()):
			errs.add(f+".url", "must be https (plain http only to a loopback address)")
		case u.User != nil:
			errs.add(f+".url", "must not carry a user or password")
		case !HostAllowed(n.Allow, u.Host):
			errs.add(f+".url", "its host %s is not in notifications.allow", u.Host)
		}
		for j, e := range d.Events {
			if !slices.Contains(NotificationEvents, e) {
				errs.add(fmt.Sprintf("%s.events[%d]", f, j), "%q is not one of %s", e, strings.Join(NotificationEvents, ", "))
			}
		}
	}
}

// HostAllowed says whether host (host or host:port, from a URL) is on
// allow: an entry without a port allows the host on its scheme's default
// port only.
func HostAllowed(allow []string, host string) bool {
	host = strings.ToLower(host)
	return slices.ContainsFunc(allow, func(a string) bool { return strings.ToLower(a) == host })
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
