package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"smartbot/app"
)

// CreateSetupToken stores a one-time first-run token valid until expires:
// its hash, to check it, and the token itself, so that a restart before it
// is used can show the same link again. It is cleared when used.
func (tx *Tx) CreateSetupToken(ctx context.Context, token, hash string, expires time.Time) error {
	_, err := tx.ExecContext(ctx, `insert into setup_tokens (hash, token, created_at, expires_at) values (?, ?, ?, ?)`,
		hash, token, app.FormatTime(tx.db.now()), app.FormatTime(expires))
	if err != nil {
		return fmt.Errorf("store: create setup token: %w", mapError(err))
	}
	return nil
}

// UnusedSetupToken returns the newest unused setup token still valid at
// least until validUntil, while no user exists; ok is false when there is
// none.
func (tx *Tx) UnusedSetupToken(ctx context.Context, validUntil time.Time) (token string, expires time.Time, ok bool, err error) {
	var exp string
	err = tx.QueryRowContext(ctx, `
		select token, expires_at from setup_tokens
		where used_at is null and token is not null and expires_at > ? and not exists (select 1 from users)
		order by expires_at desc limit 1`, app.FormatTime(validUntil)).Scan(&token, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("store: find setup token: %w", err)
	}
	return token, ts(exp), true, nil
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
// user may exist yet. Otherwise EUNAUTHORIZED, and nothing changes. Every
// kept token is forgotten: the shop has its owner now.
func (tx *Tx) UseSetupToken(ctx context.Context, hash string) error {
	now := app.FormatTime(tx.db.now())
	res, err := tx.ExecContext(ctx, `
		update setup_tokens set used_at = ?, token = null
		where hash = ? and used_at is null and expires_at > ? and not exists (select 1 from users)`, now, hash, now)
	if err != nil {
		return fmt.Errorf("store: use setup token: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return app.Errorf(app.EUNAUTHORIZED, "this setup link is used, expired or no longer needed; sign in, or run 'smartbot user create'")
	}
	if _, err := tx.ExecContext(ctx, `update setup_tokens set token = null where token is not null`); err != nil {
		return fmt.Errorf("store: use setup token: %w", err)
	}
	return nil
}
