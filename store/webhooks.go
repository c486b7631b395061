package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"smartbot/app"
)

const webhookColumns = `id, url, description, events, active, disabled_reason, failure_streak, failing_since, last_success_at,
	disabled_at, previous_secret_expires_at, created_at, updated_at`

// CreateWebhook stores w (with its ID and Secret already set) and audits it.
// The audit row never holds the secret.
func (tx *Tx) CreateWebhook(ctx context.Context, w *app.Webhook) error {
	events, err := json.Marshal(w.Events)
	if err != nil {
		return fmt.Errorf("store: create webhook: %w", err)
	}
	now := tx.db.now().UTC().Truncate(1e6)
	w.CreatedAt, w.UpdatedAt = now, now
	_, err = tx.ExecContext(ctx, `
		insert into webhooks (id, url, description, secret, events, active, created_at, updated_at)
		values (?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.URL, w.Description, w.Secret, string(events), w.Active, app.FormatTime(now), app.FormatTime(now))
	if err != nil {
		return fmt.Errorf("store: create webhook %s: %w", w.ID, mapError(err))
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "webhook.create", EntityType: "webhook", EntityID: w.ID, After: shownWebhook(*w)})
}

// shownWebhook is w as audit rows keep it: without its secrets.
func shownWebhook(w app.Webhook) app.Webhook {
	w.Secret, w.PreviousSecret = "", ""
	return w
}

// Webhook returns the webhook with the given id, secrets included, for the
// delivery worker that signs with them. Callers that show it clear them.
func (db *DB) Webhook(ctx context.Context, id string) (app.Webhook, error) {
	return webhookBy(ctx, db.queryRow, id)
}

// Webhook is DB.Webhook inside tx, for a change that reads before it writes.
func (tx *Tx) Webhook(ctx context.Context, id string) (app.Webhook, error) {
	return webhookBy(ctx, tx.QueryRowContext, id)
}

func webhookBy(ctx context.Context, queryRow func(context.Context, string, ...any) *sql.Row, id string) (app.Webhook, error) {
	row := queryRow(ctx, `select `+webhookColumns+`, secret, coalesce(previous_secret, '') from webhooks where id = ?`, id)
	var w app.Webhook
	err := scanWebhook(row.Scan, &w, &w.Secret, &w.PreviousSecret)
	if errors.Is(err, sql.ErrNoRows) {
		return w, notFound("webhook", id)
	}
	if err != nil {
		return w, fmt.Errorf("store: get webhook %s: %w", id, err)
	}
	return w, nil
}

// subscribedWebhooksSQL runs with every event emitted: prepared at open.
const subscribedWebhooksSQL = `
		select id from webhooks
		where active = 1 and exists (select 1 from json_each(webhooks.events) where value in (?, '*'))
		order by id`

// ListWebhooks returns every webhook, oldest first, without secrets. A shop
// has a handful, so the list is never paged.
func (db *DB) ListWebhooks(ctx context.Context) ([]app.Webhook, error) {
	rows, err := db.query(ctx, `select `+webhookColumns+` from webhooks order by created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list webhooks: %w", err)
	}
	defer rows.Close()
	out := []app.Webhook{}
	for rows.Next() {
		var w app.Webhook
		if err := scanWebhook(rows.Scan, &w); err != nil {
			return nil, fmt.Errorf("store: list webhooks: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// UpdateWebhook writes w's URL, description, events and active flag (and
// when it turns active, clears the disabled reason and the failure run),
// auditing before and after.
func (tx *Tx) UpdateWebhook(ctx context.Context, before app.Webhook, w *app.Webhook) error {
	events, err := json.Marshal(w.Events)
	if err != nil {
		return fmt.Errorf("store: update webhook %s: %w", w.ID, err)
	}
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	w.UpdatedAt = now
	switch {
	case w.Active && !before.Active:
		w.DisabledReason, w.DisabledAt, w.FailureStreak, w.FailingSince = "", nil, 0, nil
	case !w.Active && before.Active:
		w.DisabledAt = &now
	}
	_, err = tx.ExecContext(ctx, `
		update webhooks set url = ?, description = ?, events = ?, active = ?, disabled_reason = ?, disabled_at = ?,
			failure_streak = ?, failing_since = ?, updated_at = ?
		where id = ?`,
		w.URL, w.Description, string(events), w.Active, w.DisabledReason, formatTimePtr(w.DisabledAt),
		w.FailureStreak, formatTimePtr(w.FailingSince), app.FormatTime(now), w.ID)
	if err != nil {
		return fmt.Errorf("store: update webhook %s: %w", w.ID, mapError(err))
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "webhook.update", EntityType: "webhook", EntityID: w.ID,
		Before: shownWebhook(before), After: shownWebhook(*w)})
}

// DeleteWebhook removes the webhook and its delivery logs. Its pending
// deliveries find it gone and end.
func (tx *Tx) DeleteWebhook(ctx context.Context, id string) error {
	before, err := tx.Webhook(ctx, id)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `delete from webhooks where id = ?`, id); err != nil {
		return fmt.Errorf("store: delete webhook %s: %w", id, mapError(err))
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "webhook.delete", EntityType: "webhook", EntityID: id, Before: shownWebhook(before)})
}

// RotateWebhookSecret makes secret the webhook's signing secret; the one it
// replaces keeps signing until expires. The audit row says that it
// happened, never what either secret is.
func (tx *Tx) RotateWebhookSecret(ctx context.Context, id, secret string, expires time.Time) error {
	now := tx.db.now()
	res, err := tx.ExecContext(ctx, `
		update webhooks set previous_secret = secret, previous_secret_expires_at = ?, secret = ?, updated_at = ?
		where id = ?`, app.FormatTime(expires), secret, app.FormatTime(now), id)
	if err != nil {
		return fmt.Errorf("store: rotate webhook secret %s: %w", id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("webhook", id)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "webhook.rotate", EntityType: "webhook", EntityID: id,
		After: map[string]string{"previous_secret_expires_at": app.FormatTime(expires)}})
}

const (
	webhookSucceededSQL = `
		update webhooks set failure_streak = 0, failing_since = null, last_success_at = ? where id = ?`
	webhookFailedSQL = `
		update webhooks set failure_streak = failure_streak + 1, failing_since = coalesce(failing_since, ?)
		where id = ? returning failing_since, coalesce(last_success_at, '')`
)

// WebhookSucceeded records a delivery the endpoint accepted: the failure
// run ends. Health is not audited: the delivery log is its record.
func (tx *Tx) WebhookSucceeded(ctx context.Context, id string, at time.Time) error {
	stmt, err := tx.Prepared(ctx, webhookSucceededSQL)
	if err != nil {
		return err
	}
	if _, err := stmt.ExecContext(ctx, app.FormatTime(at), id); err != nil {
		return fmt.Errorf("store: webhook %s succeeded: %w", id, mapError(err))
	}
	return nil
}

// WebhookFailed records a failed delivery and returns when the current run
// of failures began (at, if this one began it).
func (tx *Tx) WebhookFailed(ctx context.Context, id string, at time.Time) (failingSince time.Time, err error) {
	stmt, err := tx.Prepared(ctx, webhookFailedSQL)
	if err != nil {
		return time.Time{}, err
	}
	var since, lastOK string
	if err := stmt.QueryRowContext(ctx, app.FormatTime(at), id).Scan(&since, &lastOK); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, notFound("webhook", id)
		}
		return time.Time{}, fmt.Errorf("store: webhook %s failed: %w", id, mapError(err))
	}
	return app.ParseTime(since)
}

// DisableWebhook turns the webhook off for reason (a 410, five days of
// failures), audited as the actor in ctx (the system, for the worker).
func (tx *Tx) DisableWebhook(ctx context.Context, id, reason string) error {
	before, err := tx.Webhook(ctx, id)
	if err != nil {
		return err
	}
	if !before.Active {
		return nil
	}
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	if _, err := tx.ExecContext(ctx, `update webhooks set active = 0, disabled_reason = ?, disabled_at = ?, updated_at = ? where id = ?`,
		reason, app.FormatTime(now), app.FormatTime(now), id); err != nil {
		return fmt.Errorf("store: disable webhook %s: %w", id, mapError(err))
	}
	after := before
	after.Active, after.DisabledReason, after.DisabledAt = false, reason, &now
	return tx.Audit(ctx, app.AuditEntry{Action: "webhook.disable", EntityType: "webhook", EntityID: id,
		Before: shownWebhook(before), After: shownWebhook(after)})
}

// SubscribedWebhooks returns the ids of the active webhooks that subscribe to
// t, read inside tx so the deliveries enqueued match the committed state.
func (tx *Tx) SubscribedWebhooks(ctx context.Context, t app.EventType) ([]string, error) {
	rows, err := tx.query(ctx, subscribedWebhooksSQL, string(t))
	if err != nil {
		return nil, fmt.Errorf("store: webhooks for %s: %w", t, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: webhooks for %s: %w", t, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// EventPayload returns an event's type and its stored JSON, the exact bytes
// a delivery signs and sends.
func (db *DB) EventPayload(ctx context.Context, id string) (app.EventType, []byte, error) {
	var t string
	var payload []byte
	err := db.queryRow(ctx, `select type, payload from events where id = ?`, id).Scan(&t, &payload)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, notFound("event", id)
	}
	if err != nil {
		return "", nil, fmt.Errorf("store: get event %s: %w", id, err)
	}
	return app.EventType(t), payload, nil
}

func scanWebhook(scan func(...any) error, w *app.Webhook, extra ...any) error {
	var events, created, updated string
	var failing, lastOK, disabled, prevExpires sql.NullString
	dest := append([]any{&w.ID, &w.URL, &w.Description, &events, &w.Active, &w.DisabledReason, &w.FailureStreak,
		&failing, &lastOK, &disabled, &prevExpires, &created, &updated}, extra...)
	if err := scan(dest...); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return err
	}
	var err error
	for _, p := range []struct {
		src sql.NullString
		dst **time.Time
	}{{failing, &w.FailingSince}, {lastOK, &w.LastSuccessAt}, {disabled, &w.DisabledAt}, {prevExpires, &w.PreviousSecretExpiresAt}} {
		if !p.src.Valid {
			continue
		}
		t, err := app.ParseTime(p.src.String)
		if err != nil {
			return err
		}
		*p.dst = &t
	}
	if w.CreatedAt, err = app.ParseTime(created); err != nil {
		return err
	}
	w.UpdatedAt, err = app.ParseTime(updated)
	return err
}

// formatTimePtr is a nullable time column's value.
func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return app.FormatTime(*t)
}
