package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"smartbot/app"
)

// SniffLen is how much of a file's start Sniff looks at. Callers pass up to
// this many bytes, fewer only when the file is shorter.
const SniffLen = 4096

// Type is a file's type as its bytes show it.
type Type struct {
	MIME string        // what Smartbot stores and serves it as
	Kind app.MediaKind // what WhatsApp calls it; it decides the size cap
	Ext  string        // for download names, with its dot: ".jpg"
}

// The types Smartbot takes, and no others.
var (
	typeJPEG = Type{"image/jpeg", app.MediaImage, ".jpg"}
	typePNG  = Type{"image/png", app.MediaImage, ".png"}
	typeWebP = Type{"image/webp", app.MediaImage, ".webp"}
	typeGIF  = Type{"image/gif", app.MediaImage, ".gif"}
	typeMP4  = Type{"video/mp4", app.MediaVideo, ".mp4"}
	typeM4A  = Type{"audio/mp4", app.MediaAudio, ".m4a"}
	typeOgg  = Type{"audio/ogg", app.MediaAudio, ".ogg"}
	typeMP3  = Type{"audio/mpeg", app.MediaAudio, ".mp3"}
	typeAAC  = Type{"audio/aac", app.MediaAudio, ".aac"}
	typePDF  = Type{"application/pdf", app.MediaDocument, ".pdf"}

	types = []Type{typeJPEG, typePNG, typeWebP, typeGIF, typeMP4, typeM4A, typeOgg, typeMP3, typeAAC, typePDF}
)

// TypeOf returns the Type that Sniff gives files of a MIME type, for
// records that keep only the MIME type; ok is false for any type Smartbot
// does not take.
func TypeOf(mime string) (t Type, ok bool) {
	for _, t := range types {
		if t.MIME == mime {
			return t, true
		}
	}
	return Type{}, false
}

// Sniff tells a file's type from its first bytes (up to SniffLen; more are
// ignored), never from its name or from what the sender declared. It takes
// JPEG, PNG, WebP and GIF pictures, MP4 video, OGG (Opus only), MP3, AAC
// and M4A audio, and PDF documents. Anything else is an EUNSUPPORTED
// *app.Error that names what the file is, as far as the bytes show it; an
// empty file is EINVALID.
func Sniff(head []byte) (Type, error) {
	if len(head) == 0 {
		return Type{}, app.Errorf(app.EINVALID, "The file is empty.")
	}
	head = head[:min(len(head), SniffLen)]
	switch {
	case hasPrefix(head, "\xff\xd8\xff"):
		return typeJPEG, nil
	case hasPrefix(head, "\x89PNG\r\n\x1a\n"):
		return typePNG, nil
	case hasPrefix(head, "GIF87a"), hasPrefix(head, "GIF89a"):
		return typeGIF, nil
	case hasPrefix(head, "%PDF-"):
		return typePDF, nil
	case hasPrefix(head, "RIFF") && len(head) >= 12:
		return sniffRIFF(head)
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return sniffISO(head)
	case hasPrefix(head, "OggS"):
		return sniffOgg(head)
	case hasPrefix(head, "\xff\xfe"):
		// UTF-16 text's byte order mark, which also reads as the header
		// of an MPEG layer I frame.
		return Type{}, identify(head).refusal()
	}
	if end, ok := id3End(head); ok {
		return sniffID3(head, end)
	}
	if t, ok := sniffFrames(head); ok {
		return t, nil
	}
	if i := bytes.Index(head[:min(len(head), 1024)], []byte("%PDF-")); i > 0 {
		return Type{}, app.Errorf(app.EUNSUPPORTED, "The file looks like a PDF document, but %d bytes of something else come before its start. Save it again from a PDF reader and upload that copy.", i)
	}
	return Type{}, identify(head).refusal()
}

// foreign is a format Smartbot does not take, as a refusal names it.
type foreign struct {
	name string        // "a HEIC image (image/heic)"; "" when unknown
	like app.MediaKind // the kind it would be; "" when it is no media at all
}

// takes is the sentence every refusal ends with.
const takes = "Smartbot takes JPEG, PNG, WebP and GIF images, MP4 video, OGG (Opus), MP3, AAC and M4A audio, and PDF documents."

// advice says how to turn a file of a kind into one Smartbot takes.
var advice = map[app.MediaKind]string{
	app.MediaImage:    "save it as a JPEG or PNG picture first",
	app.MediaVideo:    "convert it to an MP4 video first",
	app.MediaAudio:    "convert it to MP3, M4A or OGG (Opus) audio first",
	app.MediaDocument: "save it as a PDF first",
}

func (f foreign) refusal() *app.Error {
	switch {
	case f.name == "":
		return app.Errorf(app.EUNSUPPORTED, "The file is of an unknown type. %s", takes)
	case f.like == "":
		return app.Errorf(app.EUNSUPPORTED, "The file is %s, not a picture, video, audio or PDF. %s", f.name, takes)
	}
	return app.Errorf(app.EUNSUPPORTED, "The file is %s, which Smartbot does not take: %s. %s", f.name, advice[f.like], takes)
}

func sniffRIFF(head []byte) (Type, error) {
	switch string(head[8:12]) {
	case "WEBP":
		return typeWebP, nil
	case "WAVE":
		return Type{}, foreign{"a WAV recording (audio/wav)", app.MediaAudio}.refusal()
	case "AVI ":
		return Type{}, foreign{"an AVI video (video/x-msvideo)", app.MediaVideo}.refusal()
	}
	return Type{}, foreign{}.refusal()
}

// isoBrand is what an ISO media file's brand (MP4, M4A, HEIC, QuickTime…)
// says about it: a Type Smartbot takes, or a foreign format.
type isoBrand struct {
	t Type
	f foreign
	// generic brands say only that the file is some HEIF picture; a more
	// specific brand beside them (heic, avif) names it better.
	generic bool
}

var (
	heif       = foreign{"a HEIF image (image/heif)", app.MediaImage}
	heic       = foreign{"a HEIC image (image/heic)", app.MediaImage}
	heics      = foreign{"a HEIC image sequence (image/heic-sequence)", app.MediaImage}
	avif       = foreign{"an AVIF image (image/avif)", app.MediaImage}
	quickTime  = foreign{"a QuickTime movie (video/quicktime)", app.MediaVideo}
	threeGPP   = foreign{"a 3GPP video (video/3gpp)", app.MediaVideo}
	protectedA = foreign{"copy-protected iTunes audio (audio/mp4)", app.MediaAudio}
)

var isoBrands = map[string]isoBrand{
	"isom": {t: typeMP4}, "iso2": {t: typeMP4}, "iso3": {t: typeMP4}, "iso4": {t: typeMP4},
	"iso5": {t: typeMP4}, "iso6": {t: typeMP4}, "mp41": {t: typeMP4}, "mp42": {t: typeMP4},
	"avc1": {t: typeMP4}, "dash": {t: typeMP4}, "M4V ": {t: typeMP4}, "M4VH": {t: typeMP4},
	"M4VP": {t: typeMP4}, "mmp4": {t: typeMP4}, "MSNV": {t: typeMP4}, "XAVC": {t: typeMP4},
	"M4A ": {t: typeM4A}, "M4B ": {t: typeM4A},
	"M4P ": {f: protectedA},
	"heic": {f: heic}, "heix": {f: heic}, "heim": {f: heic}, "heis": {f: heic},
	"hevc": {f: heics}, "hevx": {f: heics}, "hevm": {f: heics}, "hevs": {f: heics},
	"avif": {f: avif}, "avis": {f: foreign{"an AVIF image sequence (image/avif)", app.MediaImage}},
	"mif1": {f: heif, generic: true}, "mif2": {f: heif, generic: true},
	"msf1": {f: heif, generic: true}, "miaf": {f: heif, generic: true},
	"qt  ": {f: quickTime},
	"3gp4": {f: threeGPP}, "3gp5": {f: threeGPP}, "3gp6": {f: threeGPP}, "3gp7": {f: threeGPP},
	"3g2a": {f: threeGPP}, "3g2b": {f: threeGPP}, "3g2c": {f: threeGPP},
	"crx ": {f: foreign{"a Canon RAW photo (CR3)", app.MediaImage}},
	"jpx ": {f: foreign{"a JPEG 2000 image (image/jpx)", app.MediaImage}},
}

// sniffISO tells an ISO media file (MP4 and its family) by the brands of
// its ftyp box: the major brand when it is a specific one, else the
// compatible brands, specific ones first.
func sniffISO(head []byte) (Type, error) {
	end := len(head)
	if size := binary.BigEndian.Uint32(head); size >= 8 && uint64(size) < uint64(end) {
		end = int(size)
	}
	major := string(head[8:12])
	decide := func(b isoBrand) (Type, error) {
		if b.t != (Type{}) {
			return b.t, nil
		}
		return Type{}, b.f.refusal()
	}
	if b, ok := isoBrands[major]; ok && !b.generic {
		return decide(b)
	}
	// The compatible brands follow the major brand and a 4-byte version.
	brands := func(yield func(isoBrand) bool) {
		if b, ok := isoBrands[major]; ok && !yield(b) {
			return
		}
		for i := 16; i+4 <= end; i += 4 {
			if b, ok := isoBrands[string(head[i:i+4])]; ok && !yield(b) {
				return
			}
		}
	}
	for _, pass := range []func(isoBrand) bool{
		func(b isoBrand) bool { return !b.generic && b.t == (Type{}) }, // a specific foreign brand
		func(b isoBrand) bool { return b.generic },
		func(b isoBrand) bool { return b.t != (Type{}) },
	} {
		for b := range brands {
			if pass(b) {
				return decide(b)
			}
		}
	}
	return Type{}, foreign{fmt.Sprintf("an MPEG-4 family file of a kind Smartbot does not know (brand %q)", printable(major)), app.MediaVideo}.refusal()
}

// sniffOgg takes an OGG file only when its first packet is an Opus header:
// WhatsApp plays Opus, not Vorbis or the others OGG can hold.
func sniffOgg(head []byte) (Type, error) {
	var packet []byte
	if len(head) >= 27 {
		if start := 27 + int(head[26]); start <= len(head) {
			packet = head[start:]
		}
	}
	switch {
	case hasPrefix(packet, "OpusHead"):
		return typeOgg, nil
	case hasPrefix(packet, "\x01vorbis"):
		return Type{}, foreign{"OGG Vorbis audio (audio/ogg)", app.MediaAudio}.refusal()
	case hasPrefix(packet, "\x80theora"):
		return Type{}, foreign{"an OGG Theora video (video/ogg)", app.MediaVideo}.refusal()
	case hasPrefix(packet, "Speex   "):
		return Type{}, foreign{"OGG Speex audio (audio/ogg)", app.MediaAudio}.refusal()
	case hasPrefix(packet, "\x7fFLAC"):
		return Type{}, foreign{"OGG FLAC audio (audio/ogg)", app.MediaAudio}.refusal()
	}
	return Type{}, foreign{"an OGG file that holds no Opus audio (application/ogg)", app.MediaAudio}.refusal()
}

// id3End returns where the ID3v2 tag that head begins with ends; ok is
// false when head does not begin with one.
func id3End(head []byte) (end int, ok bool) {
	if len(head) < 10 || !hasPrefix(head, "ID3") || head[3] < 2 || head[3] > 4 || head[4] == 0xff {
		return 0, false
	}
	size := 0
	for _, b := range head[6:10] {
		if b >= 0x80 { // a tag's size is "syncsafe": seven bits a byte
			return 0, false
		}
		size = size<<7 | int(b)
	}
	end = 10 + size // after the tag's header and body
	if head[5]&0x10 != 0 {
		end += 10 // and its footer
	}
	return end, true
}

// sniffID3 takes a file that begins with an ID3v2 tag ending at end as
// MP3, or as AAC when an ADTS frame follows the tag. The tag may hold
// cover art and end past head: then the tag is the evidence.
func sniffID3(head []byte, end int) (Type, error) {
	if end < len(head) {
		switch rest := head[end:]; {
		case adtsLen(rest) > 0:
			return typeAAC, nil
		case hasPrefix(rest, "fLaC"):
			return Type{}, foreign{"FLAC audio (audio/flac)", app.MediaAudio}.refusal()
		}
	}
	return typeMP3, nil
}

// sniffFrames takes a file that begins with an MPEG audio frame (layer II
// or III: MP3) or an ADTS frame (AAC). The two share a sync word and differ
// in the layer bits, which are 0 in ADTS. Two bytes of sync are weak
// evidence, so when the next frame begins inside head it must be a frame
// of the same kind (or a tag at the file's end).
func sniffFrames(head []byte) (Type, bool) {
	if n := adtsLen(head); n > 0 {
		if n+7 > len(head) {
			return typeAAC, true
		}
		next := head[n:]
		return typeAAC, adtsLen(next) > 0 || endTag(next)
	}
	if f, ok := mpegFrame(head); ok && f.layer != 1 {
		if f.length+4 > len(head) {
			return typeMP3, true
		}
		next := head[f.length:]
		if endTag(next) {
			return typeMP3, true
		}
		g, ok := mpegFrame(next)
		return typeMP3, ok && g.layer == f.layer && g.version == f.version
	}
	return Type{}, false
}

// endTag reports whether b starts a tag MP3 and AAC files end with.
func endTag(b []byte) bool {
	return hasPrefix(b, "TAG") || hasPrefix(b, "APETAGEX") || hasPrefix(b, "ID3")
}

// adtsLen returns the length of the ADTS (AAC) frame whose header begins b,
// or 0 when b does not begin one.
func adtsLen(b []byte) int {
	if len(b) < 7 || b[0] != 0xff || b[1]&0xf6 != 0xf0 || (b[2]>>2)&0x0f > 12 {
		return 0 // no sync, layer not 0, or a reserved sampling rate
	}
	n := int(b[3]&0x03)<<11 | int(b[4])<<3 | int(b[5])>>5
	header := 7
	if b[1]&0x01 == 0 {
		header = 9 // with a CRC
	}
	if n < header {
		return 0
	}
	return n
}

// mpegHeader is what an MPEG audio frame header says.
type mpegHeader struct {
	version byte // the header's bits: 0 MPEG 2.5, 2 MPEG 2, 3 MPEG 1
	layer   int  // 1, 2 or 3
	length  int  // of the whole frame in bytes; 0 for layer I, not worked out
}

// Bit rates in kbit/s by bit rate index.
var (
	kbpsMPEG1Layer2 = [15]int{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384}
	kbpsMPEG1Layer3 = [15]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}
	kbpsMPEG2       = [15]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160} // 2 and 2.5, layers II and III
)

// Sampling rates in Hz by version bits and rate index.
var mpegHz = [4][3]int{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}}

// mpegFrame reads the MPEG audio frame header b begins with; ok is false
// when b does not begin a valid one. Free-format bit rates are refused:
// their frame length cannot be worked out from the header.
func mpegFrame(b []byte) (h mpegHeader, ok bool) {
	if len(b) < 4 || b[0] != 0xff || b[1]&0xe0 != 0xe0 {
		return h, false
	}
	h.version = (b[1] >> 3) & 0x03
	layerBits := (b[1] >> 1) & 0x03
	rateIndex := b[2] >> 4
	hzIndex := (b[2] >> 2) & 0x03
	if h.version == 1 || layerBits == 0 || rateIndex == 0 || rateIndex == 15 || hzIndex == 3 || b[3]&0x03 == 2 {
		return h, false // reserved values, or free format
	}
	h.layer = 4 - int(layerBits)
	if h.layer == 1 {
		return h, true
	}
	var kbps, perFrame int // perFrame is samples per frame / 8
	switch {
	case h.version == 3 && h.layer == 2:
		kbps, perFrame = kbpsMPEG1Layer2[rateIndex], 144
	case h.version == 3:
		kbps, perFrame = kbpsMPEG1Layer3[rateIndex], 144
	case h.layer == 2:
		kbps, perFrame = kbpsMPEG2[rateIndex], 144
	default:
		kbps, perFrame = kbpsMPEG2[rateIndex], 72
	}
	h.length = perFrame*kbps*1000/mpegHz[h.version][hzIndex] + int(b[2]>>1&0x01)
	return h, true
}

// identify names a file Smartbot does not take, as precisely as its first
// bytes allow.
func identify(head []byte) foreign {
	for _, m := range magics {
		if hasPrefix(head, m.prefix) {
			return m.f
		}
	}
	switch {
	case hasPrefix(head, "PK\x03\x04"), hasPrefix(head, "PK\x05\x06"):
		return identifyZIP(head)
	case hasPrefix(head, "\x1a\x45\xdf\xa3"):
		if bytes.Contains(head[:min(len(head), 64)], []byte("webm")) {
			return foreign{"a WebM video (video/webm)", app.MediaVideo}
		}
		return foreign{"a Matroska video (video/x-matroska)", app.MediaVideo}
	case isBMP(head):
		return foreign{"a BMP image (image/bmp)", app.MediaImage}
	case hasPrefix(head, "\xff\xfe"), hasPrefix(head, "\xfe\xff"):
		return foreign{"a text file in UTF-16 (text/plain)", ""}
	}
	if f, ok := mpegFrame(head); ok && f.layer == 1 {
		return foreign{"MPEG layer I audio (audio/mpeg)", app.MediaAudio}
	}
	if !isText(head) {
		return foreign{}
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n\f")
	lower := bytes.ToLower(text)
	has := func(s string) bool { return bytes.Contains(lower, []byte(s)) }
	switch {
	case hasPrefix(lower, "<svg"):
		return svg
	case htmlStart(text):
		return html
	case hasPrefix(lower, "<?xml"):
		switch {
		case has("<html"):
			return html
		case has("<svg"):
			return svg
		}
		return foreign{"an XML file (text/xml)", ""}
	case has("<html") || has("<body") || has("<script") || has("<iframe"):
		return html
	}
	return foreign{"a plain text file (text/plain)", ""}
}

var (
	html = foreign{"an HTML page (text/html)", ""}
	svg  = foreign{"an SVG drawing (image/svg+xml)", app.MediaImage}
)

// magics are formats Smartbot does not take that their first bytes name.
var magics = []struct {
	prefix string
	f      foreign
}{
	{"II*\x00", foreign{"a TIFF image (image/tiff)", app.MediaImage}},
	{"MM\x00*", foreign{"a TIFF image (image/tiff)", app.MediaImage}},
	{"8BPS", foreign{"a Photoshop image (image/vnd.adobe.photoshop)", app.MediaImage}},
	{"\x00\x00\x00\x0cjP  \r\n\x87\n", foreign{"a JPEG 2000 image (image/jp2)", app.MediaImage}},
	{"\x00\x00\x00\x0cJXL \r\n\x87\n", foreign{"a JPEG XL image (image/jxl)", app.MediaImage}},
	{"\xff\x0a", foreign{"a JPEG XL image (image/jxl)", app.MediaImage}},
	{"fLaC", foreign{"FLAC audio (audio/flac)", app.MediaAudio}},
	{"#!AMR", foreign{"AMR audio (audio/amr)", app.MediaAudio}},
	{"MThd", foreign{"a MIDI file (audio/midi)", app.MediaAudio}},
	{"FLV\x01", foreign{"a Flash video (video/x-flv)", app.MediaVideo}},
	{"\x00\x00\x01\xba", foreign{"an MPEG-PS video (video/mpeg)", app.MediaVideo}},
	{"\x30\x26\xb2\x75\x8e\x66\xcf\x11", foreign{"a Windows Media file (video/x-ms-asf)", app.MediaVideo}},
	{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", foreign{"an old-style Microsoft Office document (DOC, XLS or PPT)", app.MediaDocument}},
	{"{\\rtf", foreign{"a rich text document (application/rtf)", app.MediaDocument}},
	{"%!PS", foreign{"a PostScript document (application/postscript)", app.MediaDocument}},
	{"\x1f\x8b", foreign{"a gzip archive (application/gzip)", ""}},
	{"Rar!\x1a\x07", foreign{"a RAR archive (application/vnd.rar)", ""}},
	{"7z\xbc\xaf\x27\x1c", foreign{"a 7-Zip archive (application/x-7z-compressed)", ""}},
	{"MZ", foreign{"a Windows program (application/x-msdownload)", ""}},
	{"\x7fELF", foreign{"a Linux program (application/x-executable)", ""}},
	{"SQLite format 3\x00", foreign{"an SQLite database (application/vnd.sqlite3)", ""}},
}

// identifyZIP tells the documents that are ZIP archives inside (Office,
// OpenDocument, EPUB) by the names of their first entries.
func identifyZIP(head []byte) foreign {
	has := func(s string) bool { return bytes.Contains(head, []byte(s)) }
	switch {
	case has("word/"):
		return foreign{"a Word document (DOCX)", app.MediaDocument}
	case has("xl/"):
		return foreign{"an Excel workbook (XLSX)", app.MediaDocument}
	case has("ppt/"):
		return foreign{"a PowerPoint presentation (PPTX)", app.MediaDocument}
	case has("mimetypeapplication/epub+zip"):
		return foreign{"an EPUB e-book (application/epub+zip)", app.MediaDocument}
	case has("mimetypeapplication/vnd.oasis.opendocument."):
		return foreign{"an OpenDocument file (ODT, ODS or ODP)", app.MediaDocument}
	case has("[Content_Types].xml"):
		return foreign{"a Microsoft Office document (DOCX, XLSX or PPTX)", app.MediaDocument}
	}
	return foreign{"a ZIP archive (application/zip)", ""}
}

// isBMP checks more than the weak two-byte "BM": the reserved bytes are
// zero and the header that follows has one of the sizes BMP versions use.
func isBMP(head []byte) bool {
	if len(head) < 18 || !hasPrefix(head, "BM") || binary.LittleEndian.Uint32(head[6:]) != 0 {
		return false
	}
	switch binary.LittleEndian.Uint32(head[14:]) {
	case 12, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// isText reports whether head reads as UTF-8 text: no control bytes but
// whitespace, and valid UTF-8 but for a character cut at the end of head.
func isText(head []byte) bool {
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
			return false
		}
	}
	for i := len(head) - 1; i >= 0 && i >= len(head)-utf8.UTFMax; i-- {
		if utf8.RuneStart(head[i]) {
			if !utf8.FullRune(head[i:]) {
				head = head[:i]
			}
			break
		}
	}
	return utf8.Valid(head)
}

// htmlStart reports whether text begins with one of the tags by which
// browsers sniff a page as HTML.
func htmlStart(text []byte) bool {
	if hasPrefix(text, "<!--") {
		return true
	}
	for _, tag := range []string{"<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font",
		"<table", "<a", "<style", "<title", "<b", "<body", "<br", "<p"} {
		if hasPrefixFold(text, tag) && len(text) > len(tag) && endsTag(text[len(tag)]) {
			return true
		}
	}
	return false
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// hasPrefixFold is hasPrefix ignoring ASCII case; prefix is lower case.
func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && equalFold(b[:len(prefix)], prefix)
}

// printable is s with every byte that is not printable ASCII as '?', for
// naming a brand in a message.
func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
