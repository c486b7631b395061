package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"smartbot/app"
)

const webhookColumns = `id, url, description, events, active, disabled_reason, failure_streak, created_at, updated_at`

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
	shown := *w
	shown.Secret = ""
	return tx.Audit(ctx, app.AuditEntry{Action: "webhook.create", EntityType: "webhook", EntityID: w.ID, After: shown})
}

// Webhook returns the webhook with the given id, secret included, for the
// delivery worker that signs with it.
func (db *DB) Webhook(ctx context.Context, id string) (app.Webhook, error) {
	row := db.R.QueryRowContext(ctx, `select `+webhookColumns+`, secret from webhooks where id = ?`, id)
	var w app.Webhook
	err := scanWebhook(row.Scan, &w, &w.Secret)
	if errors.Is(err, sql.ErrNoRows) {
		return w, notFound("webhook", id)
	}
	if err != nil {
		return w, fmt.Errorf("store: get webhook %s: %w", id, err)
	}
	return w, nil
}

// SubscribedWebhooks returns the ids of the active webhooks that subscribe to
// t, read inside tx so the deliveries enqueued match the committed state.
func (tx *Tx) SubscribedWebhooks(ctx context.Context, t app.EventType) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `
		select id from webhooks
		where active = 1 and exists (select 1 from json_each(webhooks.events) where value in (?, '*'))
		order by id`, string(t))
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

func scanWebhook(scan func(...any) error, w *app.Webhook, extra ...any) error {
	var events, created, updated string
	dest := append([]any{&w.ID, &w.URL, &w.Description, &events, &w.Active, &w.DisabledReason, &w.FailureStreak, &created, &updated}, extra...)
	if err := scan(dest...); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return err
	}
	var err error
	if w.CreatedAt, err = app.ParseTime(created); err != nil {
		return err
	}
	w.UpdatedAt, err = app.ParseTime(updated)
	return err
}
