package store

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"smartbot/app"
)

// BackupFormat is the version of the archive layout Backup writes and
// Restore reads. A full backup is a gzip-compressed tar holding, in order:
//
//	manifest.json  BackupManifest as JSON, first so a restore can judge the
//	               archive before unpacking gigabytes of it
//	smartbot.db    a consistent snapshot of the database (VACUUM INTO)
//	media/<path>   every regular file under DATA_DIR/media, slash-separated
//
// A db-only backup is the snapshot's bytes alone: a plain SQLite file that
// the sqlite3 shell opens as it is.
const BackupFormat = 1

// DefaultMaxRestoreSize caps what Restore unpacks when RestoreOptions.MaxSize
// is 0: far above any real shop's data, and a bound on the disk a crafted
// archive (a gzip bomb) can fill before it is refused.
const DefaultMaxRestoreSize = 64 << 30

const (
	manifestName = "manifest.json"
	mediaDir     = "media"
	// mediaTempDir, under mediaDir, holds uploads being received (see
	// app/media's Files); they are not part of the shop until kept.
	mediaTempDir = "tmp"
	// maxManifestSize is far above any manifest Backup writes.
	maxManifestSize = 1 << 20
)

// sqliteHeader starts every SQLite database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// BackupManifest describes a full backup. It is the archive's first entry.
type BackupManifest struct {
	Format        int    `json:"format"`
	SchemaVersion int    `json:"schema_version"`
	CreatedAt     string `json:"created_at"`
	AppVersion    string `json:"app_version"`
	DBSize        int64  `json:"db_size"`
	DBSHA256      string `json:"db_sha256"`
	// MediaFiles and MediaBytes are what the backup found when it listed
	// media/; a file deleted before it was copied is left out of the archive.
	MediaFiles int   `json:"media_files"`
	MediaBytes int64 `json:"media_bytes"`
}

// BackupOptions configure Backup.
type BackupOptions struct {
	// DBOnly writes the database snapshot alone, without tar or media.
	DBOnly bool
	// Version is the binary's version, recorded in the manifest.
	Version string
	// Progress, when set, is called as the backup goes with the bytes of
	// database and media written so far and the estimated total, at most
	// about once per MiB, and once more at the end with done == total.
	Progress func(done, total int64)
}

// Backup writes a backup of the database and, unless opts.DBOnly, of the
// media files to w. It is safe while the server runs: the database part is a
// snapshot from one read transaction, taken into a temporary file in the data
// directory that is removed afterwards, and writers carry on meanwhile.
func (db *DB) Backup(ctx context.Context, w io.Writer, opts BackupOptions) error {
	tmp, err := os.MkdirTemp(db.dataDir, ".backup-*")
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, FileName)
	if err := db.Snapshot(ctx, snap); err != nil {
		return err
	}
	if opts.DBOnly {
		err = writeDBOnly(ctx, w, snap, opts.Progress)
	} else {
		err = db.writeArchive(ctx, w, snap, opts)
	}
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

func writeDBOnly(ctx context.Context, w io.Writer, snap string, progressFn func(done, total int64)) error {
	f, err := os.Open(snap)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	p := &progress{fn: progressFn, total: fi.Size()}
	if _, err := io.Copy(w, &ctxReader{ctx: ctx, r: f, onRead: p.add}); err != nil {
		return err
	}
	p.finish()
	return nil
}

func (db *DB) writeArchive(ctx context.Context, w io.Writer, snap string, opts BackupOptions) error {
	size, sum, err := hashFile(snap)
	if err != nil {
		return err
	}
	version, err := schemaVersionOf(ctx, snap)
	if err != nil {
		return err
	}
	mediaRoot := filepath.Join(db.dataDir, mediaDir)
	media, mediaBytes, err := listMedia(mediaRoot)
	if err != nil {
		return err
	}
	now := db.now()
	m := BackupManifest{
		Format:        BackupFormat,
		SchemaVersion: version,
		CreatedAt:     app.FormatTime(now),
		AppVersion:    opts.Version,
		DBSize:        size,
		DBSHA256:      sum,
		MediaFiles:    len(media),
		MediaBytes:    mediaBytes,
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}

	// Level 1: media is mostly JPEG and friends, already compressed, and a
	// backup of a busy server should be over quickly.
	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	err = tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg, Name: manifestName, Size: int64(len(manifest)), Mode: 0o640, ModTime: now,
	})
	if err != nil {
		return err
	}
	if _, err := tw.Write(manifest); err != nil {
		return err
	}
	p := &progress{fn: opts.Progress, total: size + mediaBytes}
	if err := addFile(ctx, tw, snap, FileName, size, p); err != nil {
		return err
	}
	for _, mf := range media {
		if err := addFile(ctx, tw, filepath.Join(mediaRoot, filepath.FromSlash(mf.rel)), mediaDir+"/"+mf.rel, mf.size, p); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	p.finish()
	return nil
}

// mediaFile is a file listMedia found: its slash-separated path relative to
// the media directory, and its size when listed.
type mediaFile struct {
	rel  string
	size int64
}

// listMedia lists the regular files under root in lexical order, with their
// total size. A missing root is no media; symlinks and other special files
// under it are skipped, but root itself may be a symlink (media kept on
// another disk).
func listMedia(root string) ([]mediaFile, int64, error) {
	root, err := filepath.EvalSymlinks(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("list media: %w", err)
	}
	var files []mediaFile
	var total int64
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == filepath.Join(root, mediaTempDir) {
			return filepath.SkipDir // uploads still arriving: no record points at them
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted since the directory was read
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, mediaFile{rel: filepath.ToSlash(rel), size: info.Size()})
		total += info.Size()
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list media: %w", err)
	}
	return files, total, nil
}

// addFile copies the file at src into tw as name, at most its first listed
// bytes. A file that has gone, or has been replaced by a symlink or something
// else, since it was listed is skipped: media is content-addressed, so that
// is a deleted file.
func addFile(ctx context.Context, tw *tar.Writer, src, name string, listed int64, p *progress) error {
	// O_NOFOLLOW: a symlink swapped in after the listing must not pull a file
	// from outside the data directory into the backup.
	f, err := os.OpenFile(src, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	// Never more than the manifest counted: Restore refuses an archive
	// whose entries outgrow their manifest.
	size := min(fi.Size(), listed)
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o640, ModTime: fi.ModTime()}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	// Exactly the size in the header: a file that grows meanwhile is cut
	// there, one that shrinks cannot be completed and fails the backup.
	n, err := io.CopyN(tw, &ctxReader{ctx: ctx, r: f, onRead: p.add}, size)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("add %s: it shrank from %d to %d bytes while being copied", name, size, n)
	}
	if err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	return nil
}

// hashFile returns the size and hex SHA-256 of the file at path.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// openReadOnly opens the database file at path without writing to it.
func openReadOnly(path string) (*sql.DB, error) {
	conn, err := sql.Open("sqlite", sqliteURI(path)+"?mode=ro")
	if err != nil {
		return nil, err
	}
	conn.SetMaxOpenConns(1)
	return conn, nil
}

func schemaVersionOf(ctx context.Context, path string) (int, error) {
	conn, err := openReadOnly(path)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return SchemaVersion(ctx, conn)
}

// progress counts the bytes a backup has written and reports them.
type progress struct {
	fn       func(done, total int64)
	done     int64
	total    int64
	reported int64
}

func (p *progress) add(n int) {
	if p.fn == nil {
		return
	}
	p.done += int64(n)
	if p.done-p.reported >= 1<<20 {
		p.reported = p.done
		p.fn(p.done, max(p.total, p.done))
	}
}

// finish reports the end: the estimate is replaced by what was written.
func (p *progress) finish() {
	if p.fn != nil {
		p.fn(p.done, p.done)
	}
}

// ctxReader stops a long copy when ctx is done and tells onRead what it read.
type ctxReader struct {
	ctx    context.Context
	r      io.Reader
	onRead func(n int)
}

func (r *ctxReader) Read(b []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(b)
	if n > 0 && r.onRead != nil {
		r.onRead(n)
	}
	return n, err
}

// RestoreOptions configure Restore.
type RestoreOptions struct {
	// MaxSize caps the bytes unpacked from the archive; 0 means
	// DefaultMaxRestoreSize.
	MaxSize int64
	// Now names the previous-<time> folder; nil means time.Now.
	Now func() time.Time
}

// RestoreResult says what Restore put in place.
type RestoreResult struct {
	// SchemaVersion is the restored database's schema version.
	SchemaVersion int
	// MediaFiles is the number of media files restored; 0 for a db-only
	// backup, which leaves the media directory as it was.
	MediaFiles int
	// PreviousDir is where the data replaced by the restore now lives, or ""
	// when the data directory held none.
	PreviousDir string
	// Manifest is the full backup's manifest; nil for a db-only backup.
	Manifest *BackupManifest
}

// Restore replaces the database (and, for a full backup, the media) in
// dataDir with the backup in the file archive, which is either a full backup
// or a db-only one. It takes the data directory's lock, so it refuses to run
// under a live server, and it touches nothing there until the whole backup
// has been unpacked into a temporary directory beside it and checked: the
// manifest, the database's checksum, PRAGMA integrity_check, and a schema
// version this binary can run. Then the current smartbot.db (with its -wal,
// -shm and -journal) and media/ move to dataDir/previous-<UTC time>/ and the
// restored ones move in, all renames within one filesystem; if a rename
// fails, the previous data is put back.
func Restore(ctx context.Context, archive, dataDir string, opts RestoreOptions) (RestoreResult, error) {
	res, err := restore(ctx, archive, dataDir, opts)
	if err != nil {
		return RestoreResult{}, fmt.Errorf("store: restore %s: %w", archive, err)
	}
	return res, nil
}

func restore(ctx context.Context, archive, dataDir string, opts RestoreOptions) (RestoreResult, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxRestoreSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	unlock, err := LockDataDir(dataDir)
	if err != nil {
		return RestoreResult{}, err
	}
	defer unlock()

	f, err := os.Open(archive)
	if err != nil {
		return RestoreResult{}, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	head, _ := br.Peek(len(sqliteHeader))

	tmp, err := os.MkdirTemp(dataDir, ".restore-*")
	if err != nil {
		return RestoreResult{}, err
	}
	defer os.RemoveAll(tmp)

	var res RestoreResult
	switch {
	case bytes.Equal(head, sqliteHeader):
		err = unpackDB(ctx, br, tmp, opts.MaxSize)
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		res.Manifest, res.MediaFiles, err = unpackArchive(ctx, br, tmp, opts.MaxSize)
	default:
		err = errors.New("not a Smartbot backup: neither a gzip archive nor an SQLite database")
	}
	if err != nil {
		return RestoreResult{}, err
	}

	res.SchemaVersion, err = checkDB(ctx, filepath.Join(tmp, FileName))
	if err != nil {
		return RestoreResult{}, err
	}
	if res.Manifest != nil && res.Manifest.SchemaVersion != res.SchemaVersion {
		return RestoreResult{}, fmt.Errorf("the manifest says schema version %d but the database is at %d", res.Manifest.SchemaVersion, res.SchemaVersion)
	}

	incoming := []string{FileName}
	if res.Manifest != nil {
		incoming = append(incoming, mediaDir)
	}
	res.PreviousDir, err = swapIn(dataDir, tmp, incoming, opts.Now())
	if err != nil {
		return RestoreResult{}, err
	}
	return res, nil
}

// unpackDB copies a db-only backup into dir/smartbot.db.
func unpackDB(ctx context.Context, r io.Reader, dir string, maxSize int64) error {
	// One byte past the cap tells a file at the cap from one beyond it.
	lr := &io.LimitedReader{R: &ctxReader{ctx: ctx, r: r}, N: maxSize + 1}
	if err := writeNew(filepath.Join(dir, FileName), lr, nil); err != nil {
		return err
	}
	if lr.N == 0 {
		return fmt.Errorf("the database is larger than the %d bytes a restore accepts", maxSize)
	}
	return nil
}

// unpackArchive unpacks a full backup into dir and checks the database
// against the manifest. It returns the manifest and the media file count.
func unpackArchive(ctx context.Context, r io.Reader, dir string, maxSize int64) (*BackupManifest, int, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, 0, fmt.Errorf("not a Smartbot backup: %w", err)
	}
	defer gz.Close()
	// media/ always exists in a restored data directory, even if empty.
	if err := os.Mkdir(filepath.Join(dir, mediaDir), 0o750); err != nil {
		return nil, 0, err
	}
	tr := tar.NewReader(&ctxReader{ctx: ctx, r: gz})
	// Every entry is judged by its header against the manifest before a
	// byte of it is written: the manifest is the first entry, and a small
	// archive can claim an entry that inflates to any size.
	var (
		m          *BackupManifest
		dbSize     int64
		dbSum      string
		haveDB     bool
		media      int
		mediaBytes int64
		dirs       int
		unpacked   int64
	)
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, damaged(ctx, err)
		}
		name, err := entryName(hdr)
		if err != nil {
			return nil, 0, err
		}
		if i == 0 && name != manifestName {
			return nil, 0, errors.New("not a Smartbot backup: manifest.json is not the first entry")
		}
		if i > 0 && name == manifestName {
			return nil, 0, errors.New("not a Smartbot backup: manifest.json appears twice")
		}
		if hdr.Size < 0 || hdr.Size > maxSize-unpacked {
			return nil, 0, fmt.Errorf("the archive unpacks to more than the %d bytes a restore accepts", maxSize)
		}
		if i > 0 {
			if err := checkEntry(m, name, hdr, media, mediaBytes, dirs); err != nil {
				return nil, 0, err
			}
		}
		unpacked += hdr.Size
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch {
		case hdr.Typeflag == tar.TypeDir:
			err = os.MkdirAll(target, 0o750)
			dirs++
		case name == manifestName:
			if hdr.Size > maxManifestSize {
				return nil, 0, fmt.Errorf("not a Smartbot backup: manifest.json is larger than %d bytes", maxManifestSize)
			}
			m, err = readManifest(tr, maxSize)
		case name == FileName:
			var body io.Reader
			if body, err = sqliteEntry(tr, hdr.Size); err == nil {
				h := sha256.New()
				err = writeNew(target, body, h)
				dbSize, dbSum, haveDB = hdr.Size, hex.EncodeToString(h.Sum(nil)), true
			}
		default:
			err = writeNew(target, tr, nil)
			media++
			mediaBytes += hdr.Size
		}
		if err != nil {
			return nil, 0, damaged(ctx, err)
		}
	}
	// tar stops at its end marker; reading gzip to its end checks the CRC
	// that guards everything above. Tools pad a tar to 10 KiB records, so a
	// little slack is normal; much more is not a backup this binary wrote.
	const slack = 1 << 20
	n, err := io.Copy(io.Discard, io.LimitReader(gz, slack+1))
	if err != nil {
		return nil, 0, damaged(ctx, err)
	}
	if n > slack {
		return nil, 0, errors.New("the archive is damaged: unexpected data after its end")
	}
	if m == nil {
		return nil, 0, errors.New("not a Smartbot backup: it has no manifest.json")
	}
	if !haveDB {
		return nil, 0, errors.New("the backup holds no smartbot.db")
	}
	if dbSize != m.DBSize || dbSum != m.DBSHA256 {
		return nil, 0, fmt.Errorf("the archive is damaged: smartbot.db has %d bytes with SHA-256 %s, the manifest says %d bytes with %s",
			dbSize, dbSum, m.DBSize, m.DBSHA256)
	}
	return m, media, nil
}

// checkEntry refuses an entry of a full backup that its manifest m does not
// account for, given the media files, their bytes and the directories
// unpacked so far. Backup writes no directory entries, but an archive
// repacked with tar may hold one per media file and media/ itself.
func checkEntry(m *BackupManifest, name string, hdr *tar.Header, media int, mediaBytes int64, dirs int) error {
	const hint = "the archive is damaged or not a Smartbot backup"
	switch {
	case hdr.Typeflag == tar.TypeDir:
		if dirs+1 > m.MediaFiles+1 {
			return fmt.Errorf("the archive holds more directories than its manifest's %d media files need: %s", m.MediaFiles, hint)
		}
	case name == FileName:
		if hdr.Size > m.DBSize {
			return fmt.Errorf("the archive's entry %s is larger than its manifest says (%d bytes): %s", name, m.DBSize, hint)
		}
		if hdr.Size < m.DBSize {
			return fmt.Errorf("the archive's entry %s is smaller than its manifest says (%d bytes): %s", name, m.DBSize, hint)
		}
	case name != manifestName:
		// Fewer is fine: a media file deleted while the backup ran is
		// counted in the manifest but missing from the archive.
		if media+1 > m.MediaFiles {
			return fmt.Errorf("the archive holds more media files than its manifest says (%d): %s", m.MediaFiles, hint)
		}
		if hdr.Size > m.MediaBytes-mediaBytes {
			return fmt.Errorf("the archive's media files are larger than its manifest says (%d bytes): %s", m.MediaBytes, hint)
		}
	}
	return nil
}

// sqliteEntry reads the start of the database entry, of size bytes, and
// refuses it there unless it starts like a database, so that a crafted one
// is not written out first. It returns a reader of the whole entry.
func sqliteEntry(r io.Reader, size int64) (io.Reader, error) {
	head := make([]byte, len(sqliteHeader))
	if size >= int64(len(head)) {
		if _, err := io.ReadFull(r, head); err != nil {
			return nil, err
		}
	}
	if size < int64(len(head)) || !bytes.Equal(head, sqliteHeader) {
		return nil, fmt.Errorf("the archive's entry %s is not an SQLite database: the archive is damaged or not a Smartbot backup", FileName)
	}
	return io.MultiReader(bytes.NewReader(head), r), nil
}

// damaged explains an error met while unpacking, unless it is the caller's
// own cancellation.
func damaged(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, tar.ErrHeader) || errors.As(err, new(flate.CorruptInputError)) {
		return fmt.Errorf("the archive is damaged or incomplete: %w", err)
	}
	return err
}

// entryName checks an archive entry and returns its name without a trailing
// slash. Only manifest.json, smartbot.db and regular files and directories
// under media/ belong in a backup; anything else, and any name that could
// land outside the unpacking directory, is refused.
func entryName(hdr *tar.Header) (string, error) {
	isDir := hdr.Typeflag == tar.TypeDir
	if hdr.Typeflag != tar.TypeReg && !isDir {
		return "", fmt.Errorf("not a Smartbot backup: entry %q is not a regular file or directory", hdr.Name)
	}
	name := hdr.Name
	if isDir {
		name = strings.TrimSuffix(name, "/")
	}
	unsafe := name == "" || strings.HasPrefix(name, "/") || path.Clean(name) != name || strings.ContainsRune(name, 0)
	for el := range strings.SplitSeq(name, "/") {
		unsafe = unsafe || el == ".." || el == "."
	}
	if unsafe {
		return "", fmt.Errorf("not a Smartbot backup: entry %q has an unsafe path", hdr.Name)
	}
	switch {
	case name == manifestName && !isDir, name == FileName && !isDir, name == mediaDir && isDir, strings.HasPrefix(name, mediaDir+"/"):
		return name, nil
	}
	return "", fmt.Errorf("not a Smartbot backup: entry %q does not belong in one", hdr.Name)
}

func readManifest(r io.Reader, maxSize int64) (*BackupManifest, error) {
	var m BackupManifest
	if err := json.NewDecoder(io.LimitReader(r, maxManifestSize)).Decode(&m); err != nil {
		return nil, fmt.Errorf("not a Smartbot backup: manifest.json cannot be read: %w", err)
	}
	if m.Format != BackupFormat {
		return nil, fmt.Errorf("the backup is in format %d, this binary reads format %d", m.Format, BackupFormat)
	}
	// Judged here from the manifest so a newer backup is refused before it
	// is unpacked; checkDB judges the database itself later.
	if err := checkVersion(m.SchemaVersion); err != nil {
		return nil, err
	}
	if m.DBSize <= 0 || m.MediaFiles < 0 || m.MediaBytes < 0 {
		return nil, fmt.Errorf("not a Smartbot backup: manifest.json gives impossible sizes (database %d bytes, %d media files of %d bytes)",
			m.DBSize, m.MediaFiles, m.MediaBytes)
	}
	if m.DBSize > maxSize || m.MediaBytes > maxSize-m.DBSize {
		return nil, fmt.Errorf("the archive unpacks to more than the %d bytes a restore accepts: its manifest says %d bytes of database and %d of media",
			maxSize, m.DBSize, m.MediaBytes)
	}
	return &m, nil
}

// writeNew creates path, which must not exist, with what r holds, feeding
// it to h too when h is set, and syncs it so a rename makes it durable.
func writeNew(path string, r io.Reader, h hash.Hash) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("not a Smartbot backup: %s appears twice", filepath.Base(path))
	}
	if err != nil {
		return err
	}
	var w io.Writer = f
	if h != nil {
		w = io.MultiWriter(f, h)
	}
	_, err = io.Copy(w, r)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// checkDB checks the unpacked database at path and returns its schema version.
func checkDB(ctx context.Context, path string) (int, error) {
	conn, err := openReadOnly(path)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	// SQLite's own words (page numbers, "malformed") stay in Err, for the
	// logs; the person restoring reads what it means and what to do.
	damaged := func(err error) error {
		return &app.Error{Code: app.EINVALID, Message: "the database in the backup is damaged: use another backup", Err: err}
	}
	rows, err := conn.QueryContext(ctx, `pragma integrity_check(10)`)
	if err != nil {
		return 0, damaged(err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return 0, damaged(err)
		}
		problems = append(problems, s)
	}
	if err := rows.Err(); err != nil {
		return 0, damaged(err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return 0, damaged(fmt.Errorf("integrity check: %s", strings.Join(problems, "; ")))
	}
	v, err := SchemaVersion(ctx, conn)
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, errors.New("not a Smartbot backup: the database has no schema version")
	}
	return v, checkVersion(v)
}

func checkVersion(v int) error {
	if latest := LatestVersion(); v > latest {
		return fmt.Errorf("backup was made by a newer Smartbot: schema version %d, this binary knows up to %d", v, latest)
	}
	if v <= 0 {
		return fmt.Errorf("not a Smartbot backup: schema version %d", v)
	}
	return nil
}

// restoredNames are what a restore moves aside: the database with every
// file SQLite keeps beside it (a stale -wal or -journal left next to the
// restored database would be replayed into it), and the media.
var restoredNames = []string{FileName, FileName + "-wal", FileName + "-shm", FileName + "-journal", mediaDir}

// swapIn moves the current data in dataDir aside into a new previous-<now>
// folder, then moves the names in incoming from tmp into dataDir. If a
// rename fails, what was moved is moved back. It returns the previous-*
// folder, or "" when there was nothing to move aside.
func swapIn(dataDir, tmp string, incoming []string, now time.Time) (prevDir string, err error) {
	var present []string
	for _, name := range restoredNames {
		if name == mediaDir && !slices.Contains(incoming, mediaDir) {
			continue // a db-only restore keeps the media it finds
		}
		_, err := os.Lstat(filepath.Join(dataDir, name))
		if err == nil {
			present = append(present, name)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	if len(present) > 0 {
		if prevDir, err = makePreviousDir(dataDir, now); err != nil {
			return "", err
		}
	}

	var asideDone, inDone []string
	undo := func(cause error) error {
		errs := []error{cause}
		for _, name := range inDone {
			errs = append(errs, os.Rename(filepath.Join(dataDir, name), filepath.Join(tmp, name)))
		}
		for _, name := range asideDone {
			errs = append(errs, os.Rename(filepath.Join(prevDir, name), filepath.Join(dataDir, name)))
		}
		if err := errors.Join(errs[1:]...); err != nil {
			return fmt.Errorf("%w; putting the previous data back failed too, it is in %s: %w", cause, prevDir, err)
		}
		if prevDir != "" {
			os.Remove(prevDir)
		}
		return cause
	}
	for _, name := range present {
		if err := os.Rename(filepath.Join(dataDir, name), filepath.Join(prevDir, name)); err != nil {
			return "", undo(fmt.Errorf("move %s aside: %w", name, err))
		}
		asideDone = append(asideDone, name)
	}
	for _, name := range incoming {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(dataDir, name)); err != nil {
			return "", undo(fmt.Errorf("move the restored %s in: %w", name, err))
		}
		inDone = append(inDone, name)
	}
	// The renames are durable once the directories holding them are synced.
	// The swap itself is done by now, so a failure here says where things are.
	for _, dir := range []string{dataDir, prevDir} {
		if dir == "" {
			continue
		}
		if err := syncDir(dir); err != nil {
			return "", fmt.Errorf("restored, but syncing %s failed (the previous data is in %s): %w", dir, prevDir, err)
		}
	}
	return prevDir, nil
}

// makePreviousDir creates dataDir/previous-<UTC time>, with a counter after
// it if two restores land in the same second.
func makePreviousDir(dataDir string, now time.Time) (string, error) {
	base := filepath.Join(dataDir, "previous-"+now.UTC().Format("20060102T150405Z"))
	dir := base
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o750)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) || i > 100 {
			return "", err
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
