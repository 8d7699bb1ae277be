package config

import (
	"strings"
	"testing"
)

func TestParseServerNotifications(t *testing.T) {
	t.Setenv("FERRY_TEST_SLACK_URL", "https://hooks.slack.com/services/T0/B0/secretpart")
	c, err := ParseServer(strings.NewReader(valid + `notifications:
  allow: [hooks.slack.com, 127.0.0.1:9999]
  consoleURL: https://ferry.example.com
  destinations:
    - name: ops
      kind: webhook
      url: http://127.0.0.1:9999/hook
      secret: ` + whsec(32) + `
      events: [promotion.committed, pr.opened]
    - name: releases
      kind: slack
      url: {env: FERRY_TEST_SLACK_URL}
      environments: [prod]
`))
	if err != nil {
		t.Fatal(err)
	}
	n := c.Notifications
	if len(n.Destinations) != 2 || n.Destinations[1].URL.Value() != "https://hooks.slack.com/services/T0/B0/secretpart" ||
		n.Destinations[0].Events[1] != "pr.opened" || n.ConsoleURL != "https://ferry.example.com" {
		t.Fatalf("notifications = %+v", n)
	}
}

func TestParseServerNotificationsInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, dest, field string
	}{
		{"host not allowed", "{name: a, kind: slack, url: https://evil.example.com/x}", "notifications.destinations[0].url"},
		{"plain http off loopback", "{name: a, kind: slack, url: http://hooks.slack.com/x}", "notifications.destinations[0].url"},
		{"unknown kind", "{name: a, kind: email, url: https://hooks.slack.com/x}", "notifications.destinations[0].kind"},
		{"webhook without secret", "{name: a, kind: webhook, url: https://hooks.slack.com/x}", "notifications.destinations[0].secret"},
		{"unknown event", "{name: a, kind: slack, url: https://hooks.slack.com/x, events: [deployed]}", "notifications.destinations[0].events[0]"},
		{"bad name", "{name: A, kind: slack, url: https://hooks.slack.com/x}", "notifications.destinations[0].name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseServer(strings.NewReader(valid + "notifications:\n  allow: [hooks.slack.com]\n  destinations:\n    - " + tc.dest + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
			if strings.Contains(err.Error(), "evil.example.com/x") || strings.Contains(err.Error(), "hooks.slack.com/x") {
				t.Errorf("error shows the URL: %v", err)
			}
		})
	}
}
