package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"smartbot/app"
)

// CreateSession stores a new session. Sessions are not audited on their own:
// the sign-in that makes one is (RecordLogin).
func (tx *Tx) CreateSession(ctx context.Context, s app.Session, remoteAddr, userAgent string) error {
	if len(userAgent) > 512 {
		userAgent = userAgent[:512]
	}
	_, err := tx.ExecContext(ctx, `
		insert into sessions (id, user_id, created_at, last_seen_at, idle_expires_at, expires_at, remote_addr, user_agent)
		values (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, app.FormatTime(s.CreatedAt), app.FormatTime(s.LastSeenAt), app.FormatTime(s.IdleExpiresAt), app.FormatTime(s.ExpiresAt),
		remoteAddr, userAgent)
	if err != nil {
		return fmt.Errorf("store: create session: %w", mapError(err))
	}
	return nil
}

// SessionUser returns the session with id (a token hash) and its user. The
// caller checks expiry.
func (db *DB) SessionUser(ctx context.Context, id string) (app.Session, app.User, error) {
	var s app.Session
	var created, seen, idle, expires string
	row := db.queryRow(ctx, `
		select s.id, s.user_id, s.created_at, s.last_seen_at, s.idle_expires_at, s.expires_at,
			u.id, u.email, u.name, u.role, u.created_at, u.updated_at, u.last_login_at, u.password_hash
		from sessions s join users u on u.id = s.user_id
		where s.id = ?`, id)
	u, err := scanUser(func(dest ...any) error {
		return row.Scan(append([]any{&s.ID, &s.UserID, &created, &seen, &idle, &expires}, dest...)...)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return s, u, app.Errorf(app.EUNAUTHORIZED, "session not found")
	}
	if err != nil {
		return s, u, fmt.Errorf("store: get session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.IdleExpiresAt, s.ExpiresAt = ts(created), ts(seen), ts(idle), ts(expires)
	return s, u, nil
}

// TouchSession records activity, pushing the idle expiry forward.
func (tx *Tx) TouchSession(ctx context.Context, s app.Session) error {
	_, err := tx.ExecContext(ctx, `update sessions set last_seen_at = ?, idle_expires_at = ? where id = ?`,
		app.FormatTime(s.LastSeenAt), app.FormatTime(s.IdleExpiresAt), s.ID)
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession signs one browser out.
func (tx *Tx) DeleteSession(ctx context.Context, id string) error {
	if _, err := tx.ExecContext(ctx, `delete from sessions where id = ?`, id); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions signs a user out everywhere, and audits it.
func (tx *Tx) DeleteUserSessions(ctx context.Context, userID string) (int64, error) {
	res, err := tx.ExecContext(ctx, `delete from sessions where user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("store: delete sessions of %s: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, tx.Audit(ctx, app.AuditEntry{Action: "user.sign_out_everywhere", EntityType: "user", EntityID: userID, After: map[string]int64{"sessions_ended": n}})
}
