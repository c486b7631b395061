package store

import (
	"context"
	"fmt"
	"time"

	"smartbot/app"
)

// Prune deletes what has outlived its use: expired sessions, setup tokens
// past their expiry, and idempotency keys older than a day. serve runs it
// every hour; none of it is a change a person made, so none is audited.
func (db *DB) Prune(ctx context.Context) (int64, error) {
	now := db.now()
	var total int64
	err := db.Write(ctx, func(tx *Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`delete from sessions where expires_at <= ? or idle_expires_at <= ?`, []any{app.FormatTime(now), app.FormatTime(now)}},
			{`delete from setup_tokens where expires_at <= ?`, []any{app.FormatTime(now)}},
			{`delete from idempotency_keys where created_at < ?`, []any{app.FormatTime(now.Add(-24 * time.Hour))}},
		} {
			res, err := tx.ExecContext(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	return total, nil
}
