package notify

import (
	"encoding/json"
	"time"
)

// teams posts an Adaptive Card to a Microsoft Teams Workflows webhook
// ("Post to a channel when a webhook request is received"), in the
// message envelope it takes.
type teams struct{ to string }

func (t *teams) kind() string { return "teams" }
func (t *teams) url() string  { return t.to }

func (t *teams) encode(id string, _ time.Time, m Message) ([]byte, map[string]string, error) {
	facts := []map[string]string{{"title": "Application", "value": m.Application}, {"title": "Environment", "value": m.Environment},
		{"title": "Release", "value": m.To}, {"title": "Digest", "value": m.Digest}}
	if m.From != "" {
		facts = append(facts, map[string]string{"title": "Replaces", "value": m.From})
	}
	if m.CommitSHA != "" {
		facts = append(facts, map[string]string{"title": "Commit", "value": m.CommitSHA})
	}
	var actions []map[string]string
	for _, l := range m.links() {
		actions = append(actions, map[string]string{"type": "Action.OpenUrl", "title": l[0], "url": l[1]})
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body": []any{
			map[string]any{"type": "TextBlock", "text": m.Text(), "wrap": true, "weight": "Bolder"},
			map[string]any{"type": "FactSet", "facts": facts},
		},
	}
	if len(actions) > 0 {
		card["actions"] = actions
	}
	body, err := json.Marshal(map[string]any{
		"type": "message",
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"content":     card,
		}},
	})
	return body, nil, err
}
