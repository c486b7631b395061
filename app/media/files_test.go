package media_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/media"
)

func openFiles(t *testing.T) (*media.Files, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "media")
	f, err := media.OpenFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	return f, root
}

func receive(t *testing.T, f *media.Files, data []byte) media.Received {
	t.Helper()
	rc, err := f.Receive(bytes.NewReader(data), 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func keep(t *testing.T, f *media.Files, data []byte) string {
	t.Helper()
	key, err := f.Keep(receive(t, f, data))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// files lists the regular files under root, slash-separated and relative.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// age sets the modification time of the file at rel under root to d ago.
func age(t *testing.T, root, rel string, d time.Duration) {
	t.Helper()
	when := time.Now().Add(-d)
	if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(rel)), when, when); err != nil {
		t.Fatal(err)
	}
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func code(err error) string { return app.ErrorCode(err) }

func TestTheSameBytesUploadedTwiceAreStoredOnceAtTheirDigest(t *testing.T) {
	f, root := openFiles(t)
	data := bytes.Repeat([]byte("picture "), 1000) // 8000 bytes
	var tee bytes.Buffer
	rc, err := f.Receive(bytes.NewReader(data), 1<<20, &tee)
	if err != nil {
		t.Fatal(err)
	}
	sum := digest(data)
	if rc.SHA256 != sum || rc.Size != int64(len(data)) || !bytes.Equal(rc.Head, data[:media.HeadLen]) {
		t.Errorf("received %s, %d bytes, head of %d; want %s, %d, %d", rc.SHA256, rc.Size, len(rc.Head), sum, len(data), media.HeadLen)
	}
	if !bytes.Equal(tee.Bytes(), data) {
		t.Errorf("the tee saw %d bytes, want all %d", tee.Len(), len(data))
	}
	if !strings.HasPrefix(rc.Path, filepath.Join(root, "tmp")+string(filepath.Separator)) {
		t.Errorf("received into %s, not under tmp", rc.Path)
	}
	first, err := f.Keep(rc)
	if err != nil {
		t.Fatal(err)
	}
	if want := sum[:2] + "/" + sum[2:4] + "/" + sum; first != want {
		t.Errorf("key %s, want %s", first, want)
	}
	second := keep(t, f, data)
	if second != first {
		t.Errorf("the same bytes got keys %s and %s", first, second)
	}
	if got := files(t, root); !slices.Equal(got, []string{first}) {
		t.Errorf("files %v, want the one original and nothing in tmp", got)
	}
	file, err := f.Open(first)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if b, _ := io.ReadAll(file); !bytes.Equal(b, data) {
		t.Error("the stored file differs from the upload")
	}
}

func TestAShortUploadKeepsAllOfItselfAsItsHead(t *testing.T) {
	f, _ := openFiles(t)
	rc := receive(t, f, []byte("%PDF-1.7"))
	defer f.Discard(rc)
	if string(rc.Head) != "%PDF-1.7" || rc.Size != 8 {
		t.Errorf("head %q, size %d", rc.Head, rc.Size)
	}
}

// endless is a body that never ends, counting what was read from it.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.read += int64(len(p))
	return len(p), nil
}

func TestAnUploadOverTheLimitStopsBeingReadAndLeavesNothing(t *testing.T) {
	f, root := openFiles(t)
	body := &endless{}
	var tee bytes.Buffer
	const limit = 100_000
	_, err := f.Receive(body, limit, &tee)
	if code(err) != app.ETOOLARGE {
		t.Fatalf("err = %v, want %s", err, app.ETOOLARGE)
	}
	if body.read > limit+1 {
		t.Errorf("read %d bytes of a body over a %d-byte limit; at most %d needed", body.read, limit, limit+1)
	}
	if tee.Len() > limit {
		t.Errorf("the tee saw %d bytes, over the limit", tee.Len())
	}
	if got := files(t, root); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
	// Exactly the limit is accepted.
	rc, err := f.Receive(bytes.NewReader(make([]byte, limit)), limit, nil)
	if err != nil || rc.Size != limit {
		t.Fatalf("an upload of exactly the limit: %d bytes, %v", rc.Size, err)
	}
	f.Discard(rc)
	if got := files(t, root); len(got) != 0 {
		t.Errorf("Discard left %v", got)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestAFailingTeeOrBodyStopsTheUploadAndLeavesNothing(t *testing.T) {
	f, root := openFiles(t)
	refusal := app.Errorf(app.EUNSUPPORTED, "web page code inside")
	_, err := f.Receive(strings.NewReader("<html>"), 1<<20, failingWriter{refusal})
	if !errors.Is(err, refusal) {
		t.Errorf("err = %v, want the tee's refusal", err)
	}
	cut := errors.New("connection reset")
	_, err = f.Receive(io.MultiReader(strings.NewReader("half"), iotestErr{cut}), 1<<20, nil)
	if !errors.Is(err, cut) {
		t.Errorf("err = %v, want the body's error", err)
	}
	if got := files(t, root); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }

func TestACrashBetweenReceiveAndKeepLeavesATempFileThatCleanTempRemoves(t *testing.T) {
	f, root := openFiles(t)
	receive(t, f, []byte("an upload whose request died before Keep"))
	// The process restarts.
	f, err := media.OpenFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	got := files(t, root)
	if len(got) != 1 || !strings.HasPrefix(got[0], "tmp/") {
		t.Fatalf("files %v, want one temporary file", got)
	}
	if err := f.CleanTemp(time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(files(t, root)) != 1 {
		t.Fatal("a temporary file younger than an hour was removed: it may be an upload in progress")
	}
	if err := f.CleanTemp(time.Now().Add(61 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := files(t, root); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

func TestVariantsAreWrittenBesideTheirOriginalAndReplacedWhole(t *testing.T) {
	f, root := openFiles(t)
	key := keep(t, f, []byte("original"))
	for _, b := range []string{"first thumb", "second thumb"} {
		if err := f.WriteVariant(key, app.VariantThumb, []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	v, err := f.OpenVariant(key, app.VariantThumb)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if b, _ := io.ReadAll(v); string(b) != "second thumb" {
		t.Errorf("variant %q", b)
	}
	want := []string{key, key + ".thumb.jpg"}
	if got := files(t, root); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if _, err := f.OpenVariant(key, app.VariantLarge); code(err) != app.ENOTFOUND {
		t.Errorf("a variant never written: %v, want %s", err, app.ENOTFOUND)
	}
	missing := keyOf([]byte("never uploaded"))
	if err := f.WriteVariant(missing, app.VariantThumb, []byte("x")); code(err) != app.ENOTFOUND {
		t.Errorf("a variant of a missing original: %v, want %s", err, app.ENOTFOUND)
	}
	if got := files(t, root); !slices.Equal(got, want) {
		t.Errorf("files %v after refusals, want %v", got, want)
	}
}

func keyOf(b []byte) string {
	s := digest(b)
	return s[:2] + "/" + s[2:4] + "/" + s
}

func TestOnlyContentAddressesAndVariantNamesReachTheFileSystem(t *testing.T) {
	f, _ := openFiles(t)
	key := keep(t, f, []byte("original"))
	sum := key[6:]
	badKeys := []string{
		"../../etc/passwd",
		"",
		sum,
		key + "/..",
		"../" + key[3:],
		strings.ToUpper(key),
		"00/00/" + sum,            // the digest under another address
		key[:6] + sum[:63] + "g",  // not hex
		key[:6] + sum[:62] + "/x", // a slash inside
		key + ".thumb.jpg",
	}
	for _, k := range badKeys {
		if file, err := f.Open(k); code(err) != app.EINVALID {
			if file != nil {
				file.Close()
			}
			t.Errorf("Open(%q) = %v, want %s", k, err, app.EINVALID)
		}
		if media.ValidKey(k) {
			t.Errorf("ValidKey(%q) is true", k)
		}
		if err := f.WriteVariant(k, app.VariantThumb, []byte("x")); code(err) != app.EINVALID {
			t.Errorf("WriteVariant(%q) = %v, want %s", k, err, app.EINVALID)
		}
	}
	for _, name := range []string{"../../x", "", "thumb.jpg", "original", "THUMB"} {
		if _, err := f.OpenVariant(key, name); code(err) != app.EINVALID {
			t.Errorf("OpenVariant(key, %q) = %v, want %s", name, err, app.EINVALID)
		}
		if err := f.WriteVariant(key, name, []byte("x")); code(err) != app.EINVALID {
			t.Errorf("WriteVariant(key, %q) = %v, want %s", name, err, app.EINVALID)
		}
	}
	if !media.ValidKey(key) {
		t.Errorf("ValidKey(%q) is false", key)
	}
}

func TestKeepAndDiscardTouchOnlyReceivedFiles(t *testing.T) {
	f, root := openFiles(t)
	outside := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(outside, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	forged := media.Received{Path: outside, SHA256: digest([]byte("precious")), Size: 8}
	if _, err := f.Keep(forged); err == nil {
		t.Error("Keep moved a file that Receive did not make")
	}
	f.Discard(forged)
	rc := receive(t, f, []byte("fine"))
	rc.SHA256 = "../../../../tmp/evil"
	if _, err := f.Keep(rc); err == nil {
		t.Error("Keep took a digest that is not one")
	}
	f.Discard(rc)
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the file outside is gone: %v", err)
	}
	if got := files(t, root); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

// uses is an inUse for Sweep: the keys in it are used.
func uses(keys ...string) func(string) (bool, error) {
	return func(key string) (bool, error) { return slices.Contains(keys, key), nil }
}

func TestSweepRemovesOnlyOldUnusedFilesWithTheirVariants(t *testing.T) {
	f, root := openFiles(t)
	used := keep(t, f, []byte("on a product"))
	young := keep(t, f, []byte("just uploaded, its record not yet committed"))
	old := keep(t, f, []byte("deleted long ago"))
	for _, k := range []string{used, old} {
		for _, v := range app.MediaVariantNames() {
			if err := f.WriteVariant(k, v, []byte(v)); err != nil {
				t.Fatal(err)
			}
		}
		age(t, root, k, 48*time.Hour)
	}
	age(t, root, young, 23*time.Hour)
	// A name the layout does not make is left alone.
	stray := filepath.Join(root, old[:5], "notes.txt")
	if err := os.WriteFile(stray, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	var asked []string
	inUse := func(key string) (bool, error) {
		asked = append(asked, key)
		return key == used, nil
	}
	removed, err := f.Sweep(context.Background(), inUse, 24*time.Hour, time.Now())
	if err != nil || removed != 1 {
		t.Fatalf("removed %d, %v; want 1", removed, err)
	}
	// The database is asked about old files only: most files are young or
	// in use, and a sweep of a big shop should not query for each.
	if slices.Contains(asked, young) || len(asked) != 2 {
		t.Errorf("asked about %v, want only the two old files", asked)
	}
	want := []string{young, used, used + ".large.jpg", used + ".medium.jpg", used + ".thumb.jpg", old[:5] + "/notes.txt"}
	slices.Sort(want)
	if got := files(t, root); !slices.Equal(got, want) {
		t.Errorf("files after the sweep:\n%v\nwant\n%v", got, want)
	}

	// Once the stray is gone, the old file's empty directories go too.
	os.Remove(stray)
	age(t, root, young, 25*time.Hour)
	removed, err = f.Sweep(context.Background(), uses(used), 24*time.Hour, time.Now())
	if err != nil || removed != 1 {
		t.Fatalf("second sweep removed %d, %v; want 1", removed, err)
	}
	for _, k := range []string{old, young} {
		if k[:5] == used[:5] {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, k[:5])); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the empty directory %s stayed: %v", k[:5], err)
		}
	}
}

func TestKeepingTheSameBytesDuringTheGraceStartsItAgain(t *testing.T) {
	f, root := openFiles(t)
	data := []byte("deleted yesterday, uploaded again today")
	key := keep(t, f, data)
	age(t, root, key, 23*time.Hour)
	if again := keep(t, f, data); again != key {
		t.Fatalf("keys %s and %s", key, again)
	}
	// Two hours on, the first keep is 25 h old but the second only 2 h.
	removed, err := f.Sweep(context.Background(), uses(), 24*time.Hour, time.Now().Add(2*time.Hour))
	if err != nil || removed != 0 {
		t.Fatalf("removed %d, %v; the fresh upload's file must stay", removed, err)
	}
	if _, err := f.Open(key); err != nil {
		t.Fatal(err)
	}
}

func TestAKeepWhileTheSweeperDecidesIsNotLost(t *testing.T) {
	f, root := openFiles(t)
	data := []byte("unused for days, then uploaded again")
	key := keep(t, f, data)
	age(t, root, key, 72*time.Hour)
	// The upload lands just after the sweeper found no record using the
	// file (its record is not committed yet), before the sweeper removes it.
	inUse := func(k string) (bool, error) {
		if k == key {
			keep(t, f, data)
		}
		return false, nil
	}
	removed, err := f.Sweep(context.Background(), inUse, 24*time.Hour, time.Now())
	if err != nil || removed != 0 {
		t.Fatalf("removed %d, %v", removed, err)
	}
	if _, err := f.Open(key); err != nil {
		t.Fatalf("the new upload's file is gone: %v", err)
	}
}

func TestSweepStopsAtTheFirstErrorAndKeepsTheRest(t *testing.T) {
	f, root := openFiles(t)
	a := keep(t, f, []byte("a"))
	b := keep(t, f, []byte("b"))
	age(t, root, a, 48*time.Hour)
	age(t, root, b, 48*time.Hour)
	boom := errors.New("database is closed")
	removed, err := f.Sweep(context.Background(), func(string) (bool, error) { return false, boom }, 24*time.Hour, time.Now())
	if !errors.Is(err, boom) || removed != 0 {
		t.Fatalf("removed %d, %v", removed, err)
	}
	if _, err := f.Sweep(context.Background(), uses(), 0, time.Now()); err == nil {
		t.Error("a sweep without a grace period ran")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Sweep(ctx, uses(), 24*time.Hour, time.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled sweep: %v", err)
	}
	if got := files(t, root); len(got) != 2 {
		t.Errorf("files %v, want both", got)
	}
}

func TestSweepRemovesVariantsAnInterruptedSweepLeftWithoutTheirOriginal(t *testing.T) {
	f, root := openFiles(t)
	key := keep(t, f, []byte("x"))
	if err := f.WriteVariant(key, app.VariantThumb, []byte("t")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, key))
	age(t, root, key+".thumb.jpg", 48*time.Hour)
	removed, err := f.Sweep(context.Background(), uses(), 24*time.Hour, time.Now())
	if err != nil || removed != 1 {
		t.Fatalf("removed %d, %v", removed, err)
	}
	if got := files(t, root); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}
