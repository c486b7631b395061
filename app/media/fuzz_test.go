package media_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"smartbot/app"
	"smartbot/app/media"
	"smartbot/app/media/mediatest"
)

// Run one with, for example:
//
//	go test ./app/media -run '^$' -fuzz FuzzReadImageInfo -fuzztime 30s

// fuzzSeeds are files of every kind the parsers meet, whole and cut short.
func fuzzSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, s := range acceptedSamples() {
		out = append(out, s.file[:min(len(s.file), 8<<10)])
	}
	j := mediatest.JPEG(16, 8, mediatest.Orientation(6), mediatest.GPS(1, 2), mediatest.XMP("<x/>"), mediatest.Comment("c"))
	out = append(out,
		j, mediatest.Truncate(j, 40),
		mediatest.JPEG(8, 8, mediatest.Orientation(8), mediatest.BigEndian()),
		mediatest.JPEGHeader(20_000, 20_000),
		mediatest.PNGHeader(100_000, 100_000),
		mediatest.InsertPNGChunks(mediatest.PNG(4, 4), mediatest.PNGChunk("eXIf", mediatest.EXIF(nil, 5, false, 0, 0))),
		webpFile(vp8x(50, 40), riffChunk("ICCP", make([]byte, 30)), webpBody(50, 40)),
		vp8(640, 480),
		gifHeader(3, 3),
		[]byte("<!DOCTYPE html><html>"),
		[]byte("<?xml version=\"1.0\"?><svg>"),
		zipOf(tb, "word/document.xml"),
	)
	return out
}

func FuzzSniff(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("\xff\xfb00")) // found by fuzzing: a frame longer than the file
	f.Fuzz(func(t *testing.T, head []byte) {
		typ, err := media.Sniff(head)
		if err == nil {
			if want, ok := media.TypeOf(typ.MIME); !ok || typ != want {
				t.Fatalf("took %+v, which is no type Smartbot takes", typ)
			}
		} else {
			checkRefusal(t, err, app.EUNSUPPORTED, app.EINVALID)
		}
		// Only the first SniffLen bytes count.
		if len(head) > media.SniffLen {
			typ2, err2 := media.Sniff(head[:media.SniffLen])
			if typ2 != typ || app.ErrorMessage(err2) != app.ErrorMessage(err) {
				t.Fatalf("the bytes after SniffLen changed the answer: %+v %v, then %+v %v", typ, err, typ2, err2)
			}
		}
	})
}

// checkRefusal fails t unless err is an *app.Error of one of codes whose
// message is a sentence.
func checkRefusal(t *testing.T, err error, codes ...string) {
	t.Helper()
	var e *app.Error
	if !errors.As(err, &e) || !strings.Contains(strings.Join(codes, " "), e.Code) {
		t.Fatalf("%v (%T), want an *app.Error of %v", err, err, codes)
	}
	if m := e.Message; !strings.HasPrefix(m, "The ") && !strings.HasPrefix(m, "Smartbot ") || !strings.HasSuffix(m, ".") {
		t.Fatalf("message %q is not a sentence", m)
	}
}

func FuzzReadImageInfo(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		for k := range byte(4) {
			f.Add(s, k)
		}
	}
	types := []media.Type{jpegType, pngType, gifType, webpType}
	f.Fuzz(func(t *testing.T, file []byte, k byte) {
		typ := types[int(k)%len(types)]
		info, err := media.ReadImageInfo(typ, bytes.NewReader(file))
		if err != nil {
			checkRefusal(t, err, app.EINVALID, app.EUNSUPPORTED)
		} else if info.Width < 0 || info.Height < 0 || info.Orientation < 1 || info.Orientation > 8 {
			t.Fatalf("%+v", info)
		}
		// The answer does not depend on how the reader hands out bytes.
		info2, err2 := media.ReadImageInfo(typ, iotest.OneByteReader(bytes.NewReader(file)))
		if info2 != info || app.ErrorMessage(err2) != app.ErrorMessage(err) {
			t.Fatalf("read byte by byte: %+v %v, at once: %+v %v", info2, err2, info, err)
		}
		// A header read in full reads the same with more after it: the
		// reader stops where the picture begins.
		if err == nil {
			info3, err3 := media.ReadImageInfo(typ, io.MultiReader(bytes.NewReader(file), bytes.NewReader(randomBytes(100, 1))))
			if info3 != info || err3 != nil {
				t.Fatalf("with bytes after it: %+v %v, without: %+v", info3, err3, info)
			}
		}
		if err == nil {
			if err := media.CheckImageSize(info); err != nil {
				checkRefusal(t, err, app.EINVALID)
			}
		}
	})
}

func FuzzEXIF(f *testing.F) {
	for o := range 10 {
		f.Add(mediatest.EXIF(nil, o, o%2 == 0, 1, 2))
	}
	f.Add(append([]byte("Exif\x00\x00"), mediatest.EXIF(nil, 6, true, -1, -2)...))
	f.Add(tiffIFD0(ifdEntry(0x0112, 4, 1, 8)))
	f.Fuzz(func(t *testing.T, block []byte) {
		o := media.EXIFOrientation(block)
		if o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
		// The APP1 identifier in front changes nothing.
		if !bytes.HasPrefix(block, []byte("Exif\x00\x00")) {
			if o2 := media.EXIFOrientation(append([]byte("Exif\x00\x00"), block...)); o2 != o {
				t.Fatalf("%d bare, %d behind the identifier", o, o2)
			}
		}
	})
}

// naiveMarker is the MarkupScanner's rule written the slow, obvious way:
// the marker that begins first in the ASCII-lowered file, tag markers
// followed by a byte that ends a tag name.
func naiveMarker(file []byte) string {
	lower := make([]byte, len(file))
	for i, c := range file {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	s := string(lower)
	found, at := "", len(s)
	for _, m := range []string{"<script", "<html", "<body", "<svg", "<iframe", "<object", "<embed", "<!doctype html"} {
		for _, end := range []string{" ", "\t", "\n", "\f", "\r", "/", ">"} {
			if i := strings.Index(s, m+end); i >= 0 && i < at {
				found, at = m, i
			}
		}
	}
	if i := strings.Index(s, "javascript:"); i >= 0 && i < at {
		found = "javascript:"
	}
	return found
}

func FuzzMarkupScanner(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, uint16(7), uint16(300))
	}
	f.Add([]byte("xx<ScRiPt>"), uint16(3), uint16(5))
	f.Add([]byte("a javascript:b <svg/"), uint16(1), uint16(12))
	f.Add([]byte("<!DOCTYPE HTML>"), uint16(2), uint16(9))
	f.Add(mediatest.JPEG(8, 8, mediatest.Trailer([]byte("<svg onload=x>"))), uint16(600), uint16(640))
	f.Fuzz(func(t *testing.T, file []byte, cut1, cut2 uint16) {
		a, b := min(int(cut1), len(file)), min(int(cut2), len(file))
		a, b = min(a, b), max(a, b)
		var s media.MarkupScanner
		for _, part := range [][]byte{file[:a], file[a:b], file[b:]} {
			if n, err := s.Write(part); n != len(part) || err != nil {
				t.Fatalf("Write: %d, %v", n, err)
			}
		}
		if want := naiveMarker(file); s.Found() != want {
			t.Fatalf("found %q, want %q (writes cut at %d and %d)", s.Found(), want, a, b)
		}
	})
}
