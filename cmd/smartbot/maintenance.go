package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"smartbot/store"
)

// migrate applies pending migrations (backing up first) and says where the
// schema stands. It refuses while a server holds the data directory.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", stderr)
	dataDir := dataDirFlag(fs)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs("migrate", rest, ""); err != nil {
		return err
	}
	if err := store.CheckDataDir(*dataDir); err != nil {
		return err
	}
	unlock, err := store.LockDataDir(*dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	path := filepath.Join(*dataDir, store.FileName)
	db, err := store.Open(ctx, store.Options{DataDir: *dataDir})
	if err != nil {
		return store.Explain(path, err)
	}
	defer db.Close()
	v, err := db.Version(ctx)
	if err != nil {
		return store.Explain(path, err)
	}
	fmt.Fprintf(stdout, "database %s is at schema version %d\n", db.Path(), v)
	return nil
}

// backup writes a backup of the data directory while the server may run.
func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	dataDir := dataDirFlag(fs)
	out := fs.String("o", "", "file to write; default smartbot-backup-<UTC time>.tar.gz (.db with --db-only) in the current directory; - for standard output")
	dbOnly := fs.Bool("db-only", false, "back up the database file alone, without media")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if err := noArgs("backup", rest, " (name the output with -o FILE)"); err != nil {
		return err
	}
	path := filepath.Join(*dataDir, store.FileName)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database to back up at %s: %w", path, err)
	}
	db, err := store.Open(ctx, store.Options{DataDir: *dataDir, NoMigrate: true})
	if err != nil {
		return store.Explain(path, err)
	}
	defer db.Close()

	name := *out
	if name == "" {
		ext := ".tar.gz"
		if *dbOnly {
			ext = ".db"
		}
		name = "smartbot-backup-" + time.Now().UTC().Format("20060102T150405Z") + ext
	}
	opts := store.BackupOptions{DBOnly: *dbOnly, Version: version()}
	if isTerminal(stderr) {
		opts.Progress = func(done, total int64) {
			pct := 100.0
			if total > 0 {
				pct = float64(done) * 100 / float64(total)
			}
			fmt.Fprintf(stderr, "\rbacking up: %s of %s (%.0f%%)   ", mib(done), mib(total), pct)
			if done >= total {
				fmt.Fprintln(stderr)
			}
		}
	}
	if name == "-" {
		return store.Explain(path, db.Backup(ctx, stdout, opts))
	}

	// Write beside the target and rename at the end, so a failed or
	// interrupted backup never leaves a file that looks complete.
	if _, err := os.Stat(name); err == nil {
		return fmt.Errorf("%s already exists; choose another name with -o", name)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".smartbot-backup-*")
	if err != nil {
		return fmt.Errorf("cannot write the backup next to %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if err := db.Backup(ctx, tmp, opts); err != nil {
		tmp.Close()
		return store.Explain(path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	fi, _ := os.Stat(name)
	fmt.Fprintf(stdout, "backup written to %s (%s)\n", name, mib(fi.Size()))
	return nil
}

// restore replaces the data directory's database and media with a backup.
func restore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	dataDir := dataDirFlag(fs)
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("restore takes one backup file, got %d arguments: smartbot restore [--data-dir DIR] FILE", len(rest))
	}
	if err := store.CheckDataDir(*dataDir); err != nil {
		return err
	}
	res, err := store.Restore(ctx, rest[0], *dataDir, store.RestoreOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: schema version %d, %d media files\n", rest[0], *dataDir, res.SchemaVersion, res.MediaFiles)
	if res.PreviousDir != "" {
		fmt.Fprintf(stdout, "the data it replaced is in %s\n", res.PreviousDir)
	}
	return nil
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
