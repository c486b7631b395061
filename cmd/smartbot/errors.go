package main

import (
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"smartbot/app"
)

// message is what the CLI prints for err: a sentence a person can act on,
// never SQL or the database driver's words. An *app.Error shows its message
// with its fields named as the flags that gave them; a driver error is
// reworded by what it means for the database file.
func message(err error) string {
	var ae *app.Error
	if errors.As(err, &ae) {
		return appMessage(ae)
	}
	var df *dbFailure
	if errors.As(err, &df) {
		return df.Error()
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return (&dbFailure{err: err}).Error()
	}
	return err.Error()
}

// fieldSources names where each field of a service's input came from on the
// command line.
var fieldSources = map[string]string{
	"name":       "--name",
	"role":       "--role",
	"expires_at": "--expires",
	"email":      "--email",
	"password":   "the password on standard input",
}

// appMessage is e's message, with its field errors as "--flag problem".
// An invalid-input error's own message only repeats its one field, under
// the service's name for it, so the fields replace it.
func appMessage(e *app.Error) string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	fields := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		source, ok := fieldSources[f.Field]
		if !ok {
			source = f.Field
		}
		fields[i] = source + " " + f.Message
	}
	if e.Code == app.EINVALID {
		return strings.Join(fields, "; ")
	}
	return e.Message + ": " + strings.Join(fields, "; ")
}

// dbFailure is a database driver's error about the file at path, shown as
// what it means for that file.
type dbFailure struct {
	path string
	err  error
}

// dbError rewords err when it is the driver's; other errors, an *app.Error
// among them, pass unchanged.
func dbError(path string, err error) error {
	var ae *app.Error
	var se *sqlite.Error
	if err == nil || errors.As(err, &ae) || !errors.As(err, &se) {
		return err
	}
	return &dbFailure{path: path, err: err}
}

func (e *dbFailure) Unwrap() error { return e.err }

func (e *dbFailure) Error() string {
	what := "the database"
	if e.path != "" {
		what += " " + e.path
	}
	var se *sqlite.Error
	code := 0
	if errors.As(e.err, &se) {
		code = se.Code()
	}
	switch code & 0xff {
	case sqlite3.SQLITE_NOTADB:
		return what + " is not a Smartbot database, or it is damaged: point --data-dir at the right directory, or restore a backup (smartbot restore FILE)"
	case sqlite3.SQLITE_CORRUPT:
		return what + " is damaged: restore a backup (smartbot restore FILE)"
	case sqlite3.SQLITE_FULL:
		return what + " cannot grow because the disk is full: free some space and try again"
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_AUTH:
		return what + " cannot be opened for writing: check the permissions of the file and of its directory"
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return what + " is busy with another program: try again in a moment"
	case sqlite3.SQLITE_IOERR:
		return what + " could not be read or written: check the disk"
	}
	return fmt.Sprintf("%s failed unexpectedly (error code %d): check the data directory, or restore a backup", what, code)
}
