package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"smartbot/app"
)

// Setting reads the JSON value of key into v. A missing key is ENOTFOUND.
func (db *DB) Setting(ctx context.Context, key string, v any) error {
	var raw string
	err := db.queryRow(ctx, `select value from settings where key = ?`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("setting", key)
	}
	if err != nil {
		return fmt.Errorf("store: get setting %s: %w", key, err)
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return fmt.Errorf("store: get setting %s: %w", key, err)
	}
	return nil
}

// SetSetting stores v as the JSON value of key and audits the change.
func (tx *Tx) SetSetting(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: set setting %s: %w", key, err)
	}
	var before sql.NullString
	err = tx.QueryRowContext(ctx, `select value from settings where key = ?`, key).Scan(&before)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: set setting %s: %w", key, err)
	}
	_, err = tx.ExecContext(ctx, `
		insert into settings (key, value, updated_at) values (?, ?, ?)
		on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
		key, string(b), app.FormatTime(tx.db.now()))
	if err != nil {
		return fmt.Errorf("store: set setting %s: %w", key, mapError(err))
	}
	var beforeJSON any
	if before.Valid {
		beforeJSON = json.RawMessage(before.String)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "setting.set", EntityType: "setting", EntityID: key, Before: beforeJSON, After: json.RawMessage(b)})
}
