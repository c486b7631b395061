package store

import (
	"database/sql"
	"errors"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"smartbot/app"
)

// mapError turns driver errors into application errors: no rows is
// ENOTFOUND, a unique violation ECONFLICT, other constraint failures
// EINVALID. Anything else is returned as it is (and reads as EINTERNAL).
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &app.Error{Code: app.ENOTFOUND, Message: "not found", Err: err}
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &app.Error{Code: app.ECONFLICT, Message: "already exists: " + constraintDetail(se), Err: err}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &app.Error{Code: app.EINVALID, Message: "refers to something that does not exist, or is still in use", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_DATATYPE:
		return &app.Error{Code: app.EINVALID, Message: "invalid value: " + constraintDetail(se), Err: err}
	case sqlite3.SQLITE_CONSTRAINT_TRIGGER:
		return &app.Error{Code: app.ECONFLICT, Message: constraintDetail(se), Err: err}
	}
	return err
}

// constraintDetail keeps the part of SQLite's message that names the
// constraint ("UNIQUE constraint failed: users.email" → "users.email").
func constraintDetail(se *sqlite.Error) string {
	msg := se.Error()
	if _, after, ok := strings.Cut(msg, "failed: "); ok {
		return strings.TrimSuffix(after, ")")
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// notFound returns ENOTFOUND for the named entity.
func notFound(entity, id string) error {
	return app.Errorf(app.ENOTFOUND, "%s %s not found", entity, id)
}
