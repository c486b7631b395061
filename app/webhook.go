package app

import "time"

// Webhook is an endpoint that receives signed deliveries of the events it
// subscribes to (DESIGN.md §8). Secret is only filled when it is shown: in
// the responses to create and rotate.
type Webhook struct {
	ID             string
	URL            string
	Description    string
	Secret         string
	Events         []EventType // or the single "*" for every type
	Active         bool
	DisabledReason string
	FailureStreak  int
	CreatedAt      time.Time
	UpdatedAt      time.Time
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
