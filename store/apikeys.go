package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"smartbot/app"
)

const apiKeyColumns = `k.id, coalesce(k.user_id, ''), k.name, k.prefix, k.role, k.created_at, k.expires_at, k.last_used_at, k.revoked_at`

func scanAPIKey(scan func(...any) error, extra ...any) (app.APIKey, error) {
	var k app.APIKey
	var created string
	var expires, used, revoked sql.NullString
	err := scan(append([]any{&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Role, &created, &expires, &used, &revoked}, extra...)...)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = ts(created), tsPtr(expires), tsPtr(used), tsPtr(revoked)
	return k, err
}

// CreateAPIKey stores k with the hash of its secret and audits it (without
// the hash).
func (tx *Tx) CreateAPIKey(ctx context.Context, k *app.APIKey, hash string) error {
	k.CreatedAt = tx.db.now().UTC().Truncate(time.Millisecond)
	_, err := tx.ExecContext(ctx, `
		insert into api_keys (id, user_id, name, prefix, hash, role, created_at, expires_at)
		values (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, nullString(k.UserID), k.Name, k.Prefix, hash, string(k.Role), app.FormatTime(k.CreatedAt), nullTS(k.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: create API key %s: %w", k.Name, mapError(err))
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "api_key.create", EntityType: "api_key", EntityID: k.ID, After: k})
}

// APIKeyByHash returns the key whose secret hashes to hash, with the email
// and current role of the user who made it (empty for a key made from the
// CLI). The caller checks its status and caps its role.
func (db *DB) APIKeyByHash(ctx context.Context, hash string) (APIKeyRow, error) {
	var r APIKeyRow
	var err error
	row := db.queryRow(ctx, `select `+apiKeyColumns+`, coalesce(u.email, ''), coalesce(u.role, '')
		from api_keys k left join users u on u.id = k.user_id where k.hash = ?`, hash)
	r.APIKey, err = scanAPIKey(row.Scan, &r.OwnerEmail, &r.OwnerRole)
	if errors.Is(err, sql.ErrNoRows) {
		return r, app.Errorf(app.EUNAUTHORIZED, "unknown API key")
	}
	if err != nil {
		return r, fmt.Errorf("store: get API key: %w", err)
	}
	return r, nil
}

// APIKeyRow is a key with the email and current role of the user who made
// it; both are empty for a key made from the CLI.
type APIKeyRow struct {
	app.APIKey
	OwnerEmail string
	OwnerRole  app.Role
}

// APIKeys lists every key, newest first.
func (db *DB) APIKeys(ctx context.Context) ([]APIKeyRow, error) {
	rows, err := db.R.QueryContext(ctx, `select `+apiKeyColumns+`, coalesce(u.email, ''), coalesce(u.role, '')
		from api_keys k left join users u on u.id = k.user_id order by k.created_at desc, k.id desc`)
	if err != nil {
		return nil, fmt.Errorf("store: list API keys: %w", err)
	}
	defer rows.Close()
	var out []APIKeyRow
	for rows.Next() {
		var r APIKeyRow
		if r.APIKey, err = scanAPIKey(rows.Scan, &r.OwnerEmail, &r.OwnerRole); err != nil {
			return nil, fmt.Errorf("store: list API keys: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RevokeAPIKey stops a key working, and audits it. Revoking a revoked key
// changes nothing.
func (tx *Tx) RevokeAPIKey(ctx context.Context, id string) (app.APIKey, error) {
	before, err := scanAPIKey(tx.QueryRowContext(ctx, `select `+apiKeyColumns+` from api_keys k where k.id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return before, notFound("API key", id)
	}
	if err != nil {
		return before, fmt.Errorf("store: revoke API key %s: %w", id, err)
	}
	if before.RevokedAt != nil {
		return before, nil
	}
	after := before
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	after.RevokedAt = &now
	if _, err := tx.ExecContext(ctx, `update api_keys set revoked_at = ? where id = ?`, app.FormatTime(now), id); err != nil {
		return before, fmt.Errorf("store: revoke API key %s: %w", id, err)
	}
	return after, tx.Audit(ctx, app.AuditEntry{Action: "api_key.revoke", EntityType: "api_key", EntityID: id, Before: before, After: after})
}

// TouchAPIKey records that the key was used. Not audited: it is a
// bookkeeping field, not a change a person made.
func (tx *Tx) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `update api_keys set last_used_at = ? where id = ?`, app.FormatTime(at), id); err != nil {
		return fmt.Errorf("store: touch API key %s: %w", id, err)
	}
	return nil
}
