package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// slack posts to a Slack incoming webhook: the text and a Block Kit
// section with the links (https://api.slack.com/messaging/webhooks).
// Slack keeps no delivery id, so a repeat shows twice there.
type slack struct{ to string }

func (s *slack) kind() string { return "slack" }
func (s *slack) url() string  { return s.to }

func (s *slack) encode(id string, _ time.Time, m Message) ([]byte, map[string]string, error) {
	text := slackEscape(m.Text())
	var links []string
	for _, l := range m.links() {
		links = append(links, fmt.Sprintf("<%s|%s>", l[1], l[0]))
	}
	if m.CommitSHA != "" {
		links = append(links, "commit `"+shortSHA(m.CommitSHA)+"`")
	}
	blocks := []any{map[string]any{"type": "section", "text": map[string]string{"type": "mrkdwn", "text": "*" + text + "*"}}}
	if len(links) > 0 {
		blocks = append(blocks, map[string]any{"type": "context", "elements": []map[string]string{{"type": "mrkdwn", "text": strings.Join(links, " · ")}}})
	}
	body, err := json.Marshal(map[string]any{"text": text, "blocks": blocks})
	return body, nil, err
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
