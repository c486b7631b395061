package media_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/media"
	"smartbot/app/media/mediatest"
)

// concat joins byte slices.
func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// randomBytes returns n bytes from a fixed seed.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// acceptedSamples are files of every type Smartbot takes, in their usual forms.
func acceptedSamples() []struct {
	name string
	file []byte
	mime string
} {
	mpeg2 := make([]byte, 4*208) // MPEG-2 layer III, 64 kbit/s, 22.05 kHz: 72·64000/22050 = 208 bytes
	for i := 0; i < len(mpeg2); i += 208 {
		copy(mpeg2[i:], "\xff\xf3\x80\x00")
	}
	reservoir := mediatest.MP3(3) // frames whose side information is not all zeros
	for i := 0; i < len(reservoir); i += 417 {
		reservoir[i+4], reservoir[i+5] = 0x12, 0x34
	}
	layer2 := make([]byte, 3*626) // MPEG-1 layer II, 192 kbit/s, 44.1 kHz: 144·192000/44100 = 626 bytes
	for i := 0; i < len(layer2); i += 626 {
		copy(layer2[i:], "\xff\xfd\xa0\x00")
	}
	return []struct {
		name string
		file []byte
		mime string
	}{
		{"a JPEG photo", mediatest.JPEG(64, 48, mediatest.Orientation(6), mediatest.GPS(-17.8, 31.05)), "image/jpeg"},
		{"a PNG", mediatest.PNG(8, 8), "image/png"},
		{"an animated GIF", mediatest.GIF(8, 8, 3), "image/gif"},
		{"a GIF87a", concat([]byte("GIF87a\x01\x00\x01\x00\x00\x00\x00"), []byte{0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3b}), "image/gif"},
		{"a lossless WebP", mediatest.WebP(8, 8, color.RGBA{1, 2, 3, 255}), "image/webp"},
		{"an MP4 video", mediatest.MP4(), "video/mp4"},
		{"an MP4 from an older camera (mp42)", mediatest.FileType("mp42", "mp42", "isom"), "video/mp4"},
		{"an iTunes video (M4V)", mediatest.FileType("M4V ", "M4V ", "M4A ", "mp42", "isom"), "video/mp4"},
		{"a DASH segment", mediatest.FileType("dash", "iso6", "mp41"), "video/mp4"},
		{"an MP4 whose major brand is unknown but compatible brands are not", mediatest.FileType("abcd", "abcd", "mp42", "iso2"), "video/mp4"},
		{"an M4A song", mediatest.M4A(), "audio/mp4"},
		{"an M4B audiobook", mediatest.FileType("M4B ", "M4B ", "mp42"), "audio/mp4"},
		{"a WhatsApp voice note (OGG Opus)", mediatest.OggOpus(), "audio/ogg"},
		{"an MP3 without a tag", mediatest.MP3(5), "audio/mpeg"},
		{"an MP3 of one frame", mediatest.MP3(1), "audio/mpeg"},
		{"an MP3 cut inside its first frame", mediatest.Truncate(mediatest.MP3(1), 4), "audio/mpeg"},
		{"an MP3 whose frames use the bit reservoir", reservoir, "audio/mpeg"},
		{"an MP3 ending in an ID3v1 tag", concat(mediatest.MP3(1), []byte("TAG title")), "audio/mpeg"},
		{"an MP3 with an ID3 tag", concat(mediatest.ID3(100), mediatest.MP3(3)), "audio/mpeg"},
		{"an MP3 whose ID3 tag (cover art) is longer than the sniffed head", concat(mediatest.ID3(100_000), mediatest.MP3(3)), "audio/mpeg"},
		{"MPEG-2 layer III audio", mpeg2, "audio/mpeg"},
		{"MPEG-1 layer II audio", layer2, "audio/mpeg"},
		{"an AAC stream (ADTS)", mediatest.AAC(20), "audio/aac"},
		{"an AAC stream cut inside its first frame", mediatest.Truncate(mediatest.AAC(1), 9), "audio/aac"},
		{"an AAC stream with an ID3 tag", concat(mediatest.ID3(40), mediatest.AAC(3)), "audio/aac"},
		{"a PDF", mediatest.PDF(), "application/pdf"},
	}
}

func TestSniffTakesEveryTypeSmartbotTakes(t *testing.T) {
	for _, tc := range acceptedSamples() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := media.Sniff(tc.file)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got.MIME != tc.mime {
				t.Errorf("MIME %q, want %q", got.MIME, tc.mime)
			}
			if want, ok := media.TypeOf(tc.mime); !ok || got != want {
				t.Errorf("Sniff gave %+v, TypeOf %+v", got, want)
			}
			if !strings.HasPrefix(got.Ext, ".") || got.Kind == "" {
				t.Errorf("incomplete type %+v", got)
			}
		})
	}
}

func TestSniffGivesEachTypeItsKindAndExtension(t *testing.T) {
	for mime, want := range map[string]media.Type{
		"image/jpeg":      {MIME: "image/jpeg", Kind: app.MediaImage, Ext: ".jpg"},
		"image/webp":      {MIME: "image/webp", Kind: app.MediaImage, Ext: ".webp"},
		"video/mp4":       {MIME: "video/mp4", Kind: app.MediaVideo, Ext: ".mp4"},
		"audio/mp4":       {MIME: "audio/mp4", Kind: app.MediaAudio, Ext: ".m4a"},
		"audio/ogg":       {MIME: "audio/ogg", Kind: app.MediaAudio, Ext: ".ogg"},
		"audio/mpeg":      {MIME: "audio/mpeg", Kind: app.MediaAudio, Ext: ".mp3"},
		"audio/aac":       {MIME: "audio/aac", Kind: app.MediaAudio, Ext: ".aac"},
		"application/pdf": {MIME: "application/pdf", Kind: app.MediaDocument, Ext: ".pdf"},
	} {
		if got, ok := media.TypeOf(mime); !ok || got != want {
			t.Errorf("TypeOf(%q) = %+v, %v; want %+v", mime, got, ok, want)
		}
	}
	if _, ok := media.TypeOf("image/svg+xml"); ok {
		t.Error("TypeOf knows SVG")
	}
}

// zipOf returns a real ZIP archive holding files of these names.
func zipOf(t testing.TB, names ...string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, n := range names {
		f, err := w.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("content of " + n))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ebml returns the start of a Matroska file of this DocType.
func ebml(docType string) []byte {
	return concat([]byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82"), []byte{0x80 | byte(len(docType))}, []byte(docType))
}

// bmp returns a BMP header (BITMAPINFOHEADER) for a 2×2 picture.
func bmp() []byte {
	b := []byte("BM")
	b = binary.LittleEndian.AppendUint32(b, 70)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 54)
	b = binary.LittleEndian.AppendUint32(b, 40)
	return append(b, make([]byte, 48)...)
}

func TestSniffRefusesEverythingElseNamingWhatItIs(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		says string
	}{
		{"photo.jpg that holds an HTML page", []byte("<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>"), "an HTML page (text/html)"},
		{"an HTML page in capitals after a byte order mark and blank lines", []byte("\xef\xbb\xbf\r\n  <HTML>\n<HEAD><TITLE>x</TITLE>"), "an HTML page (text/html)"},
		{"an HTML fragment", []byte("<div class=\"x\">hello</div>"), "an HTML page (text/html)"},
		{"a PHP file that prints a page", []byte("<?php echo 1; ?>\n<html>\n"), "an HTML page (text/html)"},
		{"photo.jpg that holds an SVG drawing", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "an SVG drawing (image/svg+xml)"},
		{"an SVG with an XML declaration", []byte("<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<SVG width=\"10\">"), "an SVG drawing (image/svg+xml)"},
		{"an XML feed", []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss><channel></channel></rss>"), "an XML file (text/xml)"},
		{"a price list", []byte("Tomatoes 2.50\nOnions 1.20\nÇa coûte cher\n"), "a plain text file (text/plain)"},
		{"text cut inside a character at 4096 bytes", concat(bytes.Repeat([]byte("a"), media.SniffLen-1), []byte("é")), "a plain text file (text/plain)"},
		{"UTF-16 text", []byte("\xff\xfeH\x00i\x00"), "a text file in UTF-16"},
		{"a ZIP archive", zipOf(t, "a.txt", "b.txt"), "a ZIP archive (application/zip)"},
		{"a Word document", zipOf(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"), "a Word document (DOCX)"},
		{"an Excel workbook", zipOf(t, "[Content_Types].xml", "xl/workbook.xml"), "an Excel workbook (XLSX)"},
		{"a BMP", bmp(), "a BMP image (image/bmp)"},
		{"a little-endian TIFF", []byte("II*\x00\x08\x00\x00\x00"), "a TIFF image (image/tiff)"},
		{"a big-endian TIFF", []byte("MM\x00*\x00\x00\x00\x08"), "a TIFF image (image/tiff)"},
		{"an iPhone photo (HEIC)", mediatest.FileType("heic", "mif1", "heic"), "a HEIC image (image/heic)"},
		{"a HEIC under the generic brand", mediatest.FileType("mif1", "mif1", "heic"), "a HEIC image (image/heic)"},
		{"a HEIF of no known codec", mediatest.FileType("mif1", "mif1", "miaf"), "a HEIF image (image/heif)"},
		{"an AVIF", mediatest.FileType("avif", "avif", "mif1", "miaf", "MA1B"), "an AVIF image (image/avif)"},
		{"an AVIF under the generic brand", mediatest.FileType("mif1", "mif1", "avif", "miaf"), "an AVIF image (image/avif)"},
		{"an iPhone video (QuickTime)", mediatest.FileType("qt  ", "qt  "), "a QuickTime movie (video/quicktime)"},
		{"a 3GP video", mediatest.FileType("3gp4", "isom", "3gp4"), "a 3GPP video (video/3gpp)"},
		{"an ISO media file of an unknown brand", mediatest.FileType("zzzz", "zzzz"), `brand "zzzz"`},
		{"a WebM video", ebml("webm"), "a WebM video (video/webm)"},
		{"a Matroska video", ebml("matroska"), "a Matroska video (video/x-matroska)"},
		{"a WAV recording", []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00"), "a WAV recording (audio/wav)"},
		{"an AVI video", []byte("RIFF\x24\x00\x00\x00AVI LIST"), "an AVI video (video/x-msvideo)"},
		{"OGG Vorbis", mediatest.OggPage([]byte("\x01vorbis\x00\x00\x00\x00\x02\x44\xac\x00\x00")), "OGG Vorbis audio (audio/ogg)"},
		{"OGG Theora", mediatest.OggPage([]byte("\x80theora\x03\x02\x01")), "an OGG Theora video (video/ogg)"},
		{"an OGG of something else", mediatest.OggPage([]byte("something")), "an OGG file that holds no Opus audio"},
		{"an OGG cut before its first packet", mediatest.Truncate(mediatest.OggOpus(), 20), "an OGG file that holds no Opus audio"},
		{"FLAC", []byte("fLaC\x00\x00\x00\x22"), "FLAC audio (audio/flac)"},
		{"FLAC behind an ID3 tag", concat(mediatest.ID3(30), []byte("fLaC\x00\x00\x00\x22")), "FLAC audio (audio/flac)"},
		{"MPEG layer I", concat([]byte("\xff\xff\x90\x00"), make([]byte, 400)), "MPEG layer I audio"},
		{"a gzip archive", []byte("\x1f\x8b\x08\x00"), "a gzip archive"},
		{"a Windows program", concat([]byte("MZ\x90\x00"), make([]byte, 60)), "a Windows program"},
		{"random bytes", randomBytes(media.SniffLen, 1), "an unknown type"},
		{"bytes that begin like an MP3 frame but are followed by no second frame", concat(mediatest.MP3(1), randomBytes(100, 2)), "an unknown type"},
		{"bytes that begin like an ADTS frame but are followed by no second frame", concat(mediatest.AAC(1), []byte("not a frame")), "an unknown type"},
		{"a lone zero byte", []byte{0}, "an unknown type"},
		{"the first two bytes of a JPEG and then no marker", []byte("\xff\xd8\x00\x10JFIF"), "an unknown type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, err := media.Sniff(tc.file)
			if err == nil {
				t.Fatalf("taken as %+v", typ)
			}
			if app.ErrorCode(err) != app.EUNSUPPORTED {
				t.Errorf("code %q, want %q: %v", app.ErrorCode(err), app.EUNSUPPORTED, err)
			}
			msg := app.ErrorMessage(err)
			if !strings.Contains(msg, tc.says) {
				t.Errorf("message %q does not say %q", msg, tc.says)
			}
			if !strings.HasPrefix(msg, "The file is ") || !strings.HasSuffix(msg, ".") || !strings.Contains(msg, "Smartbot takes JPEG, PNG, WebP and GIF images") {
				t.Errorf("message %q is not a full sentence saying what Smartbot takes", msg)
			}
		})
	}
}

func TestSniffRefusesAnEmptyFileAsInvalid(t *testing.T) {
	for _, empty := range [][]byte{nil, {}} {
		_, err := media.Sniff(empty)
		if app.ErrorCode(err) != app.EINVALID || app.ErrorMessage(err) != "The file is empty." {
			t.Errorf("%v, want EINVALID %q", err, "The file is empty.")
		}
	}
}

func TestSniffSaysSoWhenAPDFHasSomethingBeforeItsStart(t *testing.T) {
	_, err := media.Sniff(concat([]byte("\r\n<junk>\n"), mediatest.PDF()))
	if app.ErrorCode(err) != app.EUNSUPPORTED || !strings.Contains(app.ErrorMessage(err), "looks like a PDF document, but 9 bytes") {
		t.Errorf("%v", err)
	}
}

func TestSniffLooksOnlyAtTheFirstSniffLenBytes(t *testing.T) {
	// A text file with an HTML page after its first 4 KB is text; what
	// comes later is the markup scanner's to find.
	text := concat(bytes.Repeat([]byte("plain words\n"), media.SniffLen/12+1), []byte("<html>"))
	_, err := media.Sniff(text)
	if !strings.Contains(app.ErrorMessage(err), "plain text") {
		t.Errorf("%v", err)
	}
	// An MP3 whose first frames reach past 4 KB is judged on those inside.
	mp3 := mediatest.MP3(20)
	if typ, err := media.Sniff(mp3); err != nil || typ.MIME != "audio/mpeg" {
		t.Errorf("%+v %v", typ, err)
	}
}
