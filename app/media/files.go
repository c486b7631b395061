package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"smartbot/app"
)

// Files keeps uploaded bytes on disk, content-addressed: an original lives
// at <root>/<aa>/<bb>/<sha256>, where aa and bb are the digest's first two
// hex pairs, and a picture's variants beside it as <sha256>.<variant>.jpg.
// Every name comes from the digest and the fixed variant names, never from
// what a client sent. Files arrive in <root>/tmp and reach their address
// by rename, after an fsync, so a half-written file is never at an address.
//
// Files does not know which files are in use: the database does. Sweep asks
// it, and removes a file only once nothing has used it for a grace period.
type Files struct {
	root string
	tmp  string
	// mu orders the changes to addresses: Keep and WriteVariant against
	// Sweep's removals (and its removal of empty directories). Without it a
	// Keep of bytes the sweeper has just judged unused could return a key
	// whose file the sweeper then removes.
	mu sync.Mutex
	// sweeping lets one Sweep run at a time.
	sweeping sync.Mutex
}

// tempAge is how old a file in tmp must be before CleanTemp takes it for a
// crash's leftover. An upload that is still arriving writes to its file, so
// its modification time keeps moving.
const tempAge = time.Hour

// HeadLen is how much of an upload's start Receive keeps in Received.Head.
const HeadLen = 4096

// OpenFiles opens the store of files under root (DATA_DIR/media), creating
// root and root/tmp, readable by this user only, when they are missing.
func OpenFiles(root string) (*Files, error) {
	if root == "" {
		return nil, errors.New("media: open files: no directory given")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("media: open files in %s: %w", root, err)
	}
	f := &Files{root: abs, tmp: filepath.Join(abs, "tmp")}
	if err := os.MkdirAll(f.tmp, 0o700); err != nil {
		return nil, fmt.Errorf("media: open files in %s: %w", root, err)
	}
	return f, nil
}

// Received is an upload in its temporary file, not yet at its address.
// Keep or Discard it.
type Received struct {
	Path   string // the temporary file
	SHA256 string // lowercase hex
	Size   int64
	Head   []byte // the first HeadLen bytes, or all of them if fewer
}

// Receive streams r into a temporary file, hashing and counting it and
// writing every byte to tee as well (nil for none: the caller's sniffer or
// markup scanner). More than limit bytes is an ETOOLARGE *app.Error as soon
// as the byte past the limit arrives: r is never read further than that, and
// tee never sees it. An error from tee stops the upload and is returned
// wrapped, so its *app.Error, if any, reaches the caller. On any error the
// temporary file is removed.
func (f *Files) Receive(r io.Reader, limit int64, tee io.Writer) (Received, error) {
	tmp, err := os.CreateTemp(f.tmp, "upload-*")
	if err != nil {
		return Received{}, fmt.Errorf("media: receive: %w", err)
	}
	rc := Received{Path: tmp.Name()}
	h := sha256.New()
	err = func() error {
		// Reading at most limit+1 bytes is what bounds the reading of a
		// body that would go on forever; the extra byte tells it went over.
		lr := io.LimitReader(r, limit+1)
		buf := make([]byte, 32<<10)
		for {
			n, rerr := lr.Read(buf)
			if rc.Size+int64(n) > limit {
				return tooLarge(limit)
			}
			if n > 0 {
				chunk := buf[:n]
				if _, err := tmp.Write(chunk); err != nil {
					return err
				}
				h.Write(chunk)
				if len(rc.Head) < HeadLen {
					rc.Head = append(rc.Head, chunk[:min(n, HeadLen-len(rc.Head))]...)
				}
				if tee != nil {
					if _, err := tee.Write(chunk); err != nil {
						return err
					}
				}
				rc.Size += int64(n)
			}
			if rerr == io.EOF {
				return nil
			}
			if rerr != nil {
				return rerr
			}
		}
	}()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(rc.Path)
		if errors.Is(err, errTooLarge) {
			return Received{}, err
		}
		return Received{}, fmt.Errorf("media: receive: %w", err)
	}
	rc.SHA256 = hex.EncodeToString(h.Sum(nil))
	return rc, nil
}

var errTooLarge = errors.New("upload over its size limit")

func tooLarge(limit int64) error {
	return &app.Error{Code: app.ETOOLARGE, Message: "The file is larger than " + sizeText(limit) + ", the most Smartbot accepts.",
		Fields: []app.FieldError{{Field: "file", Message: "must be at most " + sizeText(limit)}}, Err: errTooLarge}
}

// sizeText writes a byte count for a person: "16 MB", "512 KB", "300 bytes".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Keep moves a received file to its content address and returns its key
// (StorageKey: "aa/bb/<sha256>"). When the address already holds those
// bytes, the received copy is removed and the stored one kept, with its
// modification time set to now: a fresh upload of bytes the sweeper was
// about to remove starts their grace period again.
func (f *Files) Keep(rc Received) (string, error) {
	if err := f.ownTemp(rc.Path); err != nil {
		return "", err
	}
	if !validDigest(rc.SHA256) {
		return "", fmt.Errorf("media: keep: %q is not a sha256 digest", rc.SHA256)
	}
	// Flush the bytes before the rename makes them visible at the address:
	// otherwise a crash could leave the name pointing at a short file.
	if err := syncFile(rc.Path); err != nil {
		return "", fmt.Errorf("media: keep: %w", err)
	}
	key := keyOf(rc.SHA256)
	f.mu.Lock()
	defer f.mu.Unlock()
	dir, err := f.makeDirs(key)
	if err != nil {
		return "", fmt.Errorf("media: keep %s: %w", key, err)
	}
	dst := filepath.Join(dir, rc.SHA256)
	// A regular file of the right size at the address is those bytes: only
	// a rename of a complete, flushed file ever puts one there.
	if fi, err := os.Lstat(dst); err == nil && fi.Mode().IsRegular() && fi.Size() == rc.Size {
		now := time.Now()
		if err := os.Chtimes(dst, now, now); err != nil {
			return "", fmt.Errorf("media: keep %s: %w", key, err)
		}
		os.Remove(rc.Path)
		return key, nil
	}
	if err := os.Rename(rc.Path, dst); err != nil {
		return "", fmt.Errorf("media: keep %s: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return "", fmt.Errorf("media: keep %s: %w", key, err)
	}
	return key, nil
}

// Discard removes a received file that is not to be kept.
func (f *Files) Discard(rc Received) {
	if f.ownTemp(rc.Path) == nil {
		os.Remove(rc.Path)
	}
}

// ownTemp refuses a path that is not one of Receive's temporary files, so
// that Keep and Discard can never move or remove anything else.
func (f *Files) ownTemp(path string) error {
	if filepath.Dir(path) != f.tmp || !strings.HasPrefix(filepath.Base(path), "upload-") {
		return fmt.Errorf("media: %q is not a received file", path)
	}
	return nil
}

// WriteVariant stores data as the variant name of the original at key,
// atomically: a reader sees the old variant or the new one, never part of
// one. Writing the same variant again replaces it. The original must be
// there (ENOTFOUND otherwise), so a variant is never left without one.
func (f *Files) WriteVariant(key, name string, data []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if !app.ValidVariant(name) {
		return app.Errorf(app.EINVALID, "%q is not a variant name", name)
	}
	tmp, err := os.CreateTemp(f.tmp, "variant-*")
	if err != nil {
		return fmt.Errorf("media: write variant %s of %s: %w", name, key, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmp.Name())
		}
	}()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("media: write variant %s of %s: %w", name, key, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := os.Lstat(f.path(key)); err != nil {
		return f.openError(key, err)
	}
	dir := filepath.Dir(f.path(key))
	if err := os.Rename(tmp.Name(), filepath.Join(dir, variantFile(key, name))); err != nil {
		return fmt.Errorf("media: write variant %s of %s: %w", name, key, err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("media: write variant %s of %s: %w", name, key, err)
	}
	return nil
}

// Open opens the original at key for reading (http.ServeContent takes it).
// A key that is not of the form Keep returns is EINVALID; a missing file
// ENOTFOUND.
func (f *Files) Open(key string) (*os.File, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return f.open(key, f.path(key))
}

// OpenVariant opens the variant name of the original at key.
func (f *Files) OpenVariant(key, name string) (*os.File, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if !app.ValidVariant(name) {
		return nil, app.Errorf(app.EINVALID, "%q is not a variant name", name)
	}
	return f.open(key, filepath.Join(filepath.Dir(f.path(key)), variantFile(key, name)))
}

func (f *Files) open(key, path string) (*os.File, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, f.openError(key, err)
	}
	fi, err := file.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		file.Close()
		return nil, f.openError(key, err)
	}
	return file, nil
}

func (f *Files) openError(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &app.Error{Code: app.ENOTFOUND, Message: "the stored file is missing", Err: err}
	}
	return fmt.Errorf("media: open %s: %w", key, err)
}

// CleanTemp removes the files in tmp last written more than an hour before
// now: what a crash left between Receive and Keep, or in WriteVariant.
func (f *Files) CleanTemp(now time.Time) error {
	entries, err := os.ReadDir(f.tmp)
	if err != nil {
		return fmt.Errorf("media: clean temporary files: %w", err)
	}
	var errs []error
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // kept or discarded since the listing
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !info.Mode().IsRegular() || now.Sub(info.ModTime()) < tempAge {
			continue
		}
		if err := os.Remove(filepath.Join(f.tmp, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("media: clean temporary files: %w", err)
	}
	return nil
}

// Sweep removes the originals (with their variants) that inUse says no
// record uses and that were last kept more than grace before now. It
// returns how many originals went. A grace of zero or less is refused:
// removing at once would take files from a backup that is under way.
//
// The grace is what makes removal safe. A backup that snapshotted the
// database while a record still pointed at a file copies the file later,
// so the file must outlive the record by as long as a backup takes: the
// caller's inUse counts a record deleted less than grace ago as a use
// (store.DB.StorageKeyInUse with now−grace), and a file is judged by its
// modification time, which Keep refreshes, so a file kept but not yet
// recorded (an upload between Keep and its commit, or a new upload of the
// same bytes) is young and stays. A Keep that lands after the sweeper has
// asked inUse is seen too: the modification time is checked again, under
// the lock Keep takes, just before anything is removed.
//
// Names Sweep does not recognise are left alone, and it stops at the first
// error, including ctx's.
func (f *Files) Sweep(ctx context.Context, inUse func(key string) (bool, error), grace time.Duration, now time.Time) (removed int, err error) {
	if grace <= 0 {
		return 0, fmt.Errorf("media: sweep: the grace period must be positive, not %v", grace)
	}
	f.sweeping.Lock()
	defer f.sweeping.Unlock()
	tops, err := hexDirs(f.root)
	if err != nil {
		return 0, fmt.Errorf("media: sweep: %w", err)
	}
	for _, aa := range tops {
		subs, err := hexDirs(filepath.Join(f.root, aa))
		if err != nil {
			return removed, fmt.Errorf("media: sweep: %w", err)
		}
		for _, bb := range subs {
			n, err := f.sweepDir(ctx, aa, bb, inUse, grace, now)
			removed += n
			if err != nil {
				return removed, err
			}
		}
		f.removeIfEmpty(filepath.Join(f.root, aa))
	}
	return removed, nil
}

// sweepDir sweeps one <aa>/<bb> directory.
func (f *Files) sweepDir(ctx context.Context, aa, bb string, inUse func(string) (bool, error), grace time.Duration, now time.Time) (int, error) {
	dir := filepath.Join(f.root, aa, bb)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("media: sweep: %w", err)
	}
	// The digests in dir, each with the time it was last kept: its
	// original's, or when the original is gone (a crash part-way through
	// a removal) its newest variant's.
	type group struct {
		original bool
		mtime    time.Time
	}
	groups := map[string]*group{}
	for _, e := range entries {
		sum, variant, ok := parseName(e.Name())
		if !ok || !strings.HasPrefix(sum, aa+bb) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("media: sweep: %w", err)
		}
		g := groups[sum]
		if g == nil {
			g = &group{}
			groups[sum] = g
		}
		switch {
		case variant == "":
			g.original, g.mtime = true, info.ModTime()
		case !g.original && info.ModTime().After(g.mtime):
			g.mtime = info.ModTime()
		}
	}
	sums := make([]string, 0, len(groups))
	for sum := range groups {
		sums = append(sums, sum)
	}
	sort.Strings(sums)
	removed := 0
	for _, sum := range sums {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		if now.Sub(groups[sum].mtime) < grace {
			continue
		}
		key := keyOf(sum)
		used, err := inUse(key)
		if err != nil {
			return removed, fmt.Errorf("media: sweep %s: %w", key, err)
		}
		if used {
			continue
		}
		gone, err := f.remove(key, grace, now)
		if err != nil {
			return removed, err
		}
		if gone {
			removed++
		}
	}
	f.removeIfEmpty(dir)
	return removed, nil
}

// remove deletes the original at key and its variants, unless a Keep has
// made the original young again since the sweeper looked. Variants go
// first: a crash part-way leaves an original, which the next sweep finds.
func (f *Files) remove(key string, grace time.Duration, now time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	orig := f.path(key)
	if fi, err := os.Lstat(orig); err == nil && now.Sub(fi.ModTime()) < grace {
		return false, nil
	}
	dir := filepath.Dir(orig)
	for _, name := range app.MediaVariantNames() {
		if err := os.Remove(filepath.Join(dir, variantFile(key, name))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("media: sweep %s: %w", key, err)
		}
	}
	if err := os.Remove(orig); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("media: sweep %s: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return false, fmt.Errorf("media: sweep %s: %w", key, err)
	}
	return true, nil
}

// removeIfEmpty removes dir when nothing is left in it, under the lock
// Keep takes to create it, so a Keep never renames into a directory that
// has just gone.
func (f *Files) removeIfEmpty(dir string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	os.Remove(dir) // fails, harmlessly, when dir is not empty
}

// makeDirs creates the directories of key's address and returns the
// innermost. A directory it creates is made durable in its parent, as the
// rename into it will be in it.
func (f *Files) makeDirs(key string) (string, error) {
	dir := f.root
	for _, part := range []string{key[:2], key[3:5]} {
		parent := dir
		dir = filepath.Join(dir, part)
		err := os.Mkdir(dir, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := syncDir(parent); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// path is where the original at a checked key lives.
func (f *Files) path(key string) string {
	return filepath.Join(f.root, filepath.FromSlash(key))
}

// ValidKey reports whether key is a storage key as Keep returns them:
// "aa/bb/" and a lowercase sha256 digest that starts with aabb. Nothing
// else, in particular no "..", ever reaches the file system.
func ValidKey(key string) bool {
	if len(key) != 2+1+2+1+64 || key[2] != '/' || key[5] != '/' {
		return false
	}
	sum := key[6:]
	return validDigest(sum) && key[:2] == sum[:2] && key[3:5] == sum[2:4]
}

func checkKey(key string) error {
	if !ValidKey(key) {
		return app.Errorf(app.EINVALID, "%q is not a media storage key", key)
	}
	return nil
}

// keyOf is the storage key of a digest.
func keyOf(sum string) string {
	return sum[:2] + "/" + sum[2:4] + "/" + sum
}

// variantFile is the file name of a variant, beside its original.
func variantFile(key, name string) string {
	return key[6:] + "." + name + ".jpg"
}

// parseName reads a file name of the layout: a digest, or a digest, a
// variant name and ".jpg". ok is false for anything else.
func parseName(name string) (sum, variant string, ok bool) {
	sum, rest, _ := strings.Cut(name, ".")
	if !validDigest(sum) {
		return "", "", false
	}
	if rest == "" {
		return sum, "", !strings.Contains(name, ".")
	}
	variant, ok = strings.CutSuffix(rest, ".jpg")
	if !ok || !app.ValidVariant(variant) {
		return "", "", false
	}
	return sum, variant, true
}

func validDigest(s string) bool {
	return len(s) == 64 && isHex(s)
}

// isHex reports whether s is lowercase hex digits only.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// hexDirs lists the directories in dir named by two lowercase hex digits,
// the levels of the layout; tmp and anything else are not among them.
func hexDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); e.IsDir() && len(n) == 2 && isHex(n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// syncFile flushes the file at path to the disk.
func syncFile(path string) error {
	file, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = file.Sync()
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir flushes dir's entries, so that a rename into it, or a removal,
// survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
