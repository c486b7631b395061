package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"smartbot/app"
	"smartbot/migrations"
)

// Migration is one embedded schema file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the migrations in fsys (nil: the embedded ones) in
// version order.
func Migrations(fsys fs.FS) ([]Migration, error) {
	if fsys == nil {
		fsys = migrations.FS
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s: name must be NNNN_what.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("store: migrations %s and %s share a version", ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this binary migrates to.
func LatestVersion() int {
	ms, err := Migrations(nil)
	if err != nil {
		return 0
	}
	return latest(ms)
}

func latest(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// ErrNewerSchema is returned for a database written by a newer binary.
var ErrNewerSchema = errors.New("database schema is newer than this binary")

// SchemaVersion reads the schema version of the database behind q: 0 for a
// database no migration has touched. It only reads.
func SchemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `select count(*) from sqlite_schema where type = 'table' and name = 'schema_migrations'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	if err := q.QueryRowContext(ctx, `select coalesce(max(version), 0) from schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// Version is the database's current schema version.
func (db *DB) Version(ctx context.Context) (int, error) {
	return SchemaVersion(ctx, db.R)
}

func (db *DB) checkVersion(ctx context.Context) error {
	v, err := SchemaVersion(ctx, db.W)
	if err != nil {
		return err
	}
	return judgeVersion(db.path, v, latest(db.migrations))
}

// checkFileVersion refuses the database at path, if there is one, when it
// is newer than known. It reads through a connection of its own that sets
// nothing but busy_timeout and query_only: the pools switch the file to WAL
// as they connect, which rewrites its header, and a database this binary
// refuses must be left byte for byte as it was.
func checkFileVersion(ctx context.Context, path string, known int) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	conn, err := sql.Open("sqlite", sqliteURI(path)+"?_pragma=busy_timeout(10000)&_pragma=query_only(ON)")
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer conn.Close()
	v, err := SchemaVersion(ctx, conn)
	if err != nil {
		return err
	}
	return judgeVersion(path, v, known)
}

func judgeVersion(path string, v, known int) error {
	if v > known {
		return fmt.Errorf("%w: %s is at schema version %d, this binary knows up to %d; run a newer smartbot, or restore a backup made by this version",
			ErrNewerSchema, path, v, known)
	}
	return nil
}

// Migrate applies the pending migrations, each in its own transaction. A
// database that already holds data is backed up into DataDir/backups first.
// A database written by a newer binary is refused without a single write.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.checkVersion(ctx); err != nil {
		return err
	}
	current, err := SchemaVersion(ctx, db.W)
	if err != nil {
		return err
	}
	var pending []Migration
	for _, m := range db.migrations {
		if m.Version > current {
			pending = append(pending, m)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	if current > 0 {
		path := filepath.Join(db.dataDir, "backups", fmt.Sprintf("smartbot-v%d-before-migration-%s.db", current, db.now().UTC().Format("20060102T150405Z")))
		if err := db.Snapshot(ctx, path); err != nil {
			return fmt.Errorf("store: back up before migrating: %w", err)
		}
		db.log.Info("backed up the database before migrating", "path", path, "from_version", current, "to_version", pending[len(pending)-1].Version)
	}
	if _, err := db.W.ExecContext(ctx, `create table if not exists schema_migrations (
		version integer primary key,
		name text not null,
		applied_at text not null
	) strict`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for _, m := range pending {
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
		db.log.Info("applied migration", "name", m.Name)
	}
	return nil
}

// rebuildMarker starts a migration that rebuilds a table other tables refer
// to. SQLite's way (https://sqlite.org/lang_altertable.html, "other kinds
// of table schema changes") needs foreign keys off while the old table goes
// and its copy takes the name, which can only be switched outside a
// transaction; the references are then checked inside it, before commit.
const rebuildMarker = "-- smartbot: rebuilds tables"

// apply runs one migration and records it, in one transaction.
func (db *DB) apply(ctx context.Context, m Migration) error {
	rebuild := strings.HasPrefix(m.SQL, rebuildMarker)
	if rebuild {
		// The write pool has one connection, so the pragma holds for the
		// transaction below.
		if _, err := db.W.ExecContext(ctx, `pragma foreign_keys = off`); err != nil {
			return err
		}
		defer db.W.ExecContext(context.WithoutCancel(ctx), `pragma foreign_keys = on`)
	}
	return db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return err
		}
		if rebuild {
			var n int
			if err := tx.QueryRowContext(ctx, `select count(*) from pragma_foreign_key_check`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%d rows refer to rows that are not there after the rebuild", n)
			}
		}
		_, err := tx.ExecContext(ctx, `insert into schema_migrations (version, name, applied_at) values (?, ?, ?)`,
			m.Version, m.Name, app.FormatTime(db.now()))
		return err
	})
}
