package store

import (
	"context"
	"fmt"
	"time"

	"smartbot/app"
)

// CreateSetupToken stores the hash of a one-time first-run token valid
// until expires.
func (tx *Tx) CreateSetupToken(ctx context.Context, hash string, expires time.Time) error {
	_, err := tx.ExecContext(ctx, `insert into setup_tokens (hash, created_at, expires_at) values (?, ?, ?)`,
		hash, app.FormatTime(tx.db.now()), app.FormatTime(expires))
	if err != nil {
		return fmt.Errorf("store: create setup token: %w", mapError(err))
	}
	return nil
}

// SetupTokenValid reports whether hash is an unused, unexpired setup token
// and no user exists yet.
func (db *DB) SetupTokenValid(ctx context.Context, hash string) (bool, error) {
	var ok bool
	err := db.R.QueryRowContext(ctx, `
		select exists (select 1 from setup_tokens where hash = ? and used_at is null and expires_at > ?)
			and not exists (select 1 from users)`, hash, app.FormatTime(db.now())).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: check setup token: %w", err)
	}
	return ok, nil
}

// UseSetupToken spends the token: it must be unused and unexpired, and no
// user may exist yet. Otherwise EUNAUTHORIZED, and nothing changes.
func (tx *Tx) UseSetupToken(ctx context.Context, hash string) error {
	now := app.FormatTime(tx.db.now())
	res, err := tx.ExecContext(ctx, `
		update setup_tokens set used_at = ?
		where hash = ? and used_at is null and expires_at > ? and not exists (select 1 from users)`, now, hash, now)
	if err != nil {
		return fmt.Errorf("store: use setup token: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return app.Errorf(app.EUNAUTHORIZED, "this setup link is used, expired or no longer needed; sign in, or run 'smartbot user create'")
	}
	return nil
}
