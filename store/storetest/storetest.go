// Package storetest makes real, migrated databases for tests.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

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
	return OpenAt(t, dir, nil)
}

// OpenAt is Open with the store's clock set to now (nil: the real one).
func OpenAt(t testing.TB, dir string, now func() time.Time) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DataDir: dir, Now: now})
	if err != nil {
		t.Fatalf("open database in %s: %v", dir, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Clock is a clock a test moves by hand. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
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

// DirDigest maps every path under dir to what it is: a file's SHA-256, "dir",
// or a symlink's target. The lock file is left out: locking creates it.
func DirDigest(t testing.TB, dir string) map[string]string {
	t.Helper()
	digest := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." || rel == store.LockFileName {
			return err
		}
		switch {
		case d.IsDir():
			digest[rel] = "dir"
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			digest[rel] = "link to " + target
		default:
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			digest[rel] = hex.EncodeToString(sum[:])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return digest
}
