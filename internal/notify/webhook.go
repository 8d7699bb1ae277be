package notify

import (
	"encoding/json"
	"time"

	"github.com/ferryhq/ferry/internal/stdwebhook"
)

// webhook posts the Message as JSON, signed with Standard Webhooks (the
// code that verifies Ferry's inbound webhooks): webhook-id is the delivery
// id, the same on every attempt, for the receiver to drop repeats.
type webhook struct {
	to  string
	key []byte
}

func (w *webhook) kind() string { return "webhook" }
func (w *webhook) url() string  { return w.to }

func (w *webhook) encode(id string, now time.Time, m Message) ([]byte, map[string]string, error) {
	body, err := json.Marshal(struct {
		Type string  `json:"type"`
		ID   string  `json:"id"`
		Data Message `json:"data"`
		Text string  `json:"text"`
	}{m.Event, id, m, m.Text()})
	if err != nil {
		return nil, nil, err
	}
	return body, stdwebhook.Headers(w.key, id, now.Unix(), body), nil
}
