package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// memoMax bounds the values Memo keeps for one state of the database.
const memoMax = 64

// memo keeps values derived from the database for as long as the database
// does not change. SQLite's data_version, read on a connection of its own,
// changes whenever any other connection (this process's writer or another
// process) commits, so a kept value is never older than the last commit.
type memo struct {
	mu      sync.Mutex // serialises use of conn
	pool    *sql.DB    // of one connection, opened on first use
	conn    *sql.Conn
	stmt    *sql.Stmt
	offset  int64 // added to data_version so a new connection's count goes on from the old one's
	last    int64 // the last version returned
	version int64 // the version values belong to
	values  map[string]any
	closed  bool
}

// Memo returns the value build made for key while the database has not
// changed since, or calls build and keeps its value. Use it for answers
// read often and changed rarely (a catalogue page): build runs its queries
// after the version is read, so its value is at least that fresh, and a
// value is never answered after a commit it may not show. An error from
// build is returned and nothing is kept.
func (db *DB) Memo(ctx context.Context, key string, build func(ctx context.Context) (any, error)) (any, error) {
	version, err := db.dataVersion(ctx)
	if err != nil {
		return build(ctx) // the cache is an optimisation; the answer is not
	}
	m := &db.memo
	m.mu.Lock()
	if m.version == version {
		if v, ok := m.values[key]; ok {
			m.mu.Unlock()
			return v, nil
		}
	}
	m.mu.Unlock()
	v, err := build(ctx)
	if err != nil {
		return v, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.version != version {
		// Another caller saw a newer version first; a value for this one
		// is kept only while it is the latest seen.
		if version < m.version {
			return v, nil
		}
		m.version, m.values = version, nil
	}
	if m.values == nil || len(m.values) >= memoMax {
		m.values = make(map[string]any)
	}
	m.values[key] = v
	return v, nil
}

// dataVersion reads data_version on the memo's own connection (not one of
// the read pool's, which build needs), held for the life of the DB so that
// its values stay comparable; if it breaks, the next one's count is
// offset to go on from the last.
func (db *DB) dataVersion(ctx context.Context) (int64, error) {
	m := &db.memo
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, fmt.Errorf("store: data version: %w", sql.ErrConnDone)
	}
	if m.conn == nil {
		if m.pool == nil {
			pool, err := sql.Open("sqlite", dsn(db.path, false))
			if err != nil {
				return 0, fmt.Errorf("store: data version: %w", err)
			}
			pool.SetMaxOpenConns(1)
			m.pool = pool
		}
		conn, err := m.pool.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("store: data version: %w", err)
		}
		stmt, err := conn.PrepareContext(ctx, `pragma data_version`)
		if err != nil {
			conn.Close()
			return 0, fmt.Errorf("store: data version: %w", err)
		}
		m.conn, m.stmt, m.offset = conn, stmt, m.last
	}
	var v int64
	// Not cancelled with the request: a query under a cancellable context
	// costs database/sql a goroutine to watch it, more than this read takes.
	if err := m.stmt.QueryRowContext(context.WithoutCancel(ctx)).Scan(&v); err != nil {
		// A broken connection: drop it and everything kept with it; the
		// next call starts on a new one with a new count.
		m.stmt.Close()
		m.conn.Close()
		m.conn, m.stmt = nil, nil
		return 0, fmt.Errorf("store: data version: %w", err)
	}
	m.last = m.offset + v
	return m.last, nil
}

// closeMemo gives the memo's connection back before the pool closes.
func (db *DB) closeMemo() {
	m := &db.memo
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn != nil {
		m.stmt.Close()
		m.conn.Close()
		m.conn, m.stmt = nil, nil
	}
	if m.pool != nil {
		m.pool.Close()
		m.pool = nil
	}
	m.values, m.closed = nil, true
}
