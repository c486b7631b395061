package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/media"
	"smartbot/app/media/mediatest"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

// shop is a media service on a fresh data directory, with the store's
// clock in the test's hands.
type shop struct {
	dir   string
	clock *storetest.Clock
	db    *store.DB
	qs    *queue.Queues
	svc   *media.Service
}

func newShop(t *testing.T) *shop {
	t.Helper()
	dir := t.TempDir()
	c := storetest.NewClock(time.Now())
	db := storetest.OpenAt(t, dir, c.Now)
	files, err := media.OpenFiles(filepath.Join(dir, "media"))
	if err != nil {
		t.Fatal(err)
	}
	qs := queue.New(db)
	return &shop{dir: dir, clock: c, db: db, qs: qs, svc: media.New(media.Options{DB: db, Queues: qs, Files: files})}
}

// upload receives and creates one file, as the API does.
func (s *shop) upload(t *testing.T, name string, b []byte) app.Media {
	t.Helper()
	ctx := context.Background()
	up, err := s.svc.Receive(ctx, bytes.NewReader(b), name)
	if err != nil {
		t.Fatalf("receive %s: %v", name, err)
	}
	m, err := s.svc.Create(ctx, up, media.NewMedia{})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return m
}

// process runs the media job of m as the queue would.
func (s *shop) process(t *testing.T, m app.Media) app.Media {
	t.Helper()
	ctx := context.Background()
	if err := s.svc.Process(ctx, queue.Job{Queue: queue.MediaProcessing, Body: []byte(m.ID), Attempt: 1}); err != nil {
		t.Fatalf("process %s: %v", m.ID, err)
	}
	m, err := s.db.Media(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// stored lists the files under the media directory, relative to it, the
// temporary folder included.
func (s *shop) stored(t *testing.T) []string {
	t.Helper()
	return files(t, filepath.Join(s.dir, "media"))
}

func TestAPhotoTakenSidewaysComesOutUprightInEverySizeWithNoMetadata(t *testing.T) {
	s := newShop(t)
	// 12 megapixels as the camera stored them: 4000 wide, 3000 high, to be
	// turned a quarter clockwise (EXIF orientation 6), with GPS tags.
	photo := mediatest.JPEG(3000, 4000, mediatest.Orientation(6), mediatest.GPS(-17.8292, 31.0522))
	m := s.upload(t, "IMG_0001.JPG", photo)
	if m.Status != app.MediaProcessing || m.Width != 3000 || m.Height != 4000 || m.MIME != "image/jpeg" {
		t.Fatalf("after upload: %+v, want processing 3000×4000 image/jpeg (upright size)", m)
	}
	m = s.process(t, m)
	if m.Status != app.MediaReady {
		t.Fatalf("after processing: status %s (%s), want ready", m.Status, m.Error)
	}
	want := map[string][2]int{app.VariantLarge: {960, 1280}, app.VariantMedium: {360, 480}, app.VariantThumb: {113, 150}}
	for name, size := range want {
		f, err := s.svc.Files().OpenVariant(m.StorageKey, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s is not a JPEG: %v", name, err)
		}
		if got := img.Bounds().Size(); got.X != size[0] || got.Y != size[1] {
			t.Errorf("%s is %v, want %d×%d", name, got, size[0], size[1])
		}
		if !mediatest.IsUpright(img) {
			t.Errorf("%s is not upright", name)
		}
		for _, seg := range mediatest.Segments(b) {
			if seg.Code >= 0xe1 && seg.Code <= 0xef || seg.Code == 0xfe {
				t.Errorf("%s keeps a metadata segment %#x (%d bytes)", name, seg.Code, len(seg.Payload))
			}
		}
		if v := m.Variants[name]; v.Width != size[0] || v.Height != size[1] || v.Size != int64(len(b)) {
			t.Errorf("the record says %s is %+v, the file is %d×%d, %d bytes", name, v, size[0], size[1], len(b))
		}
	}
	if len(m.Inline) == 0 || len(m.Inline) > 16<<10 {
		t.Errorf("the inline thumbnail is %d bytes, want a small JPEG", len(m.Inline))
	}
}

func TestTheSameBytesUploadedTwiceAreStoredOnceAndOutliveTheirRecordsByTheGrace(t *testing.T) {
	s := newShop(t)
	ctx := context.Background()
	photo := mediatest.JPEG(640, 480)
	first, second := s.upload(t, "a.jpg", photo), s.upload(t, "b.jpg", photo)
	if first.StorageKey != second.StorageKey || first.ID == second.ID {
		t.Fatalf("two records %s and %s at %q and %q, want two records sharing one file", first.ID, second.ID, first.StorageKey, second.StorageKey)
	}
	s.process(t, first)
	s.process(t, second)
	files := s.stored(t)
	if len(files) != 4 {
		t.Fatalf("stored %q, want the photo and its three sizes once", files)
	}

	if err := s.svc.Delete(ctx, first.ID, false); err != nil {
		t.Fatal(err)
	}
	s.clock.Add(48 * time.Hour)
	if n, err := s.svc.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep removed %d (%v) while the second record uses the file", n, err)
	}
	if err := s.svc.Delete(ctx, second.ID, false); err != nil {
		t.Fatal(err)
	}
	s.clock.Add(23 * time.Hour)
	if n, err := s.svc.Sweep(ctx); err != nil || n != 0 || !slices.Equal(s.stored(t), files) {
		t.Fatalf("sweep within the grace removed %d files (%v); left %q", n, err, s.stored(t))
	}

	// A backup taken now, between the delete and the sweep, holds a
	// database that still knows the file, and the file.
	archive := filepath.Join(t.TempDir(), "shop.tar.gz")
	out, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Backup(ctx, out, store.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	restored := t.TempDir()
	if _, err := store.Restore(ctx, archive, restored, store.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(restored, "media", filepath.FromSlash(second.StorageKey))); err != nil {
		t.Errorf("the restored shop lacks the file: %v", err)
	}

	s.clock.Add(2 * time.Hour) // past the grace
	if n, err := s.svc.Sweep(ctx); err != nil || n == 0 {
		t.Fatalf("sweep past the grace removed %d (%v)", n, err)
	}
	if left := s.stored(t); len(left) != 0 {
		t.Errorf("after the sweep %q is left, want nothing", left)
	}
}

func TestHostileUploadsAreRefusedAndLeaveNothing(t *testing.T) {
	big := mediatest.JPEG(64, 64, mediatest.AppData(3<<20))
	cases := []struct {
		name string
		file string
		body []byte
		code string
		says string
	}{
		{"PNG declaring 100,000×100,000", "bomb.png", mediatest.PNGHeader(100_000, 100_000), app.EINVALID, "megapixels"},
		{"JPEG of 20,000×20,000", "huge.jpg", mediatest.JPEGHeader(20_000, 20_000), app.EINVALID, "megapixels"},
		{"truncated JPEG", "cut.jpg", mediatest.JPEG(800, 600)[:9000], app.EINVALID, "cut short"},
		{"HTML named .jpg", "photo.jpg", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), app.EUNSUPPORTED, "HTML"},
		{"SVG named .jpg", "logo.jpg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), app.EUNSUPPORTED, "SVG"},
		{"JPEG with a page behind it", "poly.jpg", mediatest.JPEG(64, 64, mediatest.Trailer([]byte("<html><script>alert(1)</script>"))), app.EUNSUPPORTED, "web page code"},
		{"JPEG with a script in a comment", "comment.jpg", mediatest.JPEG(64, 64, mediatest.Comment("<script>alert(1)</script>")), app.EUNSUPPORTED, "web page code"},
		{"several MB of metadata", "meta.jpg", big, app.EINVALID, "metadata"},
		{"zero bytes", "empty.jpg", nil, app.EINVALID, "empty"},
		{"a path for a name", "../../etc/passwd", mediatest.JPEG(64, 64), app.EINVALID, "folders"},
		{"a picture over the cap", "big.png", append(mediatest.PNG(16, 16), make([]byte, 5<<20)...), app.ETOOLARGE, "5 MB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newShop(t)
			_, err := s.svc.Receive(context.Background(), bytes.NewReader(c.body), c.file)
			if app.ErrorCode(err) != c.code || !strings.Contains(app.ErrorMessage(err), c.says) {
				t.Fatalf("got %s: %v; want %s saying %q", app.ErrorCode(err), err, c.code, c.says)
			}
			t.Logf("%s: %s", app.ErrorCode(err), app.ErrorMessage(err))
			if msg := app.ErrorMessage(err); msg == "" || msg[0] < 'A' || msg[0] > 'Z' && !strings.HasPrefix(msg, "file:") {
				t.Errorf("the refusal %q is not a sentence for a person", msg)
			}
			if left := s.stored(t); len(left) != 0 {
				t.Errorf("the refused upload left %q", left)
			}
			if n := storetest.Count(t, s.db, `select count(*) from media_files`); n != 0 {
				t.Errorf("%d media rows after a refusal", n)
			}
		})
	}
}

// forever is a body that never ends: a PNG's start, then zeros.
type forever struct {
	head []byte
	read int64
}

func (e *forever) Read(p []byte) (int, error) {
	n := copy(p, e.head)
	e.head = e.head[n:]
	for i := n; i < len(p); i++ {
		p[i] = 0
	}
	e.read += int64(len(p))
	return len(p), nil
}

func TestAnUploadOverItsKindsCapStopsBeingReadAtTheCap(t *testing.T) {
	s := newShop(t)
	body := &forever{head: mediatest.PNG(16, 16)}
	_, err := s.svc.Receive(context.Background(), body, "forever.png")
	if app.ErrorCode(err) != app.ETOOLARGE {
		t.Fatalf("got %v, want ETOOLARGE", err)
	}
	// The picture cap is 5 MB; the largest cap (documents) is 100 MB.
	if limit := media.DefaultLimits.For(app.MediaImage); body.read > limit+1<<20 {
		t.Errorf("read %d bytes of a picture upload capped at %d", body.read, limit)
	}
	if left := s.stored(t); len(left) != 0 {
		t.Errorf("the refused upload left %q", left)
	}
}

func TestAPictureOfFourHundredMegapixelsIsRefusedWithoutBeingDecoded(t *testing.T) {
	s := newShop(t)
	// A real 16×16 JPEG whose header claims 20,000×20,000: decoding it would
	// take 600 MB before finding out the data is not there.
	body := mediatest.JPEGHeader(20_000, 20_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := s.svc.Receive(context.Background(), bytes.NewReader(body), "huge.jpg")
	runtime.ReadMemStats(&after)
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), "20000") && !strings.Contains(app.ErrorMessage(err), "20,000") {
		t.Fatalf("got %v, want a refusal naming the size", err)
	}
	if used := after.TotalAlloc - before.TotalAlloc; used > 4<<20 {
		t.Errorf("refusing it allocated %d bytes", used)
	}
}

// withExtendedXMP returns jpeg with n bytes of extended XMP after its start
// marker, in as many APP1 segments as that takes, as a phone's portrait
// photo keeps its depth map.
func withExtendedXMP(jpeg []byte, n int) []byte {
	const sig = "http://ns.adobe.com/xmp/extension/\x00"
	out := append([]byte(nil), jpeg[:2]...)
	for ; n > 0; n -= 60000 {
		payload := append([]byte(sig), bytes.Repeat([]byte{'d'}, min(n, 60000))...)
		out = append(out, 0xff, 0xe1)
		out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
		out = append(out, payload...)
	}
	return append(out, jpeg[2:]...)
}

func TestAPortraitPhotoWithMegabytesOfDepthMapIsTaken(t *testing.T) {
	s := newShop(t)
	m := s.upload(t, "PXL_portrait.jpg", withExtendedXMP(mediatest.JPEG(800, 600, mediatest.Orientation(1)), 3<<20))
	if m = s.process(t, m); m.Status != app.MediaReady {
		t.Fatalf("a portrait photo: %s (%s), want ready", m.Status, m.Error)
	}
}

func TestMarkupIsLookedForAtAnUploadsEndsNotInItsMiddle(t *testing.T) {
	pdf := mediatest.PDF()
	end := bytes.LastIndex(pdf, []byte("%%EOF"))
	filler := bytes.Repeat([]byte("x"), 1<<20)
	// A PDF comment in the middle of a 2 MB document that happens to hold a
	// marker, as compressed data does now and then by chance.
	middle := slices.Concat(pdf[:end], []byte("% "), filler, []byte("<svg "), filler, []byte("\n"), pdf[end:])
	s := newShop(t)
	if _, err := s.svc.Receive(context.Background(), bytes.NewReader(middle), "big.pdf"); err != nil {
		t.Errorf("a marker in the middle of a document: %v", err)
	}
	// The same, but the page is appended after the document's end.
	appended := slices.Concat(pdf, filler, filler, []byte("<html><script>alert(1)</script></html>"))
	if _, err := s.svc.Receive(context.Background(), bytes.NewReader(appended), "poly.pdf"); app.ErrorCode(err) != app.EUNSUPPORTED {
		t.Errorf("a page appended to a document: %v, want EUNSUPPORTED", err)
	}
}
