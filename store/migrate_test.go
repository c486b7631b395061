package store_test

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"smartbot/store"
	"smartbot/store/storetest"
)

// The tables of DESIGN.md §2, by name.
var designTables = []string{
	"message_templates", "template_versions", "media_files", "product_media", "audit_logs",
	"delivery_tasks", "webhooks", "webhook_logs",
	"products", "customers", "orders", "order_items", "payments", "messages", "events",
	"users", "sessions", "api_keys", "settings", "goqite",
}

func tables(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	rows, err := db.R.Query(`select name, sql from sqlite_schema where type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, sql string
		rows.Scan(&name, &sql)
		out[name] = sql
	}
	return out
}

func TestAFreshDatabaseGetsEveryTableStrict(t *testing.T) {
	db := storetest.New(t)
	got := tables(t, db)
	for _, name := range designTables {
		sql, ok := got[name]
		if !ok {
			t.Errorf("table %s is missing", name)
			continue
		}
		if !strings.HasSuffix(strings.TrimSpace(sql), "strict") {
			t.Errorf("table %s is not strict", name)
		}
	}
	v, err := db.Version(context.Background())
	if err != nil || v != store.LatestVersion() || v < 1 {
		t.Fatalf("version %d, %v; want %d", v, err, store.LatestVersion())
	}
	var fk int
	db.R.QueryRow(`pragma foreign_keys`).Scan(&fk)
	var mode string
	db.R.QueryRow(`pragma journal_mode`).Scan(&mode)
	if fk != 1 || mode != "wal" {
		t.Fatalf("foreign_keys=%d journal_mode=%s, want 1 and wal", fk, mode)
	}
}

func TestEveryEnumColumnIsGuardedByACheck(t *testing.T) {
	db := storetest.New(t)
	cases := []struct{ table, sql string }{
		{"users", `insert into users (id, email, password_hash, role, created_at, updated_at, password_changed_at) values ('usr_1', 'a@b.c', 'x', 'admin', '', '', '')`},
		{"message_templates", `insert into message_templates (id, name, kind, body, created_at, updated_at) values ('tpl_1', 'x', 'carousel', 'b', '', '')`},
		{"message_templates", `insert into message_templates (id, name, kind, body, status, created_at, updated_at) values ('tpl_1', 'x', 'text', 'b', 'live', '', '')`},
		{"message_templates", `insert into message_templates (id, name, kind, body, created_at, updated_at) values ('tpl_1', 'Bad Name', 'text', 'b', '', '')`},
		{"media_files", `insert into media_files (id, original_name, mime, kind, size, sha256, storage_key, status, created_at, updated_at) values ('med_1', 'a', 'image/png', 'image', 1, '` + strings.Repeat("a", 64) + `', 'k', 'done', '', '')`},
		{"products", `insert into products (id, name, price, currency, created_at, updated_at) values ('prd_1', 'Tea', -1, 'USD', '', '')`},
		{"products", `insert into products (id, name, price, currency, created_at, updated_at) values ('prd_1', 'Tea', 1, 'usd', '', '')`},
		{"customers", `insert into customers (id, phone, created_at, updated_at) values ('cus_1', '0771234567', '', '')`},
		{"webhooks", `insert into webhooks (id, url, secret, events, created_at, updated_at) values ('whk_1', 'ftp://x.test/a', 'whsec_x', '[]', '', '')`},
		{"audit_logs", `insert into audit_logs (actor_type, action, entity_type, entity_id, created_at) values ('robot', 'a.b', 'x', 'y', '')`},
	}
	for _, c := range cases {
		err := db.Write(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Exec(c.sql)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "constraint") {
			t.Errorf("%s: %s\n  was accepted (%v)", c.table, c.sql, err)
		}
	}
}

func TestMigratingTwiceIsANoOp(t *testing.T) {
	dir := t.TempDir()
	db := storetest.Open(t, dir)
	before := tables(t, db)
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = storetest.Open(t, dir)
	if n := storetest.Count(t, db, `select count(*) from schema_migrations`); n != store.LatestVersion() {
		t.Fatalf("%d migrations recorded, want %d", n, store.LatestVersion())
	}
	after := tables(t, db)
	if len(before) != len(after) {
		t.Fatalf("tables changed: %d then %d", len(before), len(after))
	}
	// No pre-migration backup: there was nothing to migrate.
	if _, err := os.Stat(filepath.Join(dir, "backups")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a backup was made of an up-to-date database: %v", err)
	}
}

func TestADatabaseFromANewerBinaryIsRefusedUntouched(t *testing.T) {
	dir := t.TempDir()
	db := storetest.Open(t, dir)
	if _, err := db.W.Exec(`insert into schema_migrations (version, name, applied_at) values (9999, '9999_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := storetest.DirDigest(t, dir)

	for _, noMigrate := range []bool{false, true} {
		_, err := store.Open(context.Background(), store.Options{DataDir: dir, NoMigrate: noMigrate})
		if !errors.Is(err, store.ErrNewerSchema) {
			t.Fatalf("open (NoMigrate %v): %v, want ErrNewerSchema", noMigrate, err)
		}
		if !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "newer smartbot") {
			t.Errorf("error does not tell what to do: %v", err)
		}
	}
	if after := storetest.DirDigest(t, dir); !maps.Equal(after, before) {
		t.Fatal("the refused database's files changed")
	}
}

// Switching to WAL rewrites the header (bytes 18 and 19), so a newer
// database left in rollback-journal mode shows whether Open judged the
// version before it changed any setting.
func TestANewerDatabaseInRollbackModeIsRefusedByteForByteUntouched(t *testing.T) {
	dir := t.TempDir()
	db := storetest.Open(t, dir)
	if _, err := db.W.Exec(`insert into schema_migrations (version, name, applied_at) values (9999, '9999_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	path := filepath.Join(dir, store.FileName)
	conn, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := conn.QueryRow(`pragma journal_mode = delete`).Scan(&mode); err != nil || mode != "delete" {
		t.Fatalf("journal mode %q, %v", mode, err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	header, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if header[18] != 1 || header[19] != 1 {
		t.Fatalf("header bytes 18-19 are %d %d, want 1 1 (rollback journal)", header[18], header[19])
	}
	before := storetest.DirDigest(t, dir)

	for _, noMigrate := range []bool{false, true} {
		_, err := store.Open(context.Background(), store.Options{DataDir: dir, NoMigrate: noMigrate})
		if !errors.Is(err, store.ErrNewerSchema) {
			t.Fatalf("open (NoMigrate %v): %v, want ErrNewerSchema", noMigrate, err)
		}
		if !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "newer smartbot") {
			t.Errorf("error does not tell what to do: %v", err)
		}
		if after := storetest.DirDigest(t, dir); !maps.Equal(after, before) {
			t.Fatalf("open (NoMigrate %v) changed the refused database's files:\nbefore %v\nafter  %v", noMigrate, before, after)
		}
	}
}

func TestADatabaseThatNeedsMigratingIsBackedUpFirst(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	v1 := fstest.MapFS{"0001_notes.sql": {Data: []byte(`create table notes (id integer primary key, text text not null) strict;`)}}
	db, err := store.Open(ctx, store.Options{DataDir: dir, Migrations: v1})
	if err != nil {
		t.Fatal(err)
	}
	db.W.Exec(`insert into notes (text) values ('kept')`)
	db.Close()

	v2 := fstest.MapFS{
		"0001_notes.sql": v1["0001_notes.sql"],
		"0002_tags.sql":  {Data: []byte(`alter table notes add column tag text not null default '';`)},
	}
	db, err = store.Open(ctx, store.Options{DataDir: dir, Migrations: v2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Version(ctx); v != 2 {
		t.Fatalf("version %d after migrating, want 2", v)
	}
	backups, _ := filepath.Glob(filepath.Join(dir, "backups", "smartbot-v1-before-migration-*.db"))
	if len(backups) != 1 {
		t.Fatalf("backups = %v, want one made before migrating", backups)
	}
	// The backup is the database as it was: version 1, with its row.
	copyDir := t.TempDir()
	b, _ := os.ReadFile(backups[0])
	os.WriteFile(filepath.Join(copyDir, store.FileName), b, 0o600)
	old, err := store.Open(ctx, store.Options{DataDir: copyDir, Migrations: v1, NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	var text string
	if err := old.R.QueryRow(`select text from notes`).Scan(&text); err != nil || text != "kept" {
		t.Fatalf("backup holds %q, %v; want the row written before migrating", text, err)
	}
	if v, _ := old.Version(ctx); v != 1 {
		t.Fatalf("backup is at version %d, want 1", v)
	}
}

func TestADataDirThatIsNotAWritableDirectoryIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o600)
	_, err := store.Open(context.Background(), store.Options{DataDir: file})
	if err == nil || !strings.Contains(err.Error(), "is a file, not a directory") {
		t.Fatalf("open on a file: %v", err)
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(t.TempDir(), "ro")
		os.Mkdir(ro, 0o500)
		_, err = store.Open(context.Background(), store.Options{DataDir: ro})
		if err == nil || !strings.Contains(err.Error(), "not writable") {
			t.Fatalf("open on a read-only dir: %v", err)
		}
	}
}
