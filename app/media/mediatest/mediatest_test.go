package mediatest_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"smartbot/app/media/mediatest"
)

var (
	tl, tr, bl, br = mediatest.TopLeft, mediatest.TopRight, mediatest.BottomLeft, mediatest.BottomRight
)

func TestStoredPicturesHaveTheirCornersWhereEachOrientationSaysTheyAre(t *testing.T) {
	// From the EXIF definitions: orientation 6, for one, says the stored
	// picture's first row is the upright one's right side and its first
	// column the upright one's top, so its top-left corner is the upright
	// top-right one.
	for o, want := range map[int][2]color.RGBA{ // stored top-left, stored top-right
		1: {tl, tr}, 2: {tr, tl}, 3: {br, bl}, 4: {bl, br},
		5: {tl, bl}, 6: {tr, br}, 7: {br, tr}, 8: {bl, tl},
	} {
		s := mediatest.Stored(mediatest.Picture(6, 4), o)
		if o >= 5 && s.Bounds().Size() != image.Pt(4, 6) || o < 5 && s.Bounds().Size() != image.Pt(6, 4) {
			t.Errorf("orientation %d: stored %v", o, s.Bounds())
		}
		last := s.Bounds().Dx() - 1
		if got := [2]color.RGBA{s.RGBAAt(0, 0), s.RGBAAt(last, 0)}; got != want {
			t.Errorf("orientation %d: corners %v, want %v", o, got, want)
		}
	}
}

func TestJPEGStoresThePictureTurnedAsItsOrientationSays(t *testing.T) {
	up, err := jpeg.Decode(bytes.NewReader(mediatest.JPEG(64, 48)))
	if err != nil {
		t.Fatal(err)
	}
	if up.Bounds().Size() != image.Pt(64, 48) || !mediatest.IsUpright(up) {
		t.Errorf("the plain JPEG is not the upright picture")
	}
	for o := 2; o <= 8; o++ {
		img, err := jpeg.Decode(bytes.NewReader(mediatest.JPEG(64, 48, mediatest.Orientation(o))))
		if err != nil {
			t.Fatal(err)
		}
		want := mediatest.Stored(mediatest.Picture(64, 48), o)
		if img.Bounds() != want.Bounds() || mediatest.IsUpright(img) {
			t.Errorf("orientation %d: %v, upright %v", o, img.Bounds(), mediatest.IsUpright(img))
		}
		for _, p := range []image.Point{{8, 8}, {want.Bounds().Dx() - 8, 8}, {8, want.Bounds().Dy() - 8}} {
			r, g, b, _ := img.At(p.X, p.Y).RGBA()
			w := want.RGBAAt(p.X, p.Y)
			if diff(r>>8, w.R) > 48 || diff(g>>8, w.G) > 48 || diff(b>>8, w.B) > 48 {
				t.Errorf("orientation %d at %v: %d,%d,%d, want %v", o, p, r>>8, g>>8, b>>8, w)
			}
		}
	}
}

func diff(a uint32, b uint8) int {
	d := int(a) - int(b)
	return max(d, -d)
}

func TestSegmentsShowEveryMetadataSegmentAJPEGCarries(t *testing.T) {
	plain := mediatest.JPEG(16, 16)
	if m := mediatest.Metadata(plain); m != nil || mediatest.HasEXIF(plain) {
		t.Errorf("a plain JPEG carries %v", m)
	}
	full := mediatest.JPEG(16, 16, mediatest.Orientation(6), mediatest.GPS(1, 2), mediatest.XMP("<x/>"),
		mediatest.AppData(70_000), mediatest.Comment("hi"), mediatest.Trailer([]byte("after")))
	if got, want := mediatest.Metadata(full), []string{"APP1", "APP1", "APP10", "APP10", "COM"}; !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
	if !mediatest.HasEXIF(full) {
		t.Error("no EXIF found")
	}
	var names []string
	for _, m := range mediatest.Segments(full) {
		names = append(names, m.Name())
	}
	for _, want := range []string{"SOI", "DQT", "SOF0", "DHT", "SOS", "EOI"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %s in %v", want, names)
		}
	}
	if names[len(names)-1] != "EOI" {
		t.Errorf("ends with %s", names[len(names)-1])
	}
	if got := mediatest.Segments(mediatest.Truncate(full, 100)); len(got) == 0 || len(got) > 3 {
		t.Errorf("a JPEG cut at 100 bytes: %d segments", len(got))
	}
}

func TestEXIFHoldsAGPSDirectoryWithTheLatitudeAndLongitude(t *testing.T) {
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		block := mediatest.EXIF(order, 1, true, -17.8292, 31.0522)
		o := order.(binary.ByteOrder)
		// Find the GPSInfo entry of IFD0 and the directory it points to.
		n := int(o.Uint16(block[8:]))
		gpsAt := -1
		for i := range n {
			e := block[10+12*i:]
			if o.Uint16(e) == 0x8825 {
				gpsAt = int(o.Uint32(e[8:]))
			}
		}
		if gpsAt < 0 || gpsAt+2 > len(block) || o.Uint16(block[gpsAt:]) != 5 {
			t.Fatalf("%v: no GPS directory (at %d)", order, gpsAt)
		}
		value := func(tag uint16) []byte {
			for i := range 5 {
				e := block[gpsAt+2+12*i:]
				if o.Uint16(e) != tag {
					continue
				}
				if o.Uint16(e[2:]) == 5 { // RATIONAL: out of line
					at := int(o.Uint32(e[8:]))
					return block[at : at+24]
				}
				return e[8:12]
			}
			return nil
		}
		degrees := func(b []byte) float64 {
			var v float64
			for i, scale := range []float64{1, 60, 3600} {
				v += float64(o.Uint32(b[8*i:])) / float64(o.Uint32(b[8*i+4:])) / scale
			}
			return v
		}
		if string(value(1)[:1]) != "S" || string(value(3)[:1]) != "E" {
			t.Errorf("%v: references %q %q", order, value(1), value(3))
		}
		if lat, lon := degrees(value(2)), degrees(value(4)); fmt.Sprintf("%.4f %.4f", lat, lon) != "17.8292 31.0522" {
			t.Errorf("%v: %f %f", order, lat, lon)
		}
	}
}

func TestTheImageMakersMakeFilesTheStandardDecodersRead(t *testing.T) {
	cfg, err := png.DecodeConfig(bytes.NewReader(mediatest.PNGHeader(100_000, 70_000)))
	if err != nil || cfg.Width != 100_000 || cfg.Height != 70_000 {
		t.Errorf("PNGHeader: %+v %v", cfg, err)
	}
	cfg, err = jpeg.DecodeConfig(bytes.NewReader(mediatest.JPEGHeader(20_000, 30_000)))
	if err != nil || cfg.Width != 20_000 || cfg.Height != 30_000 {
		t.Errorf("JPEGHeader: %+v %v", cfg, err)
	}
	img, err := png.Decode(bytes.NewReader(mediatest.PNG(40, 30)))
	if err != nil || !mediatest.IsUpright(img) {
		t.Errorf("PNG: %v", err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(mediatest.GIF(40, 30, 3)))
	if err != nil || len(g.Image) != 3 || !mediatest.IsUpright(g.Image[2]) {
		t.Errorf("GIF: %v", err)
	}
	chunk := mediatest.InsertPNGChunks(mediatest.PNG(4, 4), mediatest.PNGChunk("tEXt", []byte("k\x00v")))
	if _, err := png.Decode(bytes.NewReader(chunk)); err != nil {
		t.Errorf("PNG with a chunk inserted: %v", err)
	}
}

func TestWebPHasAValidLosslessHeader(t *testing.T) {
	w := mediatest.WebP(300, 200, color.RGBA{1, 2, 3, 255})
	if string(w[:4]) != "RIFF" || string(w[8:16]) != "WEBPVP8L" || int(binary.LittleEndian.Uint32(w[4:]))+8 != len(w) {
		t.Fatalf("% x", w)
	}
	bits := binary.LittleEndian.Uint32(w[21:])
	if w[20] != 0x2f || bits&0x3fff+1 != 300 || bits>>14&0x3fff+1 != 200 || bits>>28&1 != 0 || bits>>29 != 0 {
		t.Errorf("header % x", w[20:25])
	}
}

func TestTheOtherMakersWriteTheirFormatsHeaders(t *testing.T) {
	pdf := mediatest.PDF()
	xref := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || xref == nil {
		t.Fatalf("PDF:\n%s", pdf)
	}
	at, _ := strconv.Atoi(string(xref[1]))
	if !bytes.HasPrefix(pdf[at:], []byte("xref\n0 4\n")) {
		t.Errorf("startxref %d points at %q", at, pdf[at:at+10])
	}
	for i, off := range regexp.MustCompile(`(\d{10}) 00000 n`).FindAllSubmatch(pdf, -1) {
		n, _ := strconv.Atoi(string(off[1]))
		if !bytes.HasPrefix(pdf[n:], fmt.Appendf(nil, "%d 0 obj", i+1)) {
			t.Errorf("object %d is not at %d", i+1, n)
		}
	}
	mp3 := mediatest.MP3(3)
	if len(mp3) != 3*417 || !bytes.Equal(mp3[417:419], []byte{0xff, 0xfb}) {
		t.Errorf("MP3 frames")
	}
	aac := mediatest.AAC(2)
	if n := int(aac[3]&3)<<11 | int(aac[4])<<3 | int(aac[5])>>5; n != 32 || len(aac) != 64 || aac[32] != 0xff {
		t.Errorf("AAC frame length %d", n)
	}
	id3 := mediatest.ID3(200)
	if len(id3) != 210 || string(id3[:3]) != "ID3" || id3[8] != 1 || id3[9] != 200-128 {
		t.Errorf("ID3 % x", id3[:10])
	}
	mp4 := mediatest.MP4()
	if size := binary.BigEndian.Uint32(mp4); string(mp4[4:12]) != "ftypisom" || int(size) != 32 || string(mp4[size+4:size+8]) != "mdat" {
		t.Errorf("MP4 % x", mp4)
	}
	ogg := mediatest.OggOpus()
	if string(ogg[:4]) != "OggS" || ogg[5] != 2 || ogg[26] != 1 || string(ogg[28:36]) != "OpusHead" || len(ogg) != 28+19 {
		t.Errorf("OGG % x", ogg)
	}
}

func TestTruncateCopies(t *testing.T) {
	b := []byte("abcdef")
	c := mediatest.Truncate(b, 3)
	c[0] = 'x'
	if string(b) != "abcdef" || string(c) != "xbc" {
		t.Errorf("%q %q", b, c)
	}
	if string(mediatest.Truncate(b, 100)) != "abcdef" || len(mediatest.Truncate(b, -1)) != 0 {
		t.Error("out of range")
	}
}
