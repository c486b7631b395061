package app

import "time"

// Webhook is an endpoint that receives signed deliveries of the events it
// subscribes to (DESIGN.md §8). Secret is only filled when it is shown: in
// the responses to create and rotate.
type Webhook struct {
	ID             string      `json:"id"`
	URL            string      `json:"url"`
	Description    string      `json:"description"`
	Secret         string      `json:"secret,omitempty"`
	Events         []EventType `json:"events"` // or the single "*" for every type
	Active         bool        `json:"active"`
	DisabledReason string      `json:"disabled_reason"`
	FailureStreak  int         `json:"failure_streak"`
	// FailingSince is when the current run of failed deliveries began;
	// nil while the last delivery succeeded. Five days of it disables.
	FailingSince  *time.Time `json:"failing_since"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	DisabledAt    *time.Time `json:"disabled_at"`
	// PreviousSecret still signs, beside Secret, until
	// PreviousSecretExpiresAt: the 24 hours after a rotation.
	PreviousSecret          string     `json:"-"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

// AllEvents subscribes a webhook to every event type.
const AllEvents EventType = "*"

// Subscribes reports whether w wants events of type t.
func (w Webhook) Subscribes(t EventType) bool {
	for _, e := range w.Events {
		if e == t || e == AllEvents {
			return true
		}
	}
	return false
}

// WebhookDeliveryJob is the body of a webhook_delivery job: deliver one event
// to one endpoint. The worker reads both fresh, so a rotated secret or a
// disabled endpoint takes effect on the next attempt.
type WebhookDeliveryJob struct {
	EventID   string `json:"event_id"`
	WebhookID string `json:"webhook_id"`
}
