package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"smartbot/app"
)

// mapError turns driver errors into application errors: no rows is
// ENOTFOUND, a unique violation ECONFLICT, other constraint failures
// EINVALID. Anything else is returned as it is (and reads as EINTERNAL).
// The messages never carry SQLite's text (table and column names, the
// constraint's SQL): the driver error stays in Err, for the logs. Callers
// that know which field was at fault say so in their own words; validation
// in app should have refused the input before any constraint sees it.
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
		return &app.Error{Code: app.ECONFLICT, Message: "something with the same value already exists", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &app.Error{Code: app.EINVALID, Message: "refers to something that does not exist, or is still in use", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL, sqlite3.SQLITE_CONSTRAINT_DATATYPE:
		return &app.Error{Code: app.EINVALID, Message: "a value is not allowed here", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_TRIGGER:
		return &app.Error{Code: app.ECONFLICT, Message: triggerMessage(se), Err: err}
	}
	return err
}

// triggerMessage is the sentence a trigger raised with raise(abort, '…'):
// the schema writes those for people. SQLite appends the extended code in
// parentheses, which is dropped.
func triggerMessage(se *sqlite.Error) string {
	msg := se.Error()
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:i]
	}
	if msg == "" || strings.Contains(msg, "constraint failed") {
		return "this change is not allowed in the current state"
	}
	return msg
}

// notFound returns ENOTFOUND for the named entity.
func notFound(entity, id string) error {
	return app.Errorf(app.ENOTFOUND, "%s %s not found", entity, id)
}

// Explain returns err as an *app.Error saying what a driver error means for
// the database file at path and what to do, for the command line and the
// logs' readers: never the driver's own words. Errors that are not the
// driver's, an *app.Error among them, pass unchanged; the driver's error
// stays in Err.
func Explain(path string, err error) error {
	var ae *app.Error
	var se *sqlite.Error
	if err == nil || errors.As(err, &ae) || !errors.As(err, &se) {
		return err
	}
	what := "the database"
	if path != "" {
		what += " " + path
	}
	code, msg := app.EINTERNAL, ""
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_NOTADB:
		code, msg = app.EINVALID, what+" is not a Smartbot database, or it is damaged: point --data-dir at the right directory, or restore a backup (smartbot restore FILE)"
	case sqlite3.SQLITE_CORRUPT:
		msg = what + " is damaged: restore a backup (smartbot restore FILE)"
	case sqlite3.SQLITE_FULL:
		code, msg = app.EUNAVAILABLE, what+" cannot grow because the disk is full: free some space and try again"
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_AUTH:
		code, msg = app.EUNAVAILABLE, what+" cannot be opened for writing: check the permissions of the file and of its directory"
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		code, msg = app.EUNAVAILABLE, what+" is busy with another program: try again in a moment"
	case sqlite3.SQLITE_IOERR:
		code, msg = app.EUNAVAILABLE, what+" could not be read or written: check the disk"
	default:
		msg = fmt.Sprintf("%s failed unexpectedly (error code %d): check the data directory, or restore a backup", what, se.Code())
	}
	return &app.Error{Code: code, Message: msg, Err: err}
}
