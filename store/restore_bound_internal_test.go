package store

// An internal test: what a refused restore wrote is gone by the time Restore
// returns, so the only place to measure it is unpackArchive's directory.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnInflatingDatabaseEntryIsRefusedBeforeItIsWritten(t *testing.T) {
	const declared = 4096
	manifest, err := json.Marshal(BackupManifest{
		Format: BackupFormat, SchemaVersion: 1, DBSize: declared, DBSHA256: strings.Repeat("0", 64),
	})
	if err != nil {
		t.Fatal(err)
	}
	// 32 MiB of zeros compress to about 32 KiB: a small archive whose
	// database entry inflates to 8192 times what its manifest declares.
	var archive bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&archive, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	entries := []struct {
		name string
		body []byte
	}{{manifestName, manifest}, {FileName, append(bytes.Clone(sqliteHeader), make([]byte, 32<<20)...)}}
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Size: int64(len(e.body)), Mode: 0o640}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("archive of %d bytes, database entry of %d", archive.Len(), len(entries[1].body))

	dir := t.TempDir()
	_, _, err = unpackArchive(context.Background(), &archive, dir, DefaultMaxRestoreSize)
	if err == nil || !strings.Contains(err.Error(), "larger than its manifest says") {
		t.Errorf("error %v, want one saying the entry is larger than its manifest says", err)
	}
	var written int64
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			info, _ := d.Info()
			written += info.Size()
		}
		return nil
	})
	// At most the declared size and one copy buffer.
	if limit := int64(declared + 32<<10); written > limit {
		t.Errorf("%d bytes written before the refusal, want at most %d", written, limit)
	}
}
