package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// maxReadStmts bounds the read statements kept prepared. The store's reads
// have a fixed set of shapes (a list's filters make at most a few hundred),
// and each prepared statement holds memory on every read connection, so
// past this many a new shape is run unprepared instead.
const maxReadStmts = 128

// readStmts caches statements prepared on the read pool. A *sql.Stmt made
// from a *sql.DB is safe for concurrent use: database/sql prepares it again
// on each connection it runs on, the first time only.
type readStmts struct {
	m sync.Map // query → *sql.Stmt
	n atomic.Int32
	// mu serialises preparing and closing, so Close cannot miss a
	// statement that is being stored.
	mu     sync.Mutex
	closed bool
}

// PrepareRead parses queries once on the read pool and caches them for
// ReadPrepared, as Prepare does for the write connection. The store's own
// hot reads are prepared on first use without it.
func (db *DB) PrepareRead(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		if _, err := db.ReadPrepared(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// ReadPrepared returns query prepared on the read pool: the cached
// statement, or a new one, cached. The caller must not close it. Once
// maxReadStmts are cached it refuses new queries with an error.
func (db *DB) ReadPrepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := db.reads.m.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	db.reads.mu.Lock()
	defer db.reads.mu.Unlock()
	if s, ok := db.reads.m.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	if db.reads.closed {
		return nil, fmt.Errorf("store: prepare: %w", sql.ErrConnDone)
	}
	if db.reads.n.Load() >= maxReadStmts {
		return nil, errReadCacheFull
	}
	s, err := db.R.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("store: prepare: %w", err)
	}
	db.reads.m.Store(query, s)
	db.reads.n.Add(1)
	return s, nil
}

var errReadCacheFull = errors.New("store: prepare: the read statement cache is full")

// query runs a read on the read pool through its prepared statement. When
// the statement cannot be prepared (the cache is full, or the query is
// wrong) it runs the query plainly, which reports the error if there is one.
func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s, err := db.ReadPrepared(ctx, query); err == nil {
		return s.QueryContext(ctx, args...)
	}
	return db.R.QueryContext(ctx, query, args...)
}

// queryRow is query for one row.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s, err := db.ReadPrepared(ctx, query); err == nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.R.QueryRowContext(ctx, query, args...)
}

// closeReads closes the cached read statements; later reads run unprepared
// until the pool itself is closed.
func (db *DB) closeReads() {
	db.reads.mu.Lock()
	defer db.reads.mu.Unlock()
	db.reads.closed = true
	db.reads.m.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		db.reads.m.Delete(k)
		return true
	})
}
