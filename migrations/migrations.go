// Package migrations holds Smartbot's schema as numbered, forward-only SQL
// files, embedded in the binary. store.Migrate applies them in order, each in
// its own transaction. A file, once released, is never edited: a change to
// the schema is a new file.
package migrations

import "embed"

// FS holds the NNNN_what.sql files.
//
//go:embed *.sql
var FS embed.FS
