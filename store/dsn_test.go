package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"smartbot/store"
)

// SQLite reads its file name as a URI: '?' starts the query, '#' the
// fragment, and '%' an escape. A data directory may hold any of them.
func TestADataDirWithURICharactersInItsNameIsUsedExactly(t *testing.T) {
	ctx := context.Background()
	// One temp dir for all: a subtest's own would carry its name, and so
	// the very characters under test, into the parent's path.
	temp := t.TempDir()
	for i, name := range []string{"shop?x=1", "shop#a", "a%20b", "100%", "shop?x=1#a%20b%", "mode=ro?mode=ro", "file:shop"} {
		t.Run(name, func(t *testing.T) {
			parent := filepath.Join(temp, strconv.Itoa(i))
			dir := filepath.Join(parent, name)
			db, err := store.Open(ctx, store.Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			setSetting(t, db, "greeting", "hello")
			snap := filepath.Join(dir, "snapshots", "copy?#%.db")
			if err := db.Snapshot(ctx, snap); err != nil {
				t.Fatal(err)
			}
			var full, dbOnly bytes.Buffer
			if err := db.Backup(ctx, &full, store.BackupOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := db.Backup(ctx, &dbOnly, store.BackupOptions{DBOnly: true}); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			for _, archive := range []*bytes.Buffer{&full, &dbOnly} {
				path := filepath.Join(dir, "backup?#%")
				if err := os.WriteFile(path, archive.Bytes(), 0o640); err != nil {
					t.Fatal(err)
				}
				if _, err := store.Restore(ctx, path, dir, store.RestoreOptions{}); err != nil {
					t.Fatal(err)
				}
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			}

			entries, err := os.ReadDir(parent)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, []string{name}) {
				t.Errorf("the data dir's parent holds %q, want only %q", names, name)
			}
			for _, path := range []string{filepath.Join(dir, store.FileName), snap} {
				b, err := os.ReadFile(path)
				if err != nil || !bytes.HasPrefix(b, []byte("SQLite format 3\x00")) {
					t.Errorf("%s is not a database: %v", path, err)
				}
			}

			db, err = store.Open(ctx, store.Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var v string
			if err := db.Setting(ctx, "greeting", &v); err != nil || v != "hello" {
				t.Errorf("greeting = %q, %v; want hello", v, err)
			}
		})
	}
}

// A relative data dir whose name starts with "file:" must not be taken for
// a URI either, by the pools or by VACUUM INTO.
func TestARelativeDataDirNamedLikeAURIIsUsedExactly(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	t.Chdir(parent)
	db, err := store.Open(ctx, store.Options{DataDir: "file:shop?x"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	setSetting(t, db, "greeting", "hello")
	if err := db.Snapshot(ctx, filepath.Join("file:shop?x", "copy.db")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"file:shop?x/smartbot.db", "file:shop?x/copy.db"} {
		if _, err := os.Stat(filepath.Join(parent, path)); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("%d entries in the working directory, want only the data dir: %v", len(entries), entries)
	}
}
