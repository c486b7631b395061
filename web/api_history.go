package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
)

// auditView is one audit row as the API shows it.
type auditView struct {
	ID         int64           `json:"id"`
	ActorType  string          `json:"actor_type"`
	ActorID    string          `json:"actor_id"`
	ActorName  string          `json:"actor_name"`
	Action     string          `json:"action"`
	EntityType string          `json:"entity_type"`
	EntityID   string          `json:"entity_id"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	RequestID  string          `json:"request_id"`
	RemoteAddr string          `json:"remote_addr"`
	CreatedAt  string          `json:"created_at"`
}

var filterRE = regexp.MustCompile(`^[a-z0-9_.:@+\-]{1,100}$`)

// auditFilter reads the audit filters from the query: entity_type,
// entity_id, actor_type, actor_id, action, since, until (RFC 3339 or
// YYYY-MM-DD).
func auditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{
		EntityType: q.Get("entity_type"), EntityID: q.Get("entity_id"),
		ActorType: q.Get("actor_type"), ActorID: q.Get("actor_id"), Action: q.Get("action"),
	}
	var errs []app.FieldError
	for name, v := range map[string]string{"entity_type": f.EntityType, "entity_id": f.EntityID, "actor_type": f.ActorType, "actor_id": f.ActorID, "action": f.Action} {
		if v != "" && !filterRE.MatchString(v) {
			errs = append(errs, app.FieldError{Field: name, Message: "has characters no such value has"})
		}
	}
	for name, dst := range map[string]*string{"since": &f.Since, "until": &f.Until} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := parseDay(v)
		if err != nil {
			errs = append(errs, app.FieldError{Field: name, Message: "must be a date (2026-11-25) or an RFC 3339 time"})
			continue
		}
		if name == "until" && len(v) == len("2006-01-02") {
			t = t.Add(24 * time.Hour) // the whole day
		}
		*dst = app.FormatTime(t)
	}
	if len(errs) > 0 {
		return f, app.Invalid(errs...)
	}
	return f, nil
}

func parseDay(v string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	if cursor != "" {
		if f.Before, err = strconv.ParseInt(cursor, 10, 64); err != nil {
			return app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
		}
	}
	f.Limit = limit + 1
	rows, err := s.db.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	views := make([]auditView, len(rows))
	for i, a := range rows {
		views[i] = auditView{ID: a.ID, ActorType: a.Actor.Type, ActorID: a.Actor.ID, ActorName: a.Actor.Name, Action: a.Action,
			EntityType: a.EntityType, EntityID: a.EntityID, Before: a.Before, After: a.After, RequestID: a.RequestID,
			RemoteAddr: a.RemoteAddr, CreatedAt: a.CreatedAt}
	}
	p := newPage(views, limit, func(v auditView) string { return strconv.FormatInt(v.ID, 10) })
	writeJSONWith(w, http.StatusOK, func(b []byte) []byte { return appendPage(b, p, appendAuditJSON) })
	return nil
}

// appendAuditJSON appends v as encoding/json would write it, with the
// stored before and after documents as they are.
func appendAuditJSON(b []byte, v auditView) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, v.ID, 10)
	b = appendJSONString(append(b, `,"actor_type":`...), v.ActorType)
	b = appendJSONString(append(b, `,"actor_id":`...), v.ActorID)
	b = appendJSONString(append(b, `,"actor_name":`...), v.ActorName)
	b = appendJSONString(append(b, `,"action":`...), v.Action)
	b = appendJSONString(append(b, `,"entity_type":`...), v.EntityType)
	b = appendJSONString(append(b, `,"entity_id":`...), v.EntityID)
	b = appendRaw(append(b, `,"before":`...), v.Before)
	b = appendRaw(append(b, `,"after":`...), v.After)
	b = appendJSONString(append(b, `,"request_id":`...), v.RequestID)
	b = appendJSONString(append(b, `,"remote_addr":`...), v.RemoteAddr)
	b = appendJSONString(append(b, `,"created_at":`...), v.CreatedAt)
	return append(b, '}')
}

// appendEventJSON appends an event of the history as the API shows it:
// the webhook payload, as stored, with its place ("seq") first.
func appendEventJSON(b []byte, e store.EventJSON) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, ',')
	return append(b, e.Payload[1:]...) // the stored object without its "{"
}

func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	f := store.EventFilter{Limit: limit + 1}
	if t := app.EventType(r.URL.Query().Get("type")); t != "" {
		if !t.Valid() {
			return app.Invalid(app.FieldError{Field: "type", Message: "is not an event type"})
		}
		f.Type = t
	}
	if cursor != "" {
		if f.Cursor, err = strconv.ParseInt(cursor, 10, 64); err != nil {
			return app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
		}
	}
	rows, err := s.db.ListEventsJSON(r.Context(), f)
	if err != nil {
		return err
	}
	for _, e := range rows {
		// Every payload is a JSON object with members (Tx.InsertEvent
		// writes an app.Event); anything else is not sent on.
		if len(e.Payload) < 3 || e.Payload[0] != '{' {
			return fmt.Errorf("web: event %d: stored payload is not an event", e.Seq)
		}
	}
	p := newPage(rows, limit, func(e store.EventJSON) string { return strconv.FormatInt(e.Seq, 10) })
	writeJSONWith(w, http.StatusOK, func(b []byte) []byte { return appendPage(b, p, appendEventJSON) })
	return nil
}

func (s *Server) apiQueues(w http.ResponseWriter, r *http.Request) error {
	stats, err := s.queues.Stats(r.Context(), s.runner)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": stats})
	return nil
}

// deadView is a dead letter as the API shows it; the body is shown as text
// when it is JSON or UTF-8, which every job body of Smartbot's is.
type deadView struct {
	ID         string `json:"id"`
	Queue      string `json:"queue"`
	Body       string `json:"body"`
	Attempts   int    `json:"attempts"`
	Error      string `json:"error"`
	EnqueuedAt string `json:"enqueued_at"`
	FailedAt   string `json:"failed_at"`
}

var deadIDRE = regexp.MustCompile(`^m_[0-9a-f]{32}$`)

func (s *Server) apiDeadLetters(w http.ResponseWriter, r *http.Request) error {
	name := queue.Name(r.PathValue("queue"))
	if !name.Valid() {
		return app.Errorf(app.ENOTFOUND, "no queue %q; the queues are media_processing, message_sending, order_processing and webhook_delivery", app.Shorten(string(name), 40))
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	if cursor != "" && !deadIDRE.MatchString(cursor) {
		return app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
	}
	dead, err := s.queues.DeadLetters(r.Context(), name, cursor, limit+1)
	if err != nil {
		return err
	}
	views := make([]deadView, len(dead))
	for i, d := range dead {
		views[i] = deadView{ID: d.ID, Queue: string(d.Queue), Body: string(d.Body), Attempts: d.Attempts, Error: d.Error,
			EnqueuedAt: app.FormatTime(d.EnqueuedAt), FailedAt: app.FormatTime(d.FailedAt)}
	}
	writeJSON(w, http.StatusOK, newPage(views, limit, func(v deadView) string { return v.ID }))
	return nil
}

func deadID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !deadIDRE.MatchString(id) {
		return "", app.Errorf(app.ENOTFOUND, "dead letter %q not found", app.Shorten(id, 40))
	}
	return id, nil
}

func (s *Server) apiRetryDead(w http.ResponseWriter, r *http.Request) error {
	id, err := deadID(r)
	if err != nil {
		return err
	}
	if err := s.queues.Retry(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiDiscardDead(w http.ResponseWriter, r *http.Request) error {
	id, err := deadID(r)
	if err != nil {
		return err
	}
	if err := s.queues.Discard(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
