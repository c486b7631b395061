package main

import (
	"errors"
	"strings"

	"smartbot/app"
	"smartbot/store"
)

// message is what the CLI prints for err: a sentence a person can act on,
// never SQL or the database driver's words. An *app.Error shows its message
// with its fields named as the flags that gave them; a driver error is
// reworded by store.Explain for what it means for the database file.
func message(err error) string {
	var ae *app.Error
	if errors.As(err, &ae) {
		return appMessage(ae)
	}
	if err = store.Explain("", err); errors.As(err, &ae) {
		return appMessage(ae)
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
