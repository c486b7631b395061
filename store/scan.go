package store

import (
	"database/sql"
	"time"

	"smartbot/app"
)

// ts reads a stored timestamp. Stored timestamps are written by this package
// in app.TimeFormat, so a parse failure is a zero time rather than an error.
func ts(s string) time.Time {
	t, _ := app.ParseTime(s)
	return t
}

// tsPtr reads a nullable stored timestamp.
func tsPtr(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := ts(s.String)
	return &t
}

// nullTS writes a nullable timestamp.
func nullTS(t *time.Time) sql.NullString {
	if t == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: app.FormatTime(*t), Valid: true}
}

// nullString writes "" as null.
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
