package media_test

import (
	"strings"
	"testing"

	"smartbot/app/media"
	"smartbot/app/media/mediatest"
)

// scanInWrites writes b to a new scanner in writes of at most n bytes.
func scanInWrites(b []byte, n int) string {
	var s media.MarkupScanner
	for len(b) > 0 {
		k := min(n, len(b))
		if w, err := s.Write(b[:k]); w != k || err != nil {
			panic("MarkupScanner.Write did not take everything")
		}
		b = b[k:]
	}
	return s.Found()
}

func TestMarkupScannerFindsMarkupHiddenInMedia(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"a JPEG with a script appended after its end", mediatest.JPEG(32, 32, mediatest.Trailer([]byte("<script>alert(document.cookie)</script>"))), "<script"},
		{"a JPEG with a page in its comment", mediatest.JPEG(32, 32, mediatest.Comment("<HTML><BODY onload=x()>")), "<html"},
		{"a PNG with an SVG in a text chunk", mediatest.InsertPNGChunks(mediatest.PNG(8, 8), mediatest.PNGChunk("tEXt", []byte("c\x00<svg/onload=alert(1)>"))), "<svg"},
		{"a PDF with a javascript: link", append(mediatest.PDF(), "<< /URI (JavaScript:alert(1)) >>"...), "javascript:"},
		{"an MP4 with an iframe", append(mediatest.MP4(), "<iframe src=x>"...), "<iframe"},
		{"an object tag", []byte("xx<Object data=y>"), "<object"},
		{"an embed tag", []byte("xx<EMBED\tsrc=y>"), "<embed"},
		{"a doctype", []byte("xx<!DocType HTML>"), "<!doctype html"},
		{"a body tag closed at once", []byte("<body>"), "<body"},
		{"a tag name ended by a line feed", []byte("<script\nsrc=x>"), "<script"},
		{"the first of several markers", []byte("a javascript:b <script>"), "javascript:"},
		{"the first of several markers, the other way round", []byte("<svg>javascript:"), "<svg"},
		{"the first of two markers that touch", []byte("xjavascript:<svg>"), "javascript:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range []int{1, 2, 3, 7, 13, 14, 15, 16, 4096, len(tc.file)} {
				if got := scanInWrites(tc.file, n); got != tc.want {
					t.Errorf("in writes of %d bytes: %q, want %q", n, got, tc.want)
				}
			}
		})
	}
}

func TestMarkupScannerFindsAMarkerThatStraddlesTwoWrites(t *testing.T) {
	file := mediatest.JPEG(16, 16, mediatest.Trailer([]byte("<ScRiPt>x</script>")))
	at := len(file) - len("<ScRiPt>x</script>")
	for cut := at - 2; cut <= at+len("<ScRiPt>")+1; cut++ {
		var s media.MarkupScanner
		s.Write(file[:cut])
		s.Write(file[cut:])
		if s.Found() != "<script" {
			t.Errorf("cut at %d (marker at %d): %q", cut, at, s.Found())
		}
	}
	// Across three writes, the middle one shorter than the marker.
	var s media.MarkupScanner
	for _, part := range []string{"abc<!DOC", "type h", "tml>"} {
		s.Write([]byte(part))
	}
	if s.Found() != "<!doctype html" {
		t.Errorf("%q", s.Found())
	}
}

func TestMarkupScannerLeavesCleanMediaAlone(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"a JPEG photo with EXIF and XMP", mediatest.JPEG(200, 150, mediatest.Orientation(6), mediatest.GPS(1, 2), mediatest.XMP(`<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>`))},
		{"a JPEG photo whose XMP begins with an XML declaration", mediatest.JPEG(200, 150, mediatest.XMP(`<?xml version="1.0"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>`))},
		{"a PNG", mediatest.PNG(300, 200)},
		{"a PDF", mediatest.PDF()},
		{"1 MB of random bytes", randomBytes(1<<20, 3)},
		{"tag names that only begin like markers", []byte("<svgz> <scripts> <htmlx <bodyguard <embedded <objects <?xmlns <!doctype htmlx")},
		{"markers cut off by the end of the file", []byte("<svg")},
		{"a colon without javascript before it", []byte("java script: javascript;")},
		{"a long s is no s to a browser", []byte("<\u017fcript>")},
		{"nothing", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range []int{1, 5, 32 << 10} {
				if got := scanInWrites(tc.file, n); got != "" {
					t.Errorf("in writes of %d bytes: found %q", n, got)
				}
			}
		})
	}
}

func TestMarkupScannerKeepsTheFirstMarkerFound(t *testing.T) {
	var s media.MarkupScanner
	s.Write([]byte("<svg "))
	s.Write([]byte("<script>"))
	if s.Found() != "<svg" {
		t.Errorf("%q", s.Found())
	}
}

func TestMarkupScannerWritesWithoutAllocating(t *testing.T) {
	var s media.MarkupScanner
	riffChunk := randomBytes(32<<10, 4)
	if n := testing.AllocsPerRun(100, func() { s.Write(riffChunk) }); n != 0 {
		t.Errorf("%v allocations a write", n)
	}
	// With a tail that joins the next write.
	if n := testing.AllocsPerRun(100, func() { s.Write([]byte("ab<sc")); s.Write([]byte("r")) }); n != 0 {
		t.Errorf("%v allocations a write", n)
	}
	if s.Found() != "" {
		t.Fatalf("found %q in random bytes", s.Found())
	}
}

func BenchmarkMarkupScanner(b *testing.B) {
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"random", randomBytes(32<<10, 5)},
		// Text full of '<' and ':', the worst case for the candidates.
		{"markup-like text", []byte(strings.Repeat("<<a:b> <sv <scrip java: ", (32<<10)/24))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var s media.MarkupScanner
			b.SetBytes(int64(len(bc.data)))
			b.ReportAllocs()
			for b.Loop() {
				s.Write(bc.data)
			}
			if s.Found() != "" {
				b.Fatalf("found %q", s.Found())
			}
		})
	}
}
