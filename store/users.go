package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"smartbot/app"
)

const userColumns = `id, email, name, role, created_at, updated_at, last_login_at, password_hash`

func scanUser(scan func(...any) error) (app.User, error) {
	var u app.User
	var created, updated string
	var last sql.NullString
	err := scan(&u.ID, &u.Email, &u.Name, &u.Role, &created, &updated, &last, &u.PasswordHash)
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = ts(created), ts(updated), tsPtr(last)
	return u, err
}

// CreateUser stores u, whose ID and PasswordHash are set, and audits it. A
// taken email is ECONFLICT.
func (tx *Tx) CreateUser(ctx context.Context, u *app.User) error {
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	u.CreatedAt, u.UpdatedAt = now, now
	_, err := tx.ExecContext(ctx, `
		insert into users (id, email, name, password_hash, role, created_at, updated_at, password_changed_at)
		values (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, u.PasswordHash, string(u.Role), app.FormatTime(now), app.FormatTime(now), app.FormatTime(now))
	if err != nil {
		err = mapError(err)
		if app.ErrorCode(err) == app.ECONFLICT {
			return &app.Error{Code: app.ECONFLICT, Message: "a user with that email already exists", Fields: []app.FieldError{{Field: "email", Message: "is taken"}}, Err: err}
		}
		return fmt.Errorf("store: create user %s: %w", u.Email, err)
	}
	// The shop has a user now: a kept first-run link is useless, so forget it.
	if _, err := tx.ExecContext(ctx, `update setup_tokens set token = null where token is not null`); err != nil {
		return fmt.Errorf("store: create user %s: %w", u.Email, err)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "user.create", EntityType: "user", EntityID: u.ID, After: u})
}

// queryRower is what reads one row: the read pool or a transaction.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// userWhere reads the user whose column equals value.
func userWhere(ctx context.Context, q queryRower, column, value string) (app.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `select `+userColumns+` from users where `+column+` = ?`, value).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return u, notFound("user", value)
	}
	if err != nil {
		return u, fmt.Errorf("store: get user %s: %w", value, err)
	}
	return u, nil
}

// User returns the user with id.
func (db *DB) User(ctx context.Context, id string) (app.User, error) {
	return userWhere(ctx, db.R, "id", id)
}

// UserByEmail returns the user with that email (case-insensitive).
func (db *DB) UserByEmail(ctx context.Context, email string) (app.User, error) {
	return userWhere(ctx, db.R, "email", email)
}

// Users lists every user by email. A shop has a handful; no paging.
func (db *DB) Users(ctx context.Context) ([]app.User, error) {
	rows, err := db.R.QueryContext(ctx, `select `+userColumns+` from users order by email`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var out []app.User
	for rows.Next() {
		u, err := scanUser(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers counts the users; 0 means first run.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.R.QueryRowContext(ctx, `select count(*) from users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// User reads the user with id inside the transaction.
func (tx *Tx) User(ctx context.Context, id string) (app.User, error) {
	return userWhere(ctx, tx, "id", id)
}

// errLastOwner refuses a change that would leave the shop without an owner.
var errLastOwner = app.Errorf(app.ECONFLICT, "the shop must keep at least one owner: make another user owner first")

func (tx *Tx) otherOwners(ctx context.Context, id string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `select count(*) from users where role = 'owner' and id != ?`, id).Scan(&n)
	return n, err
}

// UpdateUser changes a user's name and role and audits it. Demoting the
// last owner is ECONFLICT.
func (tx *Tx) UpdateUser(ctx context.Context, id, name string, role app.Role) (app.User, error) {
	before, err := tx.User(ctx, id)
	if err != nil {
		return before, err
	}
	if before.Role == app.RoleOwner && role != app.RoleOwner {
		n, err := tx.otherOwners(ctx, id)
		if err != nil {
			return before, fmt.Errorf("store: update user %s: %w", id, err)
		}
		if n == 0 {
			return before, errLastOwner
		}
	}
	after := before
	after.Name, after.Role, after.UpdatedAt = name, role, tx.db.now().UTC().Truncate(time.Millisecond)
	_, err = tx.ExecContext(ctx, `update users set name = ?, role = ?, updated_at = ? where id = ?`,
		name, string(role), app.FormatTime(after.UpdatedAt), id)
	if err != nil {
		return before, fmt.Errorf("store: update user %s: %w", id, mapError(err))
	}
	return after, tx.Audit(ctx, app.AuditEntry{Action: "user.update", EntityType: "user", EntityID: id, Before: before, After: after})
}

// DeleteUser removes a user, their sessions and their API keys, and audits
// it. Removing the last owner is ECONFLICT.
func (tx *Tx) DeleteUser(ctx context.Context, id string) error {
	before, err := tx.User(ctx, id)
	if err != nil {
		return err
	}
	if before.Role == app.RoleOwner {
		n, err := tx.otherOwners(ctx, id)
		if err != nil {
			return fmt.Errorf("store: delete user %s: %w", id, err)
		}
		if n == 0 {
			return errLastOwner
		}
	}
	if _, err := tx.ExecContext(ctx, `delete from users where id = ?`, id); err != nil {
		return fmt.Errorf("store: delete user %s: %w", id, mapError(err))
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "user.delete", EntityType: "user", EntityID: id, Before: before})
}

// SetPassword replaces a user's password hash, signs them out everywhere,
// and audits it (without the hash).
func (tx *Tx) SetPassword(ctx context.Context, id, hash string) error {
	if _, err := tx.User(ctx, id); err != nil {
		return err
	}
	now := app.FormatTime(tx.db.now())
	if _, err := tx.ExecContext(ctx, `update users set password_hash = ?, password_changed_at = ?, updated_at = ? where id = ?`, hash, now, now, id); err != nil {
		return fmt.Errorf("store: set password of %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `delete from sessions where user_id = ?`, id); err != nil {
		return fmt.Errorf("store: set password of %s: %w", id, err)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "user.password", EntityType: "user", EntityID: id})
}

// RecordLogin notes a successful sign-in and audits it.
func (tx *Tx) RecordLogin(ctx context.Context, id string) error {
	now := tx.db.now()
	if _, err := tx.ExecContext(ctx, `update users set last_login_at = ? where id = ?`, app.FormatTime(now), id); err != nil {
		return fmt.Errorf("store: record login of %s: %w", id, err)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "user.login", EntityType: "user", EntityID: id})
}
