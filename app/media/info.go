package media

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"smartbot/app"
)

// ImageInfo is what a picture's header says about it.
type ImageInfo struct {
	Width, Height int // as stored in the file, before Orientation is applied
	// Orientation is the EXIF orientation, 1 to 8: 1 when the file has
	// none, or one that is not valid.
	Orientation int
}

// Upright returns the picture's size as it is seen: Orientations 5 to 8
// turn it a quarter, which swaps width and height.
func (i ImageInfo) Upright() (w, h int) {
	if i.Orientation >= 5 && i.Orientation <= 8 {
		return i.Height, i.Width
	}
	return i.Width, i.Height
}

// The decompression-bomb guard: a picture is refused from its header when
// it is larger than this, before anything is decoded. 50 megapixels
// decode to 200 MB of RGBA.
const (
	MaxImagePixels = 50_000_000
	MaxImageSide   = 16_384
)

// CheckImageSize refuses, with EINVALID, a picture of more than
// MaxImagePixels or with a side longer than MaxImageSide, and one whose
// header gives it no size.
func CheckImageSize(i ImageInfo) error {
	w, h := i.Upright()
	if w <= 0 || h <= 0 {
		return app.Errorf(app.EINVALID, "The picture's header gives it no size (%d × %d pixels); the file is damaged.", w, h)
	}
	if w > MaxImageSide || h > MaxImageSide || int64(w)*int64(h) > MaxImagePixels {
		mp := (int64(w)*int64(h) + 99_999) / 100_000 // tenths of a megapixel, rounded up
		return app.Errorf(app.EINVALID, "The picture is %s × %s pixels (%d.%d megapixels); Smartbot takes pictures of at most 50 megapixels and 16,384 pixels on a side. Make it smaller and upload it again.",
			thousands(int64(w)), thousands(int64(h)), mp/10, mp%10)
	}
	return nil
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Bounds on the reading of a header, whatever the file holds.
const (
	// maxMetadata is the most metadata accepted before the picture: EXIF,
	// XMP, ICC profiles, comments. A phone's photo has some tens of KB.
	maxMetadata = 1 << 20
	// extendedXMP begins an APP1 segment of extended XMP, which does not
	// count towards maxMetadata.
	extendedXMP = "http://ns.adobe.com/xmp/extension/\x00"
	// maxTables is the most of the JPEG's other segments (quantization and
	// Huffman tables, stray bytes) before the frame header: real files
	// have a few KB.
	maxTables = 64 << 10
	// maxWalk is how far a header is read, so that the metadata of a file
	// that has too much can be measured for the message, but no further:
	// far more than the largest picture the caps let in.
	maxWalk = 16 << 20
)

// ReadImageInfo reads the header of a picture of type t (image/jpeg,
// image/png, image/gif or image/webp) from r: its size and, for JPEG and
// PNG, its EXIF orientation. It reads headers only, never pixels, and
// with bounded work and memory whatever r holds: it reads r up to the
// picture's start (and at most 4 KB past it, buffering). A header that is
// cut short, damaged, or preceded by more than 1 MB of metadata is an
// EINVALID *app.Error; a picture stored in a way that Smartbot cannot
// decode is EUNSUPPORTED. Any other error is r's.
//
// It does not check the size against the caps: CheckImageSize does.
func ReadImageInfo(t Type, r io.Reader) (ImageInfo, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	h := &header{r: br}
	var read func(*header) (ImageInfo, error)
	switch t.MIME {
	case typeJPEG.MIME:
		h.format, read = "JPEG", readJPEG
	case typePNG.MIME:
		h.format, read = "PNG", readPNG
	case typeGIF.MIME:
		h.format, read = "GIF", readGIF
	case typeWebP.MIME:
		h.format, read = "WebP", readWebP
	default:
		return ImageInfo{}, app.Errorf(app.EUNSUPPORTED, "Smartbot reads the size of JPEG, PNG, GIF and WebP pictures only, not of %q files.", t.MIME)
	}
	info, err := read(h)
	if err != nil {
		return ImageInfo{}, err
	}
	return info, nil
}

// header reads a picture's header, counting what it has read and how much
// metadata it has met.
type header struct {
	r      *bufio.Reader
	format string // "JPEG", for messages
	read   int64  // bytes read so far
	meta   int64  // bytes of metadata met so far, as their lengths declare them
	// stopped is set when the walk went too far to measure all the
	// metadata.
	stopped bool
}

// full reads len(p) bytes.
func (h *header) full(p []byte) error {
	n, err := io.ReadFull(h.r, p)
	h.read += int64(n)
	return h.fail(err)
}

func (h *header) readByte() (byte, error) {
	c, err := h.r.ReadByte()
	if err == nil {
		h.read++
	}
	return c, h.fail(err)
}

// skip reads n bytes and throws them away, unless that takes the walk
// past maxWalk.
func (h *header) skip(n int64) error {
	if h.read+n > maxWalk {
		return h.tooFar()
	}
	for n > 0 {
		d, err := h.r.Discard(int(min(n, 1<<20)))
		h.read += int64(d)
		n -= int64(d)
		if err != nil {
			return h.fail(err)
		}
	}
	return nil
}

// fail turns a read error into the refusal of a file that ends too soon;
// when the metadata was already too much, that is what it says instead.
func (h *header) fail(err error) error {
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("media: read %s header: %w", h.format, err)
	case h.meta > maxMetadata:
		return h.tooMuchMetadata()
	}
	return app.Errorf(app.EINVALID, "The %s file is cut short before its picture begins.", h.format)
}

// tooFar ends a walk that would read on past maxWalk.
func (h *header) tooFar() error {
	if h.meta > maxMetadata {
		h.stopped = true
		return h.tooMuchMetadata()
	}
	return h.damaged(fmt.Sprintf("its header goes on for more than %s", sizeText(maxWalk)))
}

// picture is called where the picture begins, to refuse it then if it
// carried too much metadata.
func (h *header) picture() error {
	if h.meta > maxMetadata {
		return h.tooMuchMetadata()
	}
	return nil
}

func (h *header) tooMuchMetadata() error {
	more := ""
	if h.stopped {
		more = "at least "
	}
	return app.Errorf(app.EINVALID, "The picture carries %s%s of metadata before its image; at most 1 MB is accepted. Save it again without metadata (or with less) and upload that copy.", more, sizeAbove(h.meta))
}

func (h *header) damaged(what string) error {
	return app.Errorf(app.EINVALID, "The %s file is damaged: %s.", h.format, what)
}

// readJPEG walks the JPEG's segments to its frame header, reading the
// first EXIF block on the way and skipping everything else.
func readJPEG(h *header) (ImageInfo, error) {
	var b [6]byte
	if err := h.full(b[:2]); err != nil {
		return ImageInfo{}, err
	}
	if b[0] != 0xff || b[1] != 0xd8 {
		return ImageInfo{}, h.damaged("it does not begin like a JPEG")
	}
	info := ImageInfo{Orientation: 1}
	exif, tables := false, int64(0)
	// stray counts bytes that are no segment: fill bytes before a marker,
	// markers without a segment, and stray bytes, which libjpeg and Go's
	// decoder skip too.
	stray := func(n int64) error {
		if tables += n; tables > maxTables {
			return h.damaged("it has too many stray bytes before its picture")
		}
		return nil
	}
	for {
		c, err := h.readByte()
		if err != nil {
			return info, err
		}
		if c != 0xff {
			if err := stray(1); err != nil {
				return info, err
			}
			continue
		}
		code, err := h.readByte()
		for code == 0xff && err == nil {
			if err = stray(1); err == nil {
				code, err = h.readByte()
			}
		}
		if err != nil {
			return info, err
		}
		switch {
		case code == 0x00 || code == 0x01 || code == 0xd8 || 0xd0 <= code && code <= 0xd7:
			// A stuffed byte, or a marker without a segment.
			if err := stray(1); err != nil {
				return info, err
			}
			continue
		case code == 0xd9:
			return info, h.damaged("it ends before its picture begins")
		case code == 0xda:
			return info, h.damaged("its image data comes before its frame header")
		}
		if err := h.full(b[:2]); err != nil {
			return info, err
		}
		length := int64(binary.BigEndian.Uint16(b[:2])) - 2 // the length counts itself
		if length < 0 {
			return info, h.damaged("a segment has an impossible length")
		}
		switch {
		case isSOF(code):
			if err := h.picture(); err != nil {
				return info, err
			}
			return readSOF(h, code, length, info)
		case 0xe0 <= code && code <= 0xef || code == 0xfe: // APPn, COM
			h.meta += length + 4
			if code == 0xe1 && length >= 6 {
				if err := h.full(b[:6]); err != nil {
					return info, err
				}
				length -= 6
				if string(b[:6]) == extendedXMP[:6] && length >= int64(len(extendedXMP)-6) {
					// Extended XMP is where phones keep a portrait's depth
					// map (a Pixel's runs to megabytes): skipped like all
					// metadata, it does not count towards the cap.
					rest := make([]byte, len(extendedXMP)-6)
					if err := h.full(rest); err != nil {
						return info, err
					}
					length -= int64(len(rest))
					if string(rest) == extendedXMP[6:] {
						h.meta -= length + int64(len(extendedXMP)) + 4
					}
				}
				if string(b[:6]) == "Exif\x00\x00" && !exif {
					exif = true
					block := make([]byte, length) // at most 64 KB: the length is 16 bits
					if err := h.full(block); err != nil {
						return info, err
					}
					info.Orientation = EXIFOrientation(block)
					continue
				}
			}
		default:
			if tables += length + 4; tables > maxTables {
				return info, h.damaged(fmt.Sprintf("it has more than %s of tables before its picture", sizeText(maxTables)))
			}
		}
		if err := h.skip(length); err != nil {
			return info, err
		}
	}
}

// isSOF reports whether code is a frame header (SOFn): 0xC0 to 0xCF but
// for DHT (0xC4), JPG (0xC8) and DAC (0xCC).
func isSOF(code byte) bool {
	return 0xc0 <= code && code <= 0xcf && code != 0xc4 && code != 0xc8 && code != 0xcc
}

// readSOF reads a frame header of length bytes.
func readSOF(h *header, code byte, length int64, info ImageInfo) (ImageInfo, error) {
	var b [6]byte
	if length < 6 {
		return info, h.damaged("its frame header is too short")
	}
	if err := h.full(b[:]); err != nil {
		return info, err
	}
	info.Height = int(binary.BigEndian.Uint16(b[1:]))
	info.Width = int(binary.BigEndian.Uint16(b[3:]))
	switch {
	case code == 0xc3 || code >= 0xc5:
		return info, app.Errorf(app.EUNSUPPORTED, "The JPEG is stored with lossless, hierarchical or arithmetic coding, which Smartbot cannot read. Save it again as an ordinary JPEG and upload that copy.")
	case b[0] != 8:
		return info, app.Errorf(app.EUNSUPPORTED, "The JPEG has %d-bit samples, which Smartbot cannot read. Save it again as an ordinary 8-bit JPEG and upload that copy.", b[0])
	case info.Height == 0:
		return info, app.Errorf(app.EUNSUPPORTED, "The JPEG gives its height only after its image data, which Smartbot cannot read. Save it again as an ordinary JPEG and upload that copy.")
	}
	return info, nil
}

// readPNG reads the PNG's IHDR chunk, then walks the chunks to the first
// IDAT, reading an eXIf chunk on the way: browsers honour one that comes
// before the image data.
func readPNG(h *header) (ImageInfo, error) {
	var b [25]byte // signature and the IHDR chunk's length, type and data
	if err := h.full(b[:16]); err != nil {
		return ImageInfo{}, err
	}
	if string(b[:8]) != "\x89PNG\r\n\x1a\n" {
		return ImageInfo{}, h.damaged("it does not begin like a PNG")
	}
	if binary.BigEndian.Uint32(b[8:]) != 13 || string(b[12:16]) != "IHDR" {
		return ImageInfo{}, h.damaged("it does not begin with its header chunk (IHDR)")
	}
	if err := h.full(b[:17]); err != nil { // the data and CRC
		return ImageInfo{}, err
	}
	w, ht := binary.BigEndian.Uint32(b[0:]), binary.BigEndian.Uint32(b[4:])
	if w > 1<<31-1 || ht > 1<<31-1 {
		return ImageInfo{}, h.damaged("its header gives an impossible size")
	}
	info := ImageInfo{Width: int(w), Height: int(ht), Orientation: 1}
	exif := false
	for {
		if err := h.full(b[:8]); err != nil {
			return info, err
		}
		length := int64(binary.BigEndian.Uint32(b[:]))
		if length > 1<<31-1 {
			return info, h.damaged("a chunk has an impossible length")
		}
		switch string(b[4:8]) {
		case "IDAT":
			return info, h.picture()
		case "IEND":
			return info, h.damaged("it has no image data")
		case "eXIf":
			h.meta += length + 12
			if !exif && length <= 1<<16 {
				exif = true
				block := make([]byte, length)
				if err := h.full(block); err != nil {
					return info, err
				}
				info.Orientation = EXIFOrientation(block)
				length = 0
			}
		default:
			h.meta += length + 12
		}
		if err := h.skip(length + 4); err != nil { // and the CRC
			return info, err
		}
	}
}

// readGIF reads the GIF's logical screen, then walks the extensions to the
// first image. Its size is the screen's, or the first image's where that
// reaches further: decoders may allocate either.
func readGIF(h *header) (ImageInfo, error) {
	var b [13]byte // signature and logical screen descriptor
	if err := h.full(b[:]); err != nil {
		return ImageInfo{}, err
	}
	if string(b[:6]) != "GIF87a" && string(b[:6]) != "GIF89a" {
		return ImageInfo{}, h.damaged("it does not begin like a GIF")
	}
	info := ImageInfo{Width: int(binary.LittleEndian.Uint16(b[6:])), Height: int(binary.LittleEndian.Uint16(b[8:])), Orientation: 1}
	if flags := b[10]; flags&0x80 != 0 {
		if err := h.skip(3 << (flags&0x07 + 1)); err != nil { // the global colour table
			return info, err
		}
	}
	for {
		if h.read > maxWalk { // extensions without blocks are never skipped
			return info, h.tooFar()
		}
		c, err := h.readByte()
		if err != nil {
			return info, err
		}
		switch c {
		case 0x2c: // an image descriptor
			if err := h.full(b[:9]); err != nil {
				return info, err
			}
			left, top := int(binary.LittleEndian.Uint16(b[0:])), int(binary.LittleEndian.Uint16(b[2:]))
			w, ht := int(binary.LittleEndian.Uint16(b[4:])), int(binary.LittleEndian.Uint16(b[6:]))
			info.Width, info.Height = max(info.Width, left+w), max(info.Height, top+ht)
			return info, h.picture()
		case 0x21: // an extension: a label, then blocks of up to 255 bytes
			if _, err := h.readByte(); err != nil {
				return info, err
			}
			h.meta += 3 // with the introducer and the last block's 0
			for {
				n, err := h.readByte()
				if err != nil {
					return info, err
				}
				if n == 0 {
					break
				}
				h.meta += int64(n) + 1
				if err := h.skip(int64(n)); err != nil {
					return info, err
				}
			}
		case 0x3b:
			return info, h.damaged("it ends before its first picture")
		default:
			return info, h.damaged("it has something unknown before its first picture")
		}
	}
}

// readWebP reads the WebP's first chunk: the bitstream header of a simple
// lossy (VP8) or lossless (VP8L) file, or the canvas of an extended one
// (VP8X), whose chunks it then walks to the image.
func readWebP(h *header) (ImageInfo, error) {
	var b [12]byte
	if err := h.full(b[:]); err != nil {
		return ImageInfo{}, err
	}
	if string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return ImageInfo{}, h.damaged("it does not begin like a WebP")
	}
	info := ImageInfo{Orientation: 1}
	for first := true; ; first = false {
		if err := h.full(b[:8]); err != nil {
			return info, err
		}
		length := int64(binary.LittleEndian.Uint32(b[4:]))
		padded := length + length&1
		fourCC := string(b[:4])
		if first && fourCC != "VP8 " && fourCC != "VP8L" && fourCC != "VP8X" {
			return info, h.damaged("it does not begin with a picture header")
		}
		switch fourCC {
		case "VP8 ", "VP8L":
			w, ht, err := readVP8(h, fourCC, length)
			if err != nil {
				return info, err
			}
			info.Width, info.Height = max(info.Width, w), max(info.Height, ht)
			return info, h.picture()
		case "VP8X":
			if !first {
				return info, h.damaged("it has a second extended header")
			}
			if length < 10 {
				return info, h.damaged("its extended header is too short")
			}
			if err := h.full(b[:10]); err != nil {
				return info, err
			}
			le24 := func(p []byte) int { return int(p[0]) | int(p[1])<<8 | int(p[2])<<16 }
			info.Width, info.Height = le24(b[4:])+1, le24(b[7:])+1
			padded -= 10
		case "ANMF":
			// An animation's frames lie inside its canvas.
			return info, h.picture()
		case "ALPH":
			// The alpha plane belongs to the image that follows.
		default:
			h.meta += padded + 8
		}
		if err := h.skip(padded); err != nil {
			return info, err
		}
	}
}

// readVP8 reads the size from the start of a VP8 or VP8L bitstream of
// length bytes.
func readVP8(h *header, fourCC string, length int64) (w, ht int, err error) {
	var b [10]byte
	if fourCC == "VP8L" {
		if length < 5 {
			return 0, 0, h.damaged("its lossless header is too short")
		}
		if err := h.full(b[:5]); err != nil {
			return 0, 0, err
		}
		bits := binary.LittleEndian.Uint32(b[1:])
		if b[0] != 0x2f || bits>>29 != 0 {
			return 0, 0, h.damaged("its lossless header is not valid")
		}
		return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1, nil
	}
	if length < 10 {
		return 0, 0, h.damaged("its lossy header is too short")
	}
	if err := h.full(b[:]); err != nil {
		return 0, 0, err
	}
	// A frame tag whose lowest bit is 0 (a key frame), then a start code.
	if b[0]&0x01 != 0 || string(b[3:6]) != "\x9d\x01\x2a" {
		return 0, 0, h.damaged("its lossy header is not valid")
	}
	return int(binary.LittleEndian.Uint16(b[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(b[8:]) & 0x3fff), nil
}
