// Package app holds Smartbot's domain: the types every part shares, the
// application error codes, the event catalog and the audit vocabulary.
//
// It imports nothing but the standard library; store, queue and web are
// adapters around it.
package app

import "time"

// TimeFormat is how every timestamp is written to the database and to JSON:
// UTC, RFC 3339 with milliseconds, fixed width so text order is time order.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime writes t in TimeFormat.
func FormatTime(t time.Time) string {
	return t.UTC().Format(TimeFormat)
}

// ParseTime reads a timestamp written by FormatTime (or any RFC 3339 time).
func ParseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}
