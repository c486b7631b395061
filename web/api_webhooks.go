package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/webhook"
	"smartbot/store"
)

// The webhooks API: endpoints and their delivery logs, a test ping,
// redelivery, secret rotation, and one event of the history by id. An
// endpoint sends the shop's data to a URL of its owner's choosing, so
// making and changing one takes the owner; testing and redelivering what
// an owner set up is an operator's work.

// webhooksRoutes are the webhooks API routes.
func (s *Server) webhooksRoutes() []route {
	viewer, operator, owner := app.RoleViewer, app.RoleOperator, app.RoleOwner
	return []route{
		{pattern: "GET /api/webhooks", need: viewer, handler: s.apiWebhooks},
		{pattern: "POST /api/webhooks", need: owner, create: s.apiCreateWebhook},
		{pattern: "GET /api/webhooks/{id}", need: viewer, handler: s.apiWebhook},
		{pattern: "PATCH /api/webhooks/{id}", need: owner, handler: s.apiUpdateWebhook},
		{pattern: "DELETE /api/webhooks/{id}", need: owner, handler: s.apiDeleteWebhook},
		{pattern: "POST /api/webhooks/{id}/rotate-secret", need: owner, handler: s.apiRotateWebhookSecret},
		{pattern: "POST /api/webhooks/{id}/test", need: operator, handler: s.apiTestWebhook},
		{pattern: "GET /api/webhooks/{id}/logs", need: viewer, handler: s.apiWebhookLogs},
		{pattern: "POST /api/webhooks/{id}/redeliver", need: operator, handler: s.apiRedeliverWebhook},
		{pattern: "GET /api/events/{id}", need: viewer, handler: s.apiEvent},
	}
}

func (s *Server) apiWebhooks(w http.ResponseWriter, r *http.Request) error {
	hooks, err := s.db.ListWebhooks(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wholeList(hooks))
	return nil
}

// apiCreateWebhook answers 201 with the endpoint and its secret, the one
// time the secret is shown.
func (s *Server) apiCreateWebhook(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	var in struct {
		URL         string          `json:"url"`
		Description string          `json:"description"`
		Events      []app.EventType `json:"events"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	hook, err := s.webhooks.CreateTx(r.Context(), tx, webhook.NewWebhook{URL: in.URL, Description: in.Description, Events: in.Events})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/webhooks/"+hook.ID)
	writeJSON(w, http.StatusCreated, hook)
	return nil
}

func webhookID(r *http.Request) (string, error) { return pathID(r, app.PrefixWebhook, "webhook") }

func (s *Server) apiWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	hook, err := s.webhooks.Webhook(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

// apiUpdateWebhook changes what is given. "active": true turns a disabled
// endpoint back on; with "redeliver_failed": true it also sends again what
// failed to reach it meanwhile.
func (s *Server) apiUpdateWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	var in struct {
		URL             *string          `json:"url"`
		Description     *string          `json:"description"`
		Events          *[]app.EventType `json:"events"`
		Active          *bool            `json:"active"`
		RedeliverFailed bool             `json:"redeliver_failed"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ch := webhook.Change{URL: in.URL, Description: in.Description, Events: in.Events, Active: in.Active}
	if ch == (webhook.Change{}) {
		return app.Invalid(app.FieldError{Field: "url", Message: "nothing to change: give url, description, events or active"})
	}
	if in.RedeliverFailed && (in.Active == nil || !*in.Active) {
		return app.Invalid(app.FieldError{Field: "redeliver_failed", Message: `goes with "active": true`})
	}
	var hook app.Webhook
	var queued int
	err = s.db.Write(r.Context(), func(tx *store.Tx) error {
		if in.Active != nil && *in.Active {
			// Turning on goes through Enable, which knows what failed meanwhile.
			ch.Active = nil
			if hook, queued, err = s.webhooks.EnableTx(r.Context(), tx, id, in.RedeliverFailed); err != nil {
				return err
			}
			if ch == (webhook.Change{}) {
				return nil
			}
		}
		hook, err = s.webhooks.UpdateTx(r.Context(), tx, id, ch)
		return err
	})
	if err != nil {
		return err
	}
	if in.RedeliverFailed {
		w.Header().Set("Smartbot-Redelivered", strconv.Itoa(queued))
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

func (s *Server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := s.webhooks.Delete(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiRotateWebhookSecret answers the endpoint with its new secret, shown
// this once; the old one signs beside it for 24 hours.
func (s *Server) apiRotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	hook, err := s.webhooks.RotateSecret(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

// apiTestWebhook sends a ping now and answers its log row: what the
// endpoint answered, or why it could not be reached.
func (s *Server) apiTestWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	l, err := s.webhooks.Test(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

var webhookOutcomes = []string{store.WebhookDelivered, store.WebhookFailed, store.WebhookDeferred}

// apiWebhookLogs lists an endpoint's attempts, newest first; filters
// event_id, outcome and since (a date or an RFC 3339 time).
func (s *Server) apiWebhookLogs(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.WebhookLogFilter{WebhookID: id, EventID: q.Get("event_id"), Outcome: q.Get("outcome"), Limit: limit + 1}
	var errs []app.FieldError
	if cursor != "" {
		if f.Before, err = strconv.ParseInt(cursor, 10, 64); err != nil || f.Before <= 0 {
			errs = append(errs, app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
		}
	}
	if f.EventID != "" && !app.ValidID(app.PrefixEvent, f.EventID) {
		errs = append(errs, app.FieldError{Field: "event_id", Message: "is not an event id (evt_…)"})
	}
	if f.Outcome != "" && !slices.Contains(webhookOutcomes, f.Outcome) {
		errs = append(errs, app.FieldError{Field: "outcome", Message: "must be one of " + strings.Join(webhookOutcomes, ", ")})
	}
	if v := q.Get("since"); v != "" {
		if f.Since, err = parseDay(v); err != nil {
			errs = append(errs, app.FieldError{Field: "since", Message: "must be a date (2026-11-25) or an RFC 3339 time"})
		}
	}
	if len(errs) > 0 {
		return app.Invalid(errs...)
	}
	if _, err := s.db.Webhook(r.Context(), id); err != nil {
		return err
	}
	logs, err := s.db.ListWebhookLogs(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(logs, limit, func(l store.WebhookLog) string { return strconv.FormatInt(l.ID, 10) }))
	return nil
}

// apiRedeliverWebhook queues one event ({"event_id"}) or everything that
// failed to reach the endpoint since a time ({"since"}): 202 with how many.
func (s *Server) apiRedeliverWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	var in struct {
		EventID string     `json:"event_id"`
		Since   *time.Time `json:"since"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	red := webhook.Redelivery{EventID: in.EventID}
	if in.Since != nil {
		red.Since = *in.Since
	}
	if in.EventID != "" && !app.ValidID(app.PrefixEvent, in.EventID) {
		return app.Invalid(app.FieldError{Field: "event_id", Message: "is not an event id (evt_…)"})
	}
	n, err := s.webhooks.Redeliver(r.Context(), id, red)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"queued": n})
	return nil
}

// apiEvent answers one event of the history as webhooks receive it.
func (s *Server) apiEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixEvent, "event")
	if err != nil {
		return err
	}
	_, payload, err := s.db.EventPayload(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSONWith(w, http.StatusOK, func(b []byte) []byte { return append(b, payload...) })
	return nil
}
