package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
)

// rotationOverlap is how long a replaced secret keeps signing beside its
// successor, so a receiver can deploy the new one without missing a beat.
const rotationOverlap = 24 * time.Hour

// maxRedeliver caps one redelivery of "everything that failed since": a
// larger backlog is sent in several requests.
const maxRedeliver = 10000

// NewWebhook is what creating an endpoint takes. No Events means all of them.
type NewWebhook struct {
	URL         string
	Description string
	Events      []app.EventType
}

// Change is what an update changes; nil fields stay as they are. Active
// true turns a disabled endpoint back on (see Enable to also redeliver).
type Change struct {
	URL         *string
	Description *string
	Events      *[]app.EventType
	Active      *bool
}

// validEvents checks a subscription: known types, or "*" alone.
func validEvents(events []app.EventType) ([]app.EventType, error) {
	if len(events) == 0 {
		return []app.EventType{app.AllEvents}, nil
	}
	out := make([]app.EventType, 0, len(events))
	for _, e := range events {
		if e == app.AllEvents && len(events) > 1 {
			return nil, app.Invalid(app.FieldError{Field: "events", Message: `"*" stands for every type and comes alone`})
		}
		if e != app.AllEvents && !e.Valid() {
			return nil, app.Invalid(app.FieldError{Field: "events", Message: fmt.Sprintf("%q is not an event type", app.Shorten(string(e), 40))})
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func validDescription(d string) error {
	if utf8.RuneCountInString(d) > 500 {
		return app.Invalid(app.FieldError{Field: "description", Message: "is longer than 500 characters"})
	}
	return nil
}

// Create makes an endpoint with a fresh secret, which the returned webhook
// carries: the one time it is shown.
func (s *Service) Create(ctx context.Context, in NewWebhook) (app.Webhook, error) {
	var w app.Webhook
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		w, err = s.CreateTx(ctx, tx, in)
		return err
	})
	return w, err
}

// CreateTx is Create inside tx. The URL is checked (and resolved) before.
func (s *Service) CreateTx(ctx context.Context, tx *store.Tx, in NewWebhook) (app.Webhook, error) {
	if err := s.guard.checkURL(ctx, in.URL); err != nil {
		return app.Webhook{}, err
	}
	events, err := validEvents(in.Events)
	if err != nil {
		return app.Webhook{}, err
	}
	if err := validDescription(in.Description); err != nil {
		return app.Webhook{}, err
	}
	w := app.Webhook{ID: app.NewID(app.PrefixWebhook), URL: in.URL, Description: in.Description, Events: events,
		Active: true, Secret: NewSecret()}
	if err := tx.CreateWebhook(ctx, &w); err != nil {
		return app.Webhook{}, err
	}
	return w, nil
}

// Webhook returns an endpoint as it is shown: without its secrets.
func (s *Service) Webhook(ctx context.Context, id string) (app.Webhook, error) {
	w, err := s.db.Webhook(ctx, id)
	return hide(w), err
}

func hide(w app.Webhook) app.Webhook {
	w.Secret, w.PreviousSecret = "", ""
	return w
}

// Update changes an endpoint; a new URL is checked like a created one.
func (s *Service) Update(ctx context.Context, id string, ch Change) (app.Webhook, error) {
	var w app.Webhook
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		w, err = s.UpdateTx(ctx, tx, id, ch)
		return err
	})
	return w, err
}

// UpdateTx is Update inside tx.
func (s *Service) UpdateTx(ctx context.Context, tx *store.Tx, id string, ch Change) (app.Webhook, error) {
	before, err := tx.Webhook(ctx, id)
	if err != nil {
		return app.Webhook{}, err
	}
	w := before
	if ch.URL != nil {
		if err := s.guard.checkURL(ctx, *ch.URL); err != nil {
			return app.Webhook{}, err
		}
		w.URL = *ch.URL
	}
	if ch.Description != nil {
		if err := validDescription(*ch.Description); err != nil {
			return app.Webhook{}, err
		}
		w.Description = *ch.Description
	}
	if ch.Events != nil {
		if w.Events, err = validEvents(*ch.Events); err != nil {
			return app.Webhook{}, err
		}
	}
	if ch.Active != nil {
		w.Active = *ch.Active
		if !w.Active && before.Active {
			w.DisabledReason = "turned off by " + app.ActorFrom(ctx).Name
		}
	}
	if err := tx.UpdateWebhook(ctx, before, &w); err != nil {
		return app.Webhook{}, err
	}
	return hide(w), nil
}

// Delete removes an endpoint and its logs; deliveries still queued for it end.
func (s *Service) Delete(ctx context.Context, id string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.DeleteTx(ctx, tx, id) })
}

// DeleteTx is Delete inside tx.
func (s *Service) DeleteTx(ctx context.Context, tx *store.Tx, id string) error {
	return tx.DeleteWebhook(ctx, id)
}

// RotateSecret gives the endpoint a new secret, returned once in the
// webhook. The old one keeps signing beside it for 24 hours.
func (s *Service) RotateSecret(ctx context.Context, id string) (app.Webhook, error) {
	var w app.Webhook
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		w, err = s.RotateSecretTx(ctx, tx, id)
		return err
	})
	return w, err
}

// RotateSecretTx is RotateSecret inside tx.
func (s *Service) RotateSecretTx(ctx context.Context, tx *store.Tx, id string) (app.Webhook, error) {
	secret := NewSecret()
	if err := tx.RotateWebhookSecret(ctx, id, secret, s.now().Add(rotationOverlap)); err != nil {
		return app.Webhook{}, err
	}
	w, err := tx.Webhook(ctx, id)
	if err != nil {
		return app.Webhook{}, err
	}
	w.PreviousSecret = ""
	return w, nil
}

// Enable turns a disabled endpoint back on and, when redeliver is set,
// sends again every event that failed to reach it since its failures
// began (or since it was turned off). It returns how many were queued.
func (s *Service) Enable(ctx context.Context, id string, redeliver bool) (app.Webhook, int, error) {
	var w app.Webhook
	var n int
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		w, n, err = s.EnableTx(ctx, tx, id, redeliver)
		return err
	})
	return w, n, err
}

// EnableTx is Enable inside tx.
func (s *Service) EnableTx(ctx context.Context, tx *store.Tx, id string, redeliver bool) (app.Webhook, int, error) {
	before, err := tx.Webhook(ctx, id)
	if err != nil {
		return app.Webhook{}, 0, err
	}
	since := before.CreatedAt
	switch {
	case before.FailingSince != nil:
		since = *before.FailingSince
	case before.DisabledAt != nil:
		since = *before.DisabledAt
	}
	on := true
	w, err := s.UpdateTx(ctx, tx, id, Change{Active: &on})
	if err != nil || !redeliver {
		return w, 0, err
	}
	n, err := s.redeliverSince(ctx, tx, id, since)
	return w, n, err
}

// Redelivery says what to send again: one event by id, or every event that
// failed to reach the endpoint since a time and never did.
type Redelivery struct {
	EventID string
	Since   time.Time
}

// Redeliver queues the redelivery and returns how many events it queued.
func (s *Service) Redeliver(ctx context.Context, id string, r Redelivery) (int, error) {
	var n int
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		n, err = s.RedeliverTx(ctx, tx, id, r)
		return err
	})
	return n, err
}

// RedeliverTx is Redeliver inside tx.
func (s *Service) RedeliverTx(ctx context.Context, tx *store.Tx, id string, r Redelivery) (int, error) {
	if (r.EventID == "") == r.Since.IsZero() {
		return 0, app.Invalid(app.FieldError{Field: "event_id", Message: "give either event_id or since"})
	}
	w, err := tx.Webhook(ctx, id)
	if err != nil {
		return 0, err
	}
	if !w.Active {
		return 0, app.Errorf(app.ECONFLICT, "the webhook is turned off (%s); turn it on first, which can redeliver what failed meanwhile", w.DisabledReason)
	}
	if r.EventID == "" {
		return s.redeliverSince(ctx, tx, id, r.Since)
	}
	if _, _, err := s.db.EventPayload(ctx, r.EventID); err != nil {
		return 0, err
	}
	return 1, s.enqueue(ctx, tx, id, r.EventID)
}

func (s *Service) redeliverSince(ctx context.Context, tx *store.Tx, id string, since time.Time) (int, error) {
	events, err := s.db.FailedWebhookEvents(ctx, id, since, maxRedeliver)
	if err != nil {
		return 0, err
	}
	for _, e := range events {
		if err := s.enqueue(ctx, tx, id, e); err != nil {
			return 0, err
		}
	}
	return len(events), nil
}

// enqueue sends one delivery job, as the emitter does for a new event.
func (s *Service) enqueue(ctx context.Context, tx *store.Tx, webhookID, eventID string) error {
	body, _ := json.Marshal(app.WebhookDeliveryJob{EventID: eventID, WebhookID: webhookID})
	return s.queues.Send(ctx, tx, queue.WebhookDelivery, body)
}
