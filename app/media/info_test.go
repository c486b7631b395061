package media_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/color"
	"io"
	"runtime"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/media"
	"smartbot/app/media/mediatest"
)

// readInfo sniffs b and reads its header.
func readInfo(t *testing.T, b []byte) (media.ImageInfo, error) {
	t.Helper()
	typ, err := media.Sniff(b[:min(len(b), media.SniffLen)])
	if err != nil {
		t.Fatalf("sniff: %v", err)
	}
	return media.ReadImageInfo(typ, bytes.NewReader(b))
}

var (
	jpegType = media.Type{MIME: "image/jpeg", Kind: app.MediaImage, Ext: ".jpg"}
	pngType  = media.Type{MIME: "image/png", Kind: app.MediaImage, Ext: ".png"}
	gifType  = media.Type{MIME: "image/gif", Kind: app.MediaImage, Ext: ".gif"}
	webpType = media.Type{MIME: "image/webp", Kind: app.MediaImage, Ext: ".webp"}
)

// vp8 returns a simple lossy WebP whose key frame header declares w×h.
func vp8(w, h int) []byte {
	frame := []byte{0x50, 0x05, 0x00, 0x9d, 0x01, 0x2a}
	frame = binary.LittleEndian.AppendUint16(frame, uint16(w))
	frame = binary.LittleEndian.AppendUint16(frame, uint16(h))
	return webpFile(riffChunk("VP8 ", append(frame, make([]byte, 8)...)))
}

// webpFile wraps chunks in a WebP RIFF container.
func webpFile(chunks ...[]byte) []byte {
	body := concat(chunks...)
	return concat([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(body))), []byte("WEBP"), body)
}

// riffChunk returns a RIFF chunk, padded to an even length.
func riffChunk(fourCC string, data []byte) []byte {
	out := concat([]byte(fourCC), binary.LittleEndian.AppendUint32(nil, uint32(len(data))), data)
	if len(data)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

// vp8x returns the extended header chunk of a w×h canvas.
func vp8x(w, h int) []byte {
	d := []byte{0x10, 0, 0, 0}
	d = append(d, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	d = append(d, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	return riffChunk("VP8X", d)
}

// webpBody returns the chunks of mediatest.WebP(w, h) after its RIFF header.
func webpBody(w, h int) []byte { return mediatest.WebP(w, h, color.RGBA{0, 0, 0, 255})[12:] }

func TestReadImageInfoReadsTheSizeOfEveryPictureType(t *testing.T) {
	gifWiderFrame := mediatest.GIF(30, 20, 1)
	binary.LittleEndian.PutUint16(gifWiderFrame[6:], 10) // a logical screen narrower than the frame
	for _, tc := range []struct {
		name string
		file []byte
		want media.ImageInfo
	}{
		{"a JPEG", mediatest.JPEG(64, 48), media.ImageInfo{Width: 64, Height: 48, Orientation: 1}},
		{"a JPEG with EXIF, GPS, XMP and a comment", mediatest.JPEG(33, 17, mediatest.Orientation(3), mediatest.GPS(51.5, -0.12),
			mediatest.XMP("<x:xmpmeta/>"), mediatest.Comment("hello")), media.ImageInfo{Width: 33, Height: 17, Orientation: 3}},
		{"a JPEG with 900 KB of other metadata", mediatest.JPEG(8, 8, mediatest.AppData(900<<10)), media.ImageInfo{Width: 8, Height: 8, Orientation: 1}},
		{"a JPEG with fill bytes before a marker", fillBeforeFirstSegment(mediatest.JPEG(10, 12)), media.ImageInfo{Width: 10, Height: 12, Orientation: 1}},
		{"a PNG", mediatest.PNG(30, 20), media.ImageInfo{Width: 30, Height: 20, Orientation: 1}},
		{"a PNG with an eXIf chunk", mediatest.InsertPNGChunks(mediatest.PNG(30, 20), mediatest.PNGChunk("eXIf", mediatest.EXIF(nil, 8, false, 0, 0))),
			media.ImageInfo{Width: 30, Height: 20, Orientation: 8}},
		{"a PNG with text chunks", mediatest.InsertPNGChunks(mediatest.PNG(5, 6), mediatest.PNGChunk("tEXt", []byte("Comment\x00hi")), mediatest.PNGChunk("tEXt", make([]byte, 500<<10))),
			media.ImageInfo{Width: 5, Height: 6, Orientation: 1}},
		{"a GIF", mediatest.GIF(30, 20, 2), media.ImageInfo{Width: 30, Height: 20, Orientation: 1}},
		{"a GIF whose frame is wider than its screen", gifWiderFrame, media.ImageInfo{Width: 30, Height: 20, Orientation: 1}},
		{"a lossless WebP", mediatest.WebP(300, 200, color.RGBA{9, 9, 9, 255}), media.ImageInfo{Width: 300, Height: 200, Orientation: 1}},
		{"a lossy WebP", vp8(640, 480), media.ImageInfo{Width: 640, Height: 480, Orientation: 1}},
		{"an extended WebP", webpFile(vp8x(500, 400), riffChunk("ICCP", make([]byte, 3000)), webpBody(500, 400)), media.ImageInfo{Width: 500, Height: 400, Orientation: 1}},
		{"an extended WebP whose bitstream is larger than its canvas", webpFile(vp8x(50, 40), webpBody(500, 400)), media.ImageInfo{Width: 500, Height: 400, Orientation: 1}},
		{"an extended WebP whose canvas is larger than its bitstream", webpFile(vp8x(500, 40), webpBody(50, 400)), media.ImageInfo{Width: 500, Height: 400, Orientation: 1}},
		{"an animated WebP", webpFile(vp8x(64, 32), riffChunk("ANIM", make([]byte, 6)), riffChunk("ANMF", make([]byte, 16))), media.ImageInfo{Width: 64, Height: 32, Orientation: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readInfo(t, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%+v, want %+v", got, tc.want)
			}
		})
	}
}

// fillBeforeFirstSegment puts fill bytes (0xFF) before the marker after SOI.
func fillBeforeFirstSegment(j []byte) []byte {
	return concat(j[:2], []byte{0xff, 0xff, 0xff}, j[2:])
}

func TestReadImageInfoReadsEveryEXIFOrientationInBothByteOrders(t *testing.T) {
	for o := 1; o <= 8; o++ {
		for _, big := range []bool{false, true} {
			opts := []mediatest.JPEGOption{mediatest.Orientation(o), mediatest.GPS(-33.9, 18.4)}
			if big {
				opts = append(opts, mediatest.BigEndian())
			}
			info, err := readInfo(t, mediatest.JPEG(60, 40, opts...))
			if err != nil {
				t.Fatalf("orientation %d, big-endian %v: %v", o, big, err)
			}
			stored := [2]int{60, 40}
			if o >= 5 {
				stored = [2]int{40, 60}
			}
			if info.Orientation != o || [2]int{info.Width, info.Height} != stored {
				t.Errorf("orientation %d, big-endian %v: %+v", o, big, info)
			}
			if w, h := info.Upright(); w != 60 || h != 40 {
				t.Errorf("orientation %d: upright %d×%d, want 60×40", o, w, h)
			}
		}
	}
}

func TestReadImageInfoReadsTheFirstEXIFBlockBehindOtherAPP1Segments(t *testing.T) {
	j := mediatest.JPEG(20, 10, mediatest.Orientation(6))
	xmp := concat([]byte{0xff, 0xe1}, binary.BigEndian.AppendUint16(nil, 2+29+12), []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
	ex := mediatest.EXIF(nil, 3, false, 0, 0)
	second := concat([]byte{0xff, 0xe1}, binary.BigEndian.AppendUint16(nil, uint16(2+6+len(ex))), []byte("Exif\x00\x00"), ex)
	info, err := readInfo(t, concat(j[:2], xmp, j[2:]))
	if err != nil || info.Orientation != 6 {
		t.Errorf("%+v %v", info, err)
	}
	// A second EXIF block does not override the first.
	segs := mediatest.Segments(j)
	exifEnd := 2 + 4 + len(segs[1].Payload)
	info, err = readInfo(t, concat(j[:exifEnd], second, j[exifEnd:]))
	if err != nil || info.Orientation != 6 {
		t.Errorf("%+v %v", info, err)
	}
}

func TestAnInvalidOrientationReadsAsUpright(t *testing.T) {
	for _, o := range []int{0, 9, 255} {
		j := mediatest.JPEG(20, 10, mediatest.Orientation(o))
		if o == 0 {
			j = mediatest.JPEG(20, 10, mediatest.GPS(1, 1)) // EXIF without the tag
		}
		info, err := readInfo(t, j)
		if err != nil || info.Orientation != 1 {
			t.Errorf("orientation %d: %+v %v", o, info, err)
		}
	}
}

func TestUprightSwapsTheSidesOfTurnedPicturesOnly(t *testing.T) {
	for o, want := range map[int][2]int{0: {3, 2}, 1: {3, 2}, 2: {3, 2}, 3: {3, 2}, 4: {3, 2}, 5: {2, 3}, 6: {2, 3}, 7: {2, 3}, 8: {2, 3}, 9: {3, 2}} {
		if w, h := (media.ImageInfo{Width: 3, Height: 2, Orientation: o}).Upright(); [2]int{w, h} != want {
			t.Errorf("orientation %d: %d×%d, want %v", o, w, h, want)
		}
	}
}

func TestCheckImageSizeRefusesDecompressionBombsFromTheirHeaderAlone(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		says string // "" when the size is accepted
	}{
		{"a PNG declaring 100,000 × 100,000", mediatest.PNGHeader(100_000, 100_000), "100,000 × 100,000 pixels (10000.0 megapixels)"},
		{"a JPEG declaring 20,000 × 20,000", mediatest.JPEGHeader(20_000, 20_000), "20,000 × 20,000 pixels (400.0 megapixels)"},
		{"a JPEG a pixel wider than the longest side", mediatest.JPEGHeader(16_385, 100), "16,385 × 100 pixels"},
		{"a PNG a pixel taller than the longest side", mediatest.PNGHeader(100, 16_385), "100 × 16,385 pixels"},
		{"a JPEG of 7,072 × 7,072 (50.01 megapixels)", mediatest.JPEGHeader(7072, 7072), "(50.1 megapixels)"},
		{"a GIF of 65,535 × 65,535", gifHeader(65535, 65535), "65,535 × 65,535"},
		{"a WebP of 16,384 × 16,384", mediatest.WebP(16384, 16384, color.RGBA{0, 0, 0, 255}), "16,384 × 16,384"},
		{"a PNG of exactly 50 megapixels", mediatest.PNGHeader(10_000, 5_000), ""},
		{"a JPEG of 16,384 × 3,000", mediatest.JPEGHeader(16_384, 3_000), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			info, err := readInfo(t, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			err = media.CheckImageSize(info)
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("reading the header allocated %d bytes: something decoded", n)
			}
			if tc.says == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), tc.says) {
				t.Errorf("%v, want EINVALID saying %q", err, tc.says)
			}
		})
	}
	if media.MaxImagePixels != 50_000_000 || media.MaxImageSide != 16_384 {
		t.Errorf("limits %d, %d", media.MaxImagePixels, media.MaxImageSide)
	}
}

func TestCheckImageSizeRefusesAPictureWithoutASize(t *testing.T) {
	info, err := readInfo(t, mediatest.PNGHeader(0, 10))
	if err != nil {
		t.Fatal(err)
	}
	if err := media.CheckImageSize(info); app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), "no size") {
		t.Errorf("%v", err)
	}
}

// gifHeader returns a GIF whose screen and first image are w×h, with a
// few bytes of image data.
func gifHeader(w, h int) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, uint16(w))
	b = binary.LittleEndian.AppendUint16(b, uint16(h))
	b = append(b, 0, 0, 0, 0x2c, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(w))
	b = binary.LittleEndian.AppendUint16(b, uint16(h))
	return append(b, 0, 2, 2, 0x44, 0x01, 0, 0x3b)
}

func TestReadImageInfoRefusesTooMuchMetadataBeforeThePicture(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		size string
	}{
		{"a JPEG with an EXIF block and 6 MB of APP segments", mediatest.JPEG(16, 16, mediatest.Orientation(6), mediatest.AppData(6<<20)), "6.1 MB"},
		{"a JPEG with a comment and just over 1 MB of APP segments", mediatest.JPEG(16, 16, mediatest.Comment("x"), mediatest.AppData(1<<20)), "1.1 MB"},
		{"a PNG with 2 MB of text chunks", mediatest.InsertPNGChunks(mediatest.PNG(4, 4), mediatest.PNGChunk("tEXt", make([]byte, 1<<20)), mediatest.PNGChunk("zTXt", make([]byte, 1<<20))), "2.1 MB"},
		{"a GIF with 2 MB of comments", gifWithComments(2 << 20), "2.1 MB"},
		{"a WebP with a 3 MB ICC profile", webpFile(vp8x(8, 8), riffChunk("ICCP", make([]byte, 3<<20)), webpBody(8, 8)), "3.1 MB"},
		{"a PNG whose text chunk declares 2 GB", concat(mediatest.PNG(4, 4)[:33], []byte("\x7f\xff\xff\xf0tEXt"), make([]byte, 100)), "at least 2048.0 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readInfo(t, tc.file)
			want := "The picture carries " + tc.size + " of metadata before its image; at most 1 MB is accepted."
			if app.ErrorCode(err) != app.EINVALID || !strings.HasPrefix(app.ErrorMessage(err), want) {
				t.Errorf("%v, want EINVALID beginning %q", err, want)
			}
		})
	}
}

// gifWithComments returns a GIF with n bytes of comment before its image.
func gifWithComments(n int) []byte {
	g := mediatest.GIF(4, 4, 1)
	const at = 13 // after the screen; the encoder gives each frame its own colours
	var ext []byte
	for ; n > 0; n -= 255 * 100 {
		ext = append(ext, 0x21, 0xfe)
		for range 100 {
			ext = append(append(ext, 255), make([]byte, 255)...)
		}
		ext = append(ext, 0)
	}
	return concat(g[:at], ext, g[at:])
}

// repeating is a reader that repeats its pattern for ever, counting; so
// that a reader of it that does not stop fails rather than hangs, it
// fails after 64 MB.
type repeating struct {
	pattern []byte
	at      int
	read    int64
}

func (e *repeating) Read(p []byte) (int, error) {
	if e.read > 64<<20 {
		return 0, errors.New("read on and on")
	}
	for i := range p {
		p[i] = e.pattern[e.at]
		e.at = (e.at + 1) % len(e.pattern)
	}
	e.read += int64(len(p))
	return len(p), nil
}

func TestReadImageInfoStopsOnEndlessInput(t *testing.T) {
	app10 := concat([]byte{0xff, 0xea, 0xff, 0xff}, make([]byte, 65533))
	for _, tc := range []struct {
		name  string
		typ   media.Type
		start []byte
		loop  []byte
		says  string
	}{
		{"JPEG metadata segments", jpegType, []byte{0xff, 0xd8}, app10, "The picture carries at least 16."},
		{"JPEG empty metadata segments", jpegType, []byte{0xff, 0xd8}, []byte{0xff, 0xfe, 0x00, 0x02}, "The picture carries at least 16."},
		{"JPEG fill bytes", jpegType, []byte{0xff, 0xd8}, []byte{0xff}, "too many stray bytes"},
		{"JPEG restart markers", jpegType, []byte{0xff, 0xd8}, []byte{0xff, 0xd0}, "too many stray bytes"},
		{"JPEG quantization tables", jpegType, []byte{0xff, 0xd8}, concat([]byte{0xff, 0xdb, 0x00, 0x43}, make([]byte, 0x41)), "more than 64 KB of tables"},
		{"PNG text chunks", pngType, mediatest.PNG(1, 1)[:33], mediatest.PNGChunk("tEXt", make([]byte, 1000)), "The picture carries at least 16."},
		{"PNG empty chunks", pngType, mediatest.PNG(1, 1)[:33], mediatest.PNGChunk("tIME", nil), "The picture carries at least 16."},
		{"GIF empty extensions", gifType, mediatest.GIF(1, 1, 1)[:13], []byte{0x21, 0xfe, 0x00}, "The picture carries at least 16."},
		{"WebP alpha chunks", webpType, webpFile(vp8x(8, 8)), riffChunk("ALPH", make([]byte, 100)), "its header goes on for more than 16 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loop := &repeating{pattern: tc.loop}
			_, err := media.ReadImageInfo(tc.typ, io.MultiReader(bytes.NewReader(tc.start), loop))
			if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), tc.says) {
				t.Errorf("%v, want EINVALID saying %q", err, tc.says)
			}
			if loop.read > 17<<20 {
				t.Errorf("read %d bytes", loop.read)
			}
		})
	}
}

func TestReadImageInfoRefusesHeadersCutShort(t *testing.T) {
	j, p, g, w := mediatest.JPEG(16, 16, mediatest.Orientation(6)), mediatest.PNG(4, 4), mediatest.GIF(4, 4, 1), mediatest.WebP(4, 4, color.RGBA{0, 0, 0, 255})
	sof := 0
	for _, m := range mediatest.Segments(j) {
		if m.Code == 0xc0 {
			sof = bytes.Index(j, m.Payload)
		}
	}
	for _, tc := range []struct {
		name string
		typ  media.Type
		file []byte
		says string
	}{
		{"a JPEG of its start marker only", jpegType, j[:2], "The JPEG file is cut short before its picture begins."},
		{"a JPEG cut inside its EXIF block", jpegType, j[:30], "The JPEG file is cut short before its picture begins."},
		{"a JPEG cut inside its frame header", jpegType, j[:sof+3], "The JPEG file is cut short before its picture begins."},
		{"a PNG cut inside its signature", pngType, p[:5], "The PNG file is cut short before its picture begins."},
		{"a PNG cut inside its header chunk", pngType, p[:20], "The PNG file is cut short before its picture begins."},
		{"a PNG cut before its image data", pngType, p[:33], "The PNG file is cut short before its picture begins."},
		{"a GIF cut inside its screen", gifType, g[:9], "The GIF file is cut short before its picture begins."},
		{"a GIF cut inside its image descriptor", gifType, g[:bytes.IndexByte(g[13:], 0x2c)+13+4], "The GIF file is cut short before its picture begins."},
		{"a WebP cut inside its bitstream header", webpType, w[:22], "The WebP file is cut short before its picture begins."},
		{"nothing", jpegType, nil, "The JPEG file is cut short before its picture begins."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := media.ReadImageInfo(tc.typ, bytes.NewReader(tc.file))
			if app.ErrorCode(err) != app.EINVALID || app.ErrorMessage(err) != tc.says {
				t.Errorf("%v, want EINVALID %q", err, tc.says)
			}
		})
	}
}

func TestReadImageInfoRefusesDamagedHeaders(t *testing.T) {
	j := mediatest.JPEG(16, 16)
	withSOF := func(code, precision byte) []byte {
		b := bytes.Clone(j)
		i := bytes.Index(b, []byte{0xff, 0xc0})
		b[i+1], b[i+4] = code, precision
		return b
	}
	noHeight := bytes.Clone(j)
	i := bytes.Index(noHeight, []byte{0xff, 0xc0})
	noHeight[i+5], noHeight[i+6] = 0, 0
	for _, tc := range []struct {
		name string
		typ  media.Type
		file []byte
		code string
		says string
	}{
		{"a PNG sniffed as a JPEG", jpegType, mediatest.PNG(2, 2), app.EINVALID, "The JPEG file is damaged: it does not begin like a JPEG."},
		{"a JPEG that ends before its frame", jpegType, []byte{0xff, 0xd8, 0xff, 0xd9}, app.EINVALID, "The JPEG file is damaged: it ends before its picture begins."},
		{"a JPEG with scan data before its frame", jpegType, []byte{0xff, 0xd8, 0xff, 0xda, 0, 2}, app.EINVALID, "The JPEG file is damaged: its image data comes before its frame header."},
		{"a JPEG segment of length 1", jpegType, []byte{0xff, 0xd8, 0xff, 0xe0, 0, 1}, app.EINVALID, "The JPEG file is damaged: a segment has an impossible length."},
		{"a JPEG frame header of 5 bytes", jpegType, []byte{0xff, 0xd8, 0xff, 0xc0, 0, 7, 8, 0, 1, 0, 1}, app.EINVALID, "The JPEG file is damaged: its frame header is too short."},
		{"a lossless JPEG", jpegType, withSOF(0xc3, 8), app.EUNSUPPORTED, "lossless, hierarchical or arithmetic coding"},
		{"an arithmetic-coded JPEG", jpegType, withSOF(0xc9, 8), app.EUNSUPPORTED, "lossless, hierarchical or arithmetic coding"},
		{"a 12-bit JPEG", jpegType, withSOF(0xc1, 12), app.EUNSUPPORTED, "12-bit samples"},
		{"a JPEG whose height comes later (DNL)", jpegType, noHeight, app.EUNSUPPORTED, "gives its height only after its image data"},
		{"a PNG without a header chunk", pngType, concat(mediatest.PNG(2, 2)[:8], mediatest.PNGChunk("CgBI", make([]byte, 4))), app.EINVALID, "The PNG file is damaged: it does not begin with its header chunk (IHDR)."},
		{"a PNG without image data", pngType, concat(mediatest.PNG(2, 2)[:33], mediatest.PNGChunk("IEND", nil)), app.EINVALID, "The PNG file is damaged: it has no image data."},
		{"a PNG with an impossible size", pngType, mediatest.PNGHeader(1<<31, 1), app.EINVALID, "The PNG file is damaged: its header gives an impossible size."},
		{"a PNG chunk of impossible length", pngType, concat(mediatest.PNG(2, 2)[:33], []byte("\xff\xff\xff\xfftEXt")), app.EINVALID, "The PNG file is damaged: a chunk has an impossible length."},
		{"a GIF without a picture", gifType, concat(gifHeader(2, 2)[:13], []byte{0x3b}), app.EINVALID, "The GIF file is damaged: it ends before its first picture."},
		{"a GIF with garbage before its picture", gifType, concat(gifHeader(2, 2)[:13], []byte{0x99}), app.EINVALID, "The GIF file is damaged: it has something unknown before its first picture."},
		{"a WebP that begins with metadata", webpType, webpFile(riffChunk("EXIF", make([]byte, 10)), webpBody(2, 2)), app.EINVALID, "The WebP file is damaged: it does not begin with a picture header."},
		{"a WebP with a bad lossless signature", webpType, webpFile(riffChunk("VP8L", []byte{0x2e, 0, 0, 0, 0})), app.EINVALID, "The WebP file is damaged: its lossless header is not valid."},
		{"a WebP whose lossy frame is no key frame", webpType, webpFile(riffChunk("VP8 ", []byte{0x51, 0, 0, 0x9d, 0x01, 0x2a, 1, 0, 1, 0})), app.EINVALID, "The WebP file is damaged: its lossy header is not valid."},
		{"a WebP with two extended headers", webpType, webpFile(vp8x(2, 2), vp8x(2, 2)), app.EINVALID, "The WebP file is damaged: it has a second extended header."},
		{"a video", media.Type{MIME: "video/mp4", Kind: app.MediaVideo, Ext: ".mp4"}, mediatest.MP4(), app.EUNSUPPORTED, `not of "video/mp4" files`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := media.ReadImageInfo(tc.typ, bytes.NewReader(tc.file))
			if app.ErrorCode(err) != tc.code || !strings.Contains(app.ErrorMessage(err), tc.says) {
				t.Errorf("%v, want %s saying %q", err, tc.code, tc.says)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadImageInfoPassesReadErrorsOnAsInternal(t *testing.T) {
	r := io.MultiReader(bytes.NewReader(mediatest.JPEG(8, 8)[:10]), failingReader{})
	_, err := media.ReadImageInfo(jpegType, r)
	if app.ErrorCode(err) != app.EINTERNAL || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("%v", err)
	}
}
