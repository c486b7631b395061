package webhook

import (
	"context"
	"encoding/json"

	"smartbot/app"
	"smartbot/store"
)

// Ping is the event type of a test delivery. It is not one of the public
// event types and never enters the event history: a test is about the
// endpoint, not the shop, and receivers filtering by type ignore it.
const Ping = "ping"

// PingData is the data of a ping.
type PingData struct {
	WebhookID string `json:"webhook_id"`
	Message   string `json:"message"`
}

// Test sends the endpoint a ping now, signed like any delivery, and returns
// its log row with what the endpoint answered. It works on a turned-off
// endpoint too (to check it before turning it on) and leaves the
// endpoint's health as it was.
func (s *Service) Test(ctx context.Context, id string) (store.WebhookLog, error) {
	w, err := s.db.Webhook(ctx, id)
	if err != nil {
		return store.WebhookLog{}, err
	}
	e := struct {
		ID        string   `json:"id"`
		Type      string   `json:"type"`
		Timestamp string   `json:"timestamp"`
		Data      PingData `json:"data"`
	}{app.NewID(app.PrefixEvent), Ping, app.FormatTime(s.now()), PingData{WebhookID: w.ID, Message: "A test delivery from Smartbot."}}
	body, _ := json.Marshal(e)
	l, _ := s.post(ctx, w, e.ID, body)
	l.EventType, l.Attempt = Ping, 1
	if l.Outcome == store.WebhookDeferred {
		l.Outcome = store.WebhookFailed // a test is not tried again
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error { return tx.InsertWebhookLog(ctx, &l) })
	return l, err
}
