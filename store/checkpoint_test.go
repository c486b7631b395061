package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"smartbot/store"
	"smartbot/store/storetest"
)

func TestCommitsLeaveCheckpointsToTheBackgroundAndCloseFoldsTheWAL(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var auto int
	if err := db.W.QueryRowContext(context.Background(), `pragma wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint on the write connection = %d, %v; want 0 (checkpoints run in the background)", auto, err)
	}
	for i := range 50 {
		setSetting(t, db, "greeting", i)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, store.FileName+"-wal")); err == nil && fi.Size() > 0 {
		t.Fatalf("after Close the WAL holds %d bytes", fi.Size())
	}
	// And the file opens again with everything in it.
	var v int
	if err := storetest.Open(t, dir).Setting(context.Background(), "greeting", &v); err != nil || v != 49 {
		t.Fatalf("greeting = %d, %v; want 49", v, err)
	}
}
