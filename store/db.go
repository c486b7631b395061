// Package store keeps Smartbot's state in one SQLite file: it opens the
// database with a single-connection write pool and a read pool, runs the
// embedded migrations, wraps writes in transactions with after-commit hooks,
// and holds the typed queries of every entity, one file per entity group.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the driver "sqlite"
)

// FileName is the database's name inside the data directory.
const FileName = "smartbot.db"

// Options configure Open.
type Options struct {
	// DataDir holds smartbot.db, media/ and backups/. It is created if missing.
	DataDir string
	// Log receives migration and backup notices; nil discards them.
	Log *slog.Logger
	// Now is the clock; nil means time.Now. Tests pass a fake.
	Now func() time.Time
	// ReadConns is the size of the read pool; 0 means max(4, GOMAXPROCS).
	ReadConns int
	// Migrations replaces the embedded migrations; for tests.
	Migrations fs.FS
	// NoMigrate opens the database without migrating it; Open still refuses a
	// database written by a newer binary.
	NoMigrate bool
}

// DB is the open database: W, the write pool of exactly one connection that
// every write transaction goes through, and R, the read pool. One writer
// means writers queue in Go rather than meet SQLITE_BUSY.
type DB struct {
	W *sql.DB
	R *sql.DB

	path       string
	dataDir    string
	migrations []Migration
	log        *slog.Logger
	now        func() time.Time

	stmtsMu sync.Mutex
	stmts   map[string]*sql.Stmt
	reads   readStmts
	apiKeys apiKeyCache
	memo    memo
	ckpt    checkpointer
}

// dsn builds the connection string: busy_timeout first (the driver applies
// it first whatever the order), then WAL, synchronous NORMAL and foreign keys.
func dsn(path string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	if write {
		// Writes take the write lock at BEGIN, so a transaction never fails
		// half-way when it upgrades from reading to writing.
		q.Set("_txlock", "immediate")
		// A savepoint's statement journal (every API create runs in one)
		// stays in memory; otherwise SQLite spills it to a temporary file
		// and each create paid for the file's writes in system calls.
		q.Add("_pragma", "temp_store(MEMORY)")
		// Checkpoints run in the background instead (checkpoint.go).
		q.Add("_pragma", "wal_autocheckpoint(0)")
	} else {
		q.Add("_pragma", "query_only(ON)")
	}
	return sqliteURI(path) + "?" + q.Encode()
}

// sqliteURI makes path an SQLite URI filename. SQLite reads '?' in one as
// the start of the query, '#' as the fragment and '%' as an escape (and the
// driver splits a DSN at its first '?'), so a data directory named with any
// of them would open some other file unless they are escaped. A relative
// path that starts with "file:" stays a path too: it follows the scheme.
func sqliteURI(path string) string {
	return "file:" + uriEscaper.Replace(path)
}

var uriEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// Open opens (creating if needed) DataDir/smartbot.db and migrates it, after
// backing it up when it holds data and needs migrating. A database written by
// a newer binary is refused untouched.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.DataDir == "" {
		return nil, errors.New("store: no data directory given")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReadConns == 0 {
		opts.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	ms, err := Migrations(opts.Migrations)
	if err != nil {
		return nil, err
	}
	if err := CheckDataDir(opts.DataDir); err != nil {
		return nil, err
	}
	path := filepath.Join(opts.DataDir, FileName)
	if err := checkFileVersion(ctx, path, latest(ms)); err != nil {
		return nil, err
	}

	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	r.SetConnMaxIdleTime(0)

	db := &DB{W: w, R: r, path: path, dataDir: opts.DataDir, migrations: ms, log: opts.Log, now: opts.Now}
	if err := w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if opts.NoMigrate {
		err = db.checkVersion(ctx)
	} else if err = db.Migrate(ctx); err == nil {
		// Best effort: a schema without these tables (a test's own
		// migrations) runs them unprepared, and fails only if it uses them.
		for _, q := range hotWrites {
			db.Prepare(ctx, q)
		}
	}
	if err == nil {
		err = db.startCheckpoints()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes both pools. The write pool closes last so the final
// checkpoint folds the WAL back into the database file.
func (db *DB) Close() error {
	db.stopCheckpoints()
	db.stmtsMu.Lock()
	for _, stmt := range db.stmts {
		stmt.Close()
	}
	db.stmts = nil
	db.stmtsMu.Unlock()
	db.closeReads()
	db.closeMemo()
	return errors.Join(db.R.Close(), db.W.Close())
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// DataDir is the data directory the database lives in.
func (db *DB) DataDir() string { return db.dataDir }

// Now is the store's clock.
func (db *DB) Now() time.Time { return db.now() }

// Ping checks that the database answers a read.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.R.QueryRowContext(ctx, "select 1").Scan(&one)
}

// CheckDataDir makes sure dir is a directory Smartbot can write, creating it
// if it does not exist. Its errors say what is wrong with the path.
func CheckDataDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("data directory %s cannot be created: %w", dir, err)
		}
	case err != nil:
		return fmt.Errorf("data directory %s cannot be read: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("data directory %s is a file, not a directory", dir)
	}
	probe, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %w", dir, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}
