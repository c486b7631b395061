package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
)

// Snapshot writes a consistent copy of the database to path with VACUUM INTO.
// It reads through the read pool, so writers carry on while it runs; the copy
// is of the moment its read transaction began. path must not exist yet.
func (db *DB) Snapshot(ctx context.Context, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("store: snapshot: %w", err)
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: snapshot: %s already exists", path)
	}
	// VACUUM INTO writes a new file, which the read pool's query_only
	// forbids, and on the write connection it would hold up every writer
	// for as long as the copy takes; so it runs on a connection of its own.
	conn, err := sql.Open("sqlite", snapshotDSN(db.path))
	if err != nil {
		return fmt.Errorf("store: snapshot: %w", err)
	}
	defer conn.Close()
	// As a URI: the driver opens with URI names on, so a plain path that
	// starts with "file:" would be read as one.
	if _, err := conn.ExecContext(ctx, `vacuum into ?`, sqliteURI(path)); err != nil {
		os.Remove(path)
		return fmt.Errorf("store: snapshot into %s: %w", path, err)
	}
	return nil
}

// snapshotDSN is a plain reading connection: busy_timeout, no query_only.
func snapshotDSN(path string) string {
	return sqliteURI(path) + "?_pragma=busy_timeout(10000)"
}
