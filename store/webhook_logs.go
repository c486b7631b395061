package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"smartbot/app"
)

// Outcomes of a delivery attempt, as webhook_logs keeps them.
const (
	WebhookDelivered = "delivered" // the endpoint answered 2xx in time
	WebhookFailed    = "failed"    // anything else, or no answer
	WebhookDeferred  = "deferred"  // 429 or 503 with Retry-After: again later, no attempt spent
)

// WebhookLog is one delivery attempt of one event to one endpoint. Request
// headers never carry the signature (it is derived from the secret).
type WebhookLog struct {
	ID              int64             `json:"id"`
	WebhookID       string            `json:"webhook_id"`
	EventID         string            `json:"event_id"`
	EventType       string            `json:"event_type"`
	Attempt         int               `json:"attempt"`
	Outcome         string            `json:"outcome"`
	RequestHeaders  map[string]string `json:"request_headers"`
	BodySHA256      string            `json:"body_sha256"`
	ResponseStatus  *int              `json:"response_status"`
	ResponseHeaders map[string]string `json:"response_headers"`
	// ResponseBody is the first 4 KiB of what the endpoint answered.
	ResponseBody string     `json:"response_body"`
	DurationMS   int64      `json:"duration_ms"`
	Error        string     `json:"error"`
	NextRetryAt  *time.Time `json:"next_retry_at"`
	CreatedAt    time.Time  `json:"created_at"`
}

const insertWebhookLogSQL = `
	insert into webhook_logs (webhook_id, event_id, event_type, attempt, outcome, request_headers, body_sha256,
		response_status, response_headers, response_body, duration_ms, error, next_retry_at, created_at)
	values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	returning id`

// InsertWebhookLog stores one attempt and sets l.ID. It is not audited:
// the log is itself the record, written by the delivery worker.
func (tx *Tx) InsertWebhookLog(ctx context.Context, l *WebhookLog) error {
	reqHeaders, _ := json.Marshal(nonNil(l.RequestHeaders))
	resHeaders, _ := json.Marshal(nonNil(l.ResponseHeaders))
	stmt, err := tx.Prepared(ctx, insertWebhookLogSQL)
	if err != nil {
		return err
	}
	var status any
	if l.ResponseStatus != nil {
		status = *l.ResponseStatus
	}
	err = stmt.QueryRowContext(ctx, l.WebhookID, l.EventID, l.EventType, l.Attempt, l.Outcome, string(reqHeaders), l.BodySHA256,
		status, string(resHeaders), l.ResponseBody, l.DurationMS, l.Error, formatTimePtr(l.NextRetryAt), app.FormatTime(l.CreatedAt)).Scan(&l.ID)
	if err != nil {
		return fmt.Errorf("store: log webhook %s attempt of %s: %w", l.WebhookID, l.EventID, mapError(err))
	}
	return nil
}

// PrepareWebhookLogs prepares the statements every delivery runs, as Open
// does for the other hot writes.
func (db *DB) PrepareWebhookLogs(ctx context.Context) error {
	return db.Prepare(ctx, insertWebhookLogSQL, webhookSucceededSQL, webhookFailedSQL)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// WebhookLogFilter narrows ListWebhookLogs. Before is a cursor: a log id.
type WebhookLogFilter struct {
	WebhookID string
	EventID   string
	Outcome   string
	Since     time.Time
	Before    int64
	Limit     int
}

// ListWebhookLogs returns one endpoint's attempts matching f, newest first.
func (db *DB) ListWebhookLogs(ctx context.Context, f WebhookLogFilter) ([]WebhookLog, error) {
	where := []string{"webhook_id = ?"}
	args := []any{f.WebhookID}
	if f.EventID != "" {
		where, args = append(where, "event_id = ?"), append(args, f.EventID)
	}
	if f.Outcome != "" {
		where, args = append(where, "outcome = ?"), append(args, f.Outcome)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, app.FormatTime(f.Since))
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	args = append(args, clampLimit(f.Limit))
	rows, err := db.query(ctx, `
		select id, webhook_id, event_id, event_type, attempt, outcome, request_headers, body_sha256, response_status,
			response_headers, response_body, duration_ms, error, next_retry_at, created_at
		from webhook_logs where `+strings.Join(where, " and ")+` order by id desc limit ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list webhook %s logs: %w", f.WebhookID, err)
	}
	defer rows.Close()
	var out []WebhookLog
	for rows.Next() {
		var l WebhookLog
		var reqHeaders, resHeaders, created string
		var status sql.NullInt64
		var next sql.NullString
		if err := rows.Scan(&l.ID, &l.WebhookID, &l.EventID, &l.EventType, &l.Attempt, &l.Outcome, &reqHeaders, &l.BodySHA256,
			&status, &resHeaders, &l.ResponseBody, &l.DurationMS, &l.Error, &next, &created); err != nil {
			return nil, fmt.Errorf("store: list webhook %s logs: %w", f.WebhookID, err)
		}
		if status.Valid {
			s := int(status.Int64)
			l.ResponseStatus = &s
		}
		json.Unmarshal([]byte(reqHeaders), &l.RequestHeaders)
		json.Unmarshal([]byte(resHeaders), &l.ResponseHeaders)
		if next.Valid {
			if t, err := app.ParseTime(next.String); err == nil {
				l.NextRetryAt = &t
			}
		}
		l.CreatedAt, _ = app.ParseTime(created)
		out = append(out, l)
	}
	return out, rows.Err()
}

// FailedWebhookEvents returns the events (oldest first, at most limit) that
// failed to reach the endpoint since a time and never reached it: what a
// redelivery after an outage sends again.
func (db *DB) FailedWebhookEvents(ctx context.Context, webhookID string, since time.Time, limit int) ([]string, error) {
	rows, err := db.query(ctx, `
		select event_id from webhook_logs l
		where webhook_id = ? and outcome != 'delivered' and created_at >= ? and event_type != 'ping'
			and not exists (select 1 from webhook_logs d where d.webhook_id = l.webhook_id and d.event_id = l.event_id and d.outcome = 'delivered')
		group by event_id order by min(id) limit ?`, webhookID, app.FormatTime(since), limit)
	if err != nil {
		return nil, fmt.Errorf("store: failed events of webhook %s: %w", webhookID, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: failed events of webhook %s: %w", webhookID, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
