// Package storetest makes real, migrated databases for tests.
package storetest

import (
	"context"
	"testing"

	"smartbot/store"
)

// New opens a fresh migrated database in a temp dir, closed when the test ends.
func New(t testing.TB) *store.DB {
	t.Helper()
	return Open(t, t.TempDir())
}

// Open opens (and migrates) the database in dir, closed when the test ends.
func Open(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("open database in %s: %v", dir, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Count returns the result of a count query on the read pool.
func Count(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
