package store_test

import (
	"regexp"

	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/store"
	"smartbot/store/storetest"
)

func TestBackupTakenDuringWritesRestoresEveryRowCommittedBeforeIt(t *testing.T) {
	for _, dbOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("db only %v", dbOnly), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, t.TempDir())

			// The writer commits settings k000000, k000001, … until told to
			// stop; committed counts the ones whose Write has returned.
			var committed atomic.Int64
			stop := make(chan struct{})
			warm := make(chan struct{})
			var wg sync.WaitGroup
			var writeErr error
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					err := db.Write(ctx, func(tx *store.Tx) error {
						return tx.SetSetting(ctx, settingKey(i), i)
					})
					if err != nil {
						writeErr = err
						return
					}
					committed.Store(int64(i + 1))
					if i == 200 {
						close(warm)
					}
				}
			})
			<-warm

			before := committed.Load()
			archive := filepath.Join(t.TempDir(), "backup")
			f, err := os.Create(archive)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Backup(ctx, f, store.BackupOptions{DBOnly: dbOnly}); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			close(stop)
			wg.Wait()
			if writeErr != nil {
				t.Fatalf("writer: %v", writeErr)
			}
			t.Logf("%d rows committed before the backup, %d by the end", before, committed.Load())

			target := filepath.Join(t.TempDir(), "data")
			res, err := store.Restore(ctx, archive, target, store.RestoreOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.SchemaVersion != store.LatestVersion() {
				t.Errorf("schema version %d, want %d", res.SchemaVersion, store.LatestVersion())
			}
			if res.PreviousDir != "" {
				t.Errorf("previous dir %q for a fresh data dir, want none", res.PreviousDir)
			}
			if (res.Manifest == nil) != dbOnly {
				t.Errorf("manifest %+v for db only %v", res.Manifest, dbOnly)
			}

			restored := storetest.Open(t, target)
			assertIntegrityOK(t, restored)
			for i := range int(before) {
				var v int
				if err := restored.Setting(ctx, settingKey(i), &v); err != nil {
					t.Fatalf("row committed before the backup is missing: %v", err)
				}
				if v != i {
					t.Fatalf("%s = %d, want %d", settingKey(i), v, i)
				}
			}
		})
	}
}

func TestFullBackupRoundTripsMediaByteForByte(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	created := time.Date(2025, 3, 4, 5, 6, 7, 891_000_000, time.UTC)
	db, err := store.Open(ctx, store.Options{DataDir: src, Now: func() time.Time { return created }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	media := map[string][]byte{
		"ab/cd/abcdef.bin":   randomBytes(3<<20, 1),
		"empty":              {},
		"x/y/z/deep.txt":     []byte("deep\n"),
		"with space.jpg":     randomBytes(1000, 2),
		"ab/second-file.png": randomBytes(70_000, 3),
	}
	writeFiles(t, filepath.Join(src, "media"), media)
	outside := filepath.Join(t.TempDir(), "secret")
	writeFiles(t, filepath.Dir(outside), map[string][]byte{"secret": []byte("not for the backup")})
	if err := os.Symlink(outside, filepath.Join(src, "media", "link")); err != nil {
		t.Fatal(err)
	}

	type call struct{ done, total int64 }
	var calls []call
	var buf bytes.Buffer
	err = db.Backup(ctx, &buf, store.BackupOptions{
		Version:  "1.2.3-test",
		Progress: func(done, total int64) { calls = append(calls, call{done, total}) },
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("progress climbs to a final call with done equal to total", func(t *testing.T) {
		if len(calls) < 2 {
			t.Fatalf("%d progress calls, want several for 3 MiB", len(calls))
		}
		for i := 1; i < len(calls); i++ {
			if calls[i].done < calls[i-1].done {
				t.Fatalf("done went back: %v", calls)
			}
		}
		last := calls[len(calls)-1]
		var mediaBytes int64
		for _, b := range media {
			mediaBytes += int64(len(b))
		}
		if last.done != last.total || last.done <= mediaBytes {
			t.Errorf("last call %+v, want done == total > %d media bytes", last, mediaBytes)
		}
	})

	t.Run("archive holds the manifest, then the database, then the media", func(t *testing.T) {
		entries := readArchive(t, buf.Bytes())
		var names []string
		for _, e := range entries {
			names = append(names, e.name)
		}
		want := []string{"manifest.json", "smartbot.db", "media/ab/cd/abcdef.bin", "media/ab/second-file.png",
			"media/empty", "media/with space.jpg", "media/x/y/z/deep.txt"}
		if strings.Join(names, " | ") != strings.Join(want, " | ") {
			t.Fatalf("entries\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
		}
		var m store.BackupManifest
		if err := json.Unmarshal(entries[0].body, &m); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(entries[1].body)
		wantManifest := store.BackupManifest{
			Format:        1,
			SchemaVersion: store.LatestVersion(),
			CreatedAt:     "2025-03-04T05:06:07.891Z",
			AppVersion:    "1.2.3-test",
			DBSize:        int64(len(entries[1].body)),
			DBSHA256:      hex.EncodeToString(sum[:]),
			MediaFiles:    5,
			MediaBytes:    3<<20 + 5 + 1000 + 70_000,
		}
		if m != wantManifest {
			t.Errorf("manifest %+v\nwant     %+v", m, wantManifest)
		}
		if leftovers, _ := filepath.Glob(filepath.Join(src, ".backup-*")); len(leftovers) > 0 {
			t.Errorf("temporary files left in the data dir: %v", leftovers)
		}
	})

	t.Run("restore puts every media file back byte for byte", func(t *testing.T) {
		archive := writeTemp(t, buf.Bytes())
		target := t.TempDir()
		res, err := store.Restore(ctx, archive, target, store.RestoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.MediaFiles != len(media) {
			t.Errorf("%d media files restored, want %d", res.MediaFiles, len(media))
		}
		want := storetest.DirDigest(t, filepath.Join(src, "media"))
		delete(want, "link")
		if got := storetest.DirDigest(t, filepath.Join(target, "media")); !maps.Equal(got, want) {
			t.Errorf("restored media\n%v\nwant\n%v", got, want)
		}
	})
}

func TestFullBackupFollowsAMediaDirThatIsASymlink(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	db := storetest.Open(t, src)
	elsewhere := t.TempDir()
	writeFiles(t, elsewhere, map[string][]byte{"ab/photo.jpg": []byte("photo")})
	if err := os.Symlink(elsewhere, filepath.Join(src, "media")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := db.Backup(ctx, &buf, store.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	entries := readArchive(t, buf.Bytes())
	if last := entries[len(entries)-1]; last.name != "media/ab/photo.jpg" || string(last.body) != "photo" {
		t.Errorf("last entry %q holds %q, want media/ab/photo.jpg", last.name, last.body)
	}
}

func TestBackupLeavesOutUploadsStillArriving(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	db := storetest.Open(t, src)
	writeFiles(t, filepath.Join(src, "media"), map[string][]byte{
		"ab/cd/kept":          []byte("kept"),
		"tmp/upload-12345":    []byte("half an upl"),
		"x/tmp/not-the-temps": []byte("deeper tmp is an ordinary folder"),
	})
	var buf bytes.Buffer
	if err := db.Backup(ctx, &buf, store.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range readArchive(t, buf.Bytes())[2:] {
		names = append(names, e.name)
	}
	if want := "media/ab/cd/kept | media/x/tmp/not-the-temps"; strings.Join(names, " | ") != want {
		t.Errorf("media in the archive: %q, want %q", names, want)
	}
}

func TestDBOnlyBackupIsAPlainSQLiteFileThatRestores(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	db := storetest.Open(t, src)
	setSetting(t, db, "greeting", "hello")
	writeFiles(t, filepath.Join(src, "media"), map[string][]byte{"a.jpg": []byte("a")})
	var buf bytes.Buffer
	if err := db.Backup(ctx, &buf, store.BackupOptions{DBOnly: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("SQLite format 3\x00")) {
		t.Fatalf("db-only backup starts with %q", buf.Bytes()[:16])
	}

	target := seedDataDir(t)
	mediaBefore := storetest.DirDigest(t, filepath.Join(target, "media"))
	res, err := store.Restore(ctx, writeTemp(t, buf.Bytes()), target, store.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MediaFiles != 0 || res.Manifest != nil {
		t.Errorf("result %+v, want no media and no manifest", res)
	}
	if got := storetest.DirDigest(t, filepath.Join(target, "media")); !maps.Equal(got, mediaBefore) {
		t.Errorf("a db-only restore changed the media: %v, was %v", got, mediaBefore)
	}
	restored := storetest.Open(t, target)
	var v string
	if err := restored.Setting(ctx, "greeting", &v); err != nil || v != "hello" {
		t.Errorf("greeting = %q, %v; want hello", v, err)
	}
}

func TestRestoreOfABadBackupChangesNothing(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	db := storetest.Open(t, src)
	setSetting(t, db, "greeting", "hello")
	writeFiles(t, filepath.Join(src, "media"), map[string][]byte{"big.bin": randomBytes(256<<10, 4)})
	var full bytes.Buffer
	if err := db.Backup(ctx, &full, store.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	var dbOnly bytes.Buffer
	if err := db.Backup(ctx, &dbOnly, store.BackupOptions{DBOnly: true}); err != nil {
		t.Fatal(err)
	}
	newer := newerSchemaDB(t, db)
	stranger := foreignSQLiteDB(t)

	tests := []struct {
		name    string
		archive func(t *testing.T) []byte
		wantErr string
	}{
		{"random bytes", func(t *testing.T) []byte {
			b := randomBytes(64<<10, 5)
			b[0] = 'R'
			return b
		}, "not a Smartbot backup"},
		{"an empty file", func(t *testing.T) []byte { return nil }, "not a Smartbot backup"},
		{"a valid archive cut off in the middle", func(t *testing.T) []byte {
			return full.Bytes()[:full.Len()/2]
		}, "damaged"},
		{"a valid archive missing only its last bytes", func(t *testing.T) []byte {
			return full.Bytes()[:full.Len()-4]
		}, "damaged"},
		{"a valid archive with a flipped byte in its compressed stream", func(t *testing.T) []byte {
			b := bytes.Clone(full.Bytes())
			b[len(b)/2] ^= 0x01
			return b
		}, "damaged"},
		{"a valid archive with a flipped byte in the database", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "smartbot.db" {
					e.body[len(e.body)/2] ^= 0xff
				}
			})
		}, "SHA-256"},
		{"an archive with a ../evil entry", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "media/big.bin" {
					e.name = "../evil"
				}
			})
		}, "unsafe path"},
		{"an archive with a media/../../evil entry", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "media/big.bin" {
					e.name = "media/../../evil"
				}
			})
		}, "unsafe path"},
		{"an archive with an absolute path", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "media/big.bin" {
					e.name = "/tmp/evil"
				}
			})
		}, "unsafe path"},
		{"an archive with a symlink", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "media/big.bin" {
					e.typ, e.link, e.body = tar.TypeSymlink, "/etc/passwd", nil
				}
			})
		}, "not a regular file or directory"},
		{"an archive with a stray top-level file", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "media/big.bin" {
					e.name = "smartbot.db-wal"
				}
			})
		}, "does not belong"},
		{"an archive without a manifest", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "manifest.json" {
					e.drop = true
				}
			})
		}, "manifest.json is not the first entry"},
		{"an archive with a manifest of a future format", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "manifest.json" {
					e.body = bytes.Replace(e.body, []byte(`"format": 1`), []byte(`"format": 2`), 1)
				}
			})
		}, "format 2"},
		{"an archive larger than the cap", nil, "more than"},
		{"a database entry larger than its manifest says", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "smartbot.db" {
					e.body = make([]byte, 4<<20) // zeros: 4 KiB once compressed
				}
			})
		}, "the archive's entry smartbot.db is larger than its manifest says"},
		{"a database entry smaller than its manifest says", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "smartbot.db" {
					e.body = e.body[:len(e.body)/2]
				}
			})
		}, "the archive's entry smartbot.db is smaller than its manifest says"},
		{"a database entry of zeros the manifest vouches for", func(t *testing.T) []byte {
			zeros := make([]byte, 1<<20)
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				switch e.name {
				case "manifest.json":
					e.body = setManifest(t, e.body, func(m *store.BackupManifest) {
						sum := sha256.Sum256(zeros)
						m.DBSize, m.DBSHA256 = int64(len(zeros)), hex.EncodeToString(sum[:])
					})
				case "smartbot.db":
					e.body = zeros
				}
			})
		}, "the archive's entry smartbot.db is not an SQLite database"},
		{"a media file the manifest does not count", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "manifest.json" {
					e.body = setManifest(t, e.body, func(m *store.BackupManifest) { m.MediaFiles, m.MediaBytes = 0, 0 })
				}
			})
		}, "the archive holds more media files than its manifest says (0)"},
		{"media larger in total than the manifest says", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "manifest.json" {
					e.body = setManifest(t, e.body, func(m *store.BackupManifest) { m.MediaBytes = 1000 })
				}
			})
		}, "the archive's media files are larger than its manifest says (1000 bytes)"},
		{"a manifest that claims negative sizes", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "manifest.json" {
					e.body = setManifest(t, e.body, func(m *store.BackupManifest) { m.MediaBytes = -1 })
				}
			})
		}, "not a Smartbot backup: manifest.json"},
		{"a manifest entry far larger than a manifest", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "manifest.json" {
					e.body = append(e.body, bytes.Repeat([]byte(" "), 8<<20)...)
				}
			})
		}, "manifest.json is larger than"},
		{"an archive with more directories than its media files need", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				switch e.name {
				case "manifest.json":
					e.body = setManifest(t, e.body, func(m *store.BackupManifest) { m.MediaFiles, m.MediaBytes = 0, 0 })
				case "media/big.bin":
					e.name, e.typ, e.body = "media/a", tar.TypeDir, nil
					e.then = []entry{{name: "media/b", typ: tar.TypeDir}}
				}
			})
		}, "the archive holds more directories than its manifest's 0 media files need"},
		{"a db-only backup cut in half", func(t *testing.T) []byte {
			return dbOnly.Bytes()[:dbOnly.Len()/2]
		}, "damaged"},
		{"a db-only backup made by a newer Smartbot", func(t *testing.T) []byte {
			return newer
		}, "backup was made by a newer Smartbot: schema version 9999, this binary knows up to"},
		{"a full backup whose manifest says a newer schema", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				if e.name == "manifest.json" {
					e.body = setManifest(t, e.body, func(m *store.BackupManifest) { m.SchemaVersion = 9999 })
				}
			})
		}, "backup was made by a newer Smartbot: schema version 9999"},
		{"a full backup whose database is newer than its manifest says", func(t *testing.T) []byte {
			return rewriteArchive(t, full.Bytes(), func(e *entry) {
				switch e.name {
				case "manifest.json":
					e.body = setManifest(t, e.body, func(m *store.BackupManifest) {
						sum := sha256.Sum256(newer)
						m.DBSize, m.DBSHA256 = int64(len(newer)), hex.EncodeToString(sum[:])
					})
				case "smartbot.db":
					e.body = newer
				}
			})
		}, "backup was made by a newer Smartbot: schema version 9999"},
		{"an SQLite database that is not Smartbot's", func(t *testing.T) []byte {
			return stranger
		}, "no schema version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			archive := writeTemp(t, full.Bytes())
			opts := store.RestoreOptions{}
			if tt.archive != nil {
				archive = writeTemp(t, tt.archive(t))
			} else {
				opts.MaxSize = 100 << 10
			}
			target := seedDataDir(t)
			before := storetest.DirDigest(t, target)

			_, err := store.Restore(ctx, archive, target, opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
			}
			t.Log(err)
			// What the CLI prints: an *app.Error's message, or the text.
			shown := err.Error()
			if app.ErrorCode(err) != app.EINTERNAL {
				shown = app.ErrorMessage(err)
			}
			if m := driverWords.FindString(shown); m != "" {
				t.Errorf("the error shows SQLite's words %q: %s", m, shown)
			}
			if after := storetest.DirDigest(t, target); !maps.Equal(after, before) {
				t.Errorf("data dir changed:\nbefore %v\nafter  %v", before, after)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(target), "evil")); err == nil {
				t.Errorf("an entry escaped the data dir")
			}
		})
	}
}

// driverWords are SQLite's, never a person's to read.
var driverWords = regexp.MustCompile(`(?i)malformed|constraint failed|sql logic|\(\d{1,4}\)$|\*\*\* in database`)

func TestRestoreRefusesWhileTheDataDirIsLocked(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	db := storetest.Open(t, src)
	setSetting(t, db, "greeting", "from the backup")
	writeFiles(t, filepath.Join(src, "media"), map[string][]byte{"new.jpg": []byte("new")})
	var buf bytes.Buffer
	if err := db.Backup(ctx, &buf, store.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	archive := writeTemp(t, buf.Bytes())

	target := seedDataDir(t)
	before := storetest.DirDigest(t, target)
	unlock, err := store.LockDataDir(target)
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.Restore(ctx, archive, target, store.RestoreOptions{})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("restore under a held lock: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "server seems to be running") || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("error %q does not say a server is running and must be stopped", err)
	}
	if after := storetest.DirDigest(t, target); !maps.Equal(after, before) {
		t.Fatalf("refused restore changed the data dir:\nbefore %v\nafter  %v", before, after)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}

	at := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	res, err := store.Restore(ctx, archive, target, store.RestoreOptions{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(target, "previous-20250607T080910Z"); res.PreviousDir != want {
		t.Errorf("previous dir %q, want %q", res.PreviousDir, want)
	}
	if got := storetest.DirDigest(t, res.PreviousDir); !maps.Equal(got, before) {
		t.Errorf("previous dir holds\n%v\nwant the old data\n%v", got, before)
	}
	restored := storetest.Open(t, target)
	var v string
	if err := restored.Setting(ctx, "greeting", &v); err != nil || v != "from the backup" {
		t.Errorf("greeting = %q, %v; want the backup's", v, err)
	}
	if b, err := os.ReadFile(filepath.Join(target, "media", "new.jpg")); err != nil || string(b) != "new" {
		t.Errorf("restored media: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(target, "media", "old.jpg")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old media still in place after a full restore: %v", err)
	}
}

func TestACancelledBackupOrRestoreLeavesNothingBehind(t *testing.T) {
	src := t.TempDir()
	db := storetest.Open(t, src)
	setSetting(t, db, "greeting", "hello")
	var buf bytes.Buffer
	if err := db.Backup(context.Background(), &buf, store.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	archive := writeTemp(t, buf.Bytes())
	// The WAL is folded into the file now, so that the background
	// checkpoint (every second) has nothing left to change while the test
	// compares the directory.
	if _, err := db.W.Exec(`pragma wal_checkpoint(passive)`); err != nil {
		t.Fatal(err)
	}
	srcBefore := storetest.DirDigest(t, src)
	target := seedDataDir(t)
	targetBefore := storetest.DirDigest(t, target)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Backup(ctx, io.Discard, store.BackupOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("backup: %v, want context.Canceled", err)
	}
	if _, err := store.Restore(ctx, archive, target, store.RestoreOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("restore: %v, want context.Canceled", err)
	}
	if after := storetest.DirDigest(t, src); !maps.Equal(after, srcBefore) {
		t.Errorf("backup left\n%v\nwas\n%v", after, srcBefore)
	}
	if after := storetest.DirDigest(t, target); !maps.Equal(after, targetBefore) {
		t.Errorf("restore left\n%v\nwas\n%v", after, targetBefore)
	}
}

func TestLockDataDirAllowsOneHolderAtATime(t *testing.T) {
	dir := t.TempDir()
	unlock, err := store.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.LockDataDir(dir); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Errorf("second unlock: %v", err)
	}
	again, err := store.LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again()
}

// seedDataDir makes a data dir with a closed database and some media, the
// state a restore finds after the server was stopped.
func seedDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	setSetting(t, db, "greeting", "from before")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(dir, "media"), map[string][]byte{"old.jpg": []byte("old"), "ab/old2.png": randomBytes(5000, 6)})
	return dir
}

func settingKey(i int) string { return fmt.Sprintf("k%06d", i) }

func setSetting(t *testing.T, db *store.DB, key string, v any) {
	t.Helper()
	ctx := context.Background()
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(ctx, key, v) }); err != nil {
		t.Fatal(err)
	}
}

func assertIntegrityOK(t *testing.T, db *store.DB) {
	t.Helper()
	var res string
	if err := db.R.QueryRow(`pragma integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q, %v", res, err)
	}
}

// newerSchemaDB returns a copy of db's database that claims schema version 9999.
func newerSchemaDB(t *testing.T, db *store.DB) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "newer.db")
	if err := db.Snapshot(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	return editSQLite(t, path, `insert into schema_migrations (version, name, applied_at) values (9999, '9999_future.sql', '2099-01-01T00:00:00.000Z')`)
}

// foreignSQLiteDB returns a valid SQLite database that Smartbot never made.
func foreignSQLiteDB(t *testing.T) []byte {
	t.Helper()
	return editSQLite(t, filepath.Join(t.TempDir(), "other.db"), `create table notes (body text)`)
}

func editSQLite(t *testing.T, path, stmt string) []byte {
	t.Helper()
	conn, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(stmt); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func setManifest(t *testing.T, body []byte, edit func(*store.BackupManifest)) []byte {
	t.Helper()
	var m store.BackupManifest
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type entry struct {
	name string
	typ  byte
	link string
	body []byte
	drop bool
	then []entry // written after this one
}

func readArchive(t *testing.T, archive []byte) []entry {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var entries []entry
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, entry{name: hdr.Name, typ: hdr.Typeflag, link: hdr.Linkname, body: body})
	}
}

// rewriteArchive returns archive with each entry passed through edit.
func rewriteArchive(t *testing.T, archive []byte, edit func(*entry)) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range readArchive(t, archive) {
		e.body = bytes.Clone(e.body)
		edit(&e)
		if e.drop {
			continue
		}
		for _, e := range append([]entry{e}, e.then...) {
			hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Size: int64(len(e.body)), Mode: 0o640}
			if err := tw.WriteHeader(hdr); err != nil {
				t.Fatal(err)
			}
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFiles(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, body, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "archive")
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
