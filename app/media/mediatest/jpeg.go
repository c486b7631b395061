// Package mediatest makes media files in memory for tests: valid pictures
// from the standard library's encoders, hand-made headers of the other
// types Smartbot takes, hostile headers (decompression bombs, files cut
// short), and helpers that read JPEG segments back to check what an output
// carries.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"math"
)

// JPEGOption adds something to the JPEG that JPEG makes.
type JPEGOption func(*jpegOptions)

type jpegOptions struct {
	orientation int
	order       binary.AppendByteOrder
	gps         bool
	lat, lon    float64
	xmp         string
	comment     string
	appData     int
	trailer     []byte
}

// Orientation gives the JPEG an EXIF block with this Orientation (1–8) and
// stores its pixels turned so that a viewer that honours it shows the
// upright picture.
func Orientation(o int) JPEGOption { return func(j *jpegOptions) { j.orientation = o } }

// BigEndian writes the EXIF block in big-endian ("MM") byte order, as some
// cameras do; the default is little-endian ("II"), as phones write it.
func BigEndian() JPEGOption { return func(j *jpegOptions) { j.order = binary.BigEndian } }

// GPS gives the JPEG an EXIF block with a GPS directory holding this
// latitude and longitude, in degrees (negative for south and west).
func GPS(lat, lon float64) JPEGOption {
	return func(j *jpegOptions) { j.gps, j.lat, j.lon = true, lat, lon }
}

// XMP gives the JPEG an XMP packet (an APP1 segment) holding packet.
func XMP(packet string) JPEGOption { return func(j *jpegOptions) { j.xmp = packet } }

// Comment gives the JPEG a COM segment holding text.
func Comment(text string) JPEGOption { return func(j *jpegOptions) { j.comment = text } }

// AppData gives the JPEG n bytes of opaque metadata in APP10 segments
// (64 KB each at most) before its frame header.
func AppData(n int) JPEGOption { return func(j *jpegOptions) { j.appData = n } }

// Trailer appends b after the JPEG's end marker, as polyglots do.
func Trailer(b []byte) JPEGOption { return func(j *jpegOptions) { j.trailer = b } }

// JPEG returns a baseline JPEG of the upright picture Picture(w, h), with
// the segments opts add between its start marker and its tables.
func JPEG(w, h int, opts ...JPEGOption) []byte {
	var o jpegOptions
	for _, opt := range opts {
		opt(&o)
	}
	var img image.Image = Picture(w, h)
	if o.orientation != 0 {
		img = Stored(Picture(w, h), o.orientation)
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(fmt.Sprintf("mediatest: encode JPEG: %v", err))
	}
	out := append([]byte(nil), enc.Bytes()[:2]...) // SOI
	if o.orientation != 0 || o.gps {
		out = segment(out, 0xe1, append([]byte("Exif\x00\x00"), EXIF(o.order, o.orientation, o.gps, o.lat, o.lon)...))
	}
	if o.xmp != "" {
		out = segment(out, 0xe1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), o.xmp...))
	}
	for n := o.appData; n > 0; n -= 65533 {
		out = segment(out, 0xea, bytes.Repeat([]byte{'m'}, min(n, 65533)))
	}
	if o.comment != "" {
		out = segment(out, 0xfe, []byte(o.comment))
	}
	out = append(out, enc.Bytes()[2:]...)
	return append(out, o.trailer...)
}

// segment appends a JPEG segment with marker code and payload to b.
func segment(b []byte, code byte, payload []byte) []byte {
	if len(payload) > 65533 {
		panic("mediatest: a JPEG segment holds at most 65,533 bytes")
	}
	b = append(b, 0xff, code)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)+2))
	return append(b, payload...)
}

// EXIF returns a TIFF structure as an EXIF block holds it (without the
// "Exif\0\0" that precedes it in a JPEG): IFD0 with a Make, the
// Orientation when it is not 0, and when gps a GPS directory with this
// latitude and longitude. A nil order is little-endian.
func EXIF(order binary.AppendByteOrder, orientation int, gps bool, lat, lon float64) []byte {
	if order == nil {
		order = binary.LittleEndian
	}
	type entry struct {
		tag, typ uint16
		count    uint32
		value    []byte // inline when at most 4 bytes, else placed after the directory
	}
	short := func(v uint16) []byte { return order.AppendUint16(nil, v) }
	rationals := func(deg float64) []byte { // degrees, minutes, seconds in hundredths
		deg = math.Abs(deg)
		d := math.Floor(deg)
		m := math.Floor((deg - d) * 60)
		s := math.Round(((deg-d)*60 - m) * 60 * 100)
		var b []byte
		for _, r := range [][2]uint32{{uint32(d), 1}, {uint32(m), 1}, {uint32(s), 100}} {
			b = order.AppendUint32(order.AppendUint32(b, r[0]), r[1])
		}
		return b
	}
	ref := func(v float64, pos, neg string) []byte {
		if v < 0 {
			return []byte(neg + "\x00")
		}
		return []byte(pos + "\x00")
	}
	// directory writes an IFD at offset at, its out-of-line values right
	// after it, and returns both.
	directory := func(at uint32, entries []entry) []byte {
		data := at + 2 + 12*uint32(len(entries)) + 4
		var dir, extra []byte
		dir = order.AppendUint16(dir, uint16(len(entries)))
		for _, e := range entries {
			dir = order.AppendUint16(dir, e.tag)
			dir = order.AppendUint16(dir, e.typ)
			dir = order.AppendUint32(dir, e.count)
			if len(e.value) <= 4 {
				dir = append(dir, append(e.value, make([]byte, 4-len(e.value))...)...)
				continue
			}
			dir = order.AppendUint32(dir, data+uint32(len(extra)))
			extra = append(extra, e.value...)
			if len(extra)%2 == 1 {
				extra = append(extra, 0) // values begin on a word boundary
			}
		}
		dir = order.AppendUint32(dir, 0) // no next IFD
		return append(dir, extra...)
	}
	maker := []byte("mediatest\x00")
	ifd0 := []entry{{0x010f, 2, uint32(len(maker)), maker}} // Make
	if orientation != 0 {
		ifd0 = append(ifd0, entry{0x0112, 3, 1, short(uint16(orientation))})
	}
	if gps {
		// GPSInfo: the GPS directory's offset, right after IFD0, which is
		// as long whatever the offset.
		ifd0 = append(ifd0, entry{0x8825, 4, 1, order.AppendUint32(nil, 0)})
		gpsAt := 8 + uint32(len(directory(8, ifd0)))
		ifd0[len(ifd0)-1].value = order.AppendUint32(nil, gpsAt)
	}
	head := []byte("II*\x00")
	if order == binary.BigEndian {
		head = []byte("MM\x00*")
	}
	head = order.AppendUint32(head, 8)
	dir0 := directory(8, ifd0)
	if !gps {
		return append(head, dir0...)
	}
	dirGPS := directory(8+uint32(len(dir0)), []entry{
		{0x0000, 1, 4, []byte{2, 3, 0, 0}}, // GPSVersionID
		{0x0001, 2, 2, ref(lat, "N", "S")}, // GPSLatitudeRef
		{0x0002, 5, 3, rationals(lat)},     // GPSLatitude
		{0x0003, 2, 2, ref(lon, "E", "W")}, // GPSLongitudeRef
		{0x0004, 5, 3, rationals(lon)},     // GPSLongitude
	})
	return append(append(head, dir0...), dirGPS...)
}

// JPEGHeader returns a hostile JPEG: a real 16×16 one whose frame header
// declares w×h (at most 65,535 each) instead, with its 16×16 worth of data.
func JPEGHeader(w, h int) []byte {
	b := JPEG(16, 16)
	for i := 2; i+9 < len(b); {
		length := int(binary.BigEndian.Uint16(b[i+2:]))
		if b[i+1] == 0xc0 {
			binary.BigEndian.PutUint16(b[i+5:], uint16(h))
			binary.BigEndian.PutUint16(b[i+7:], uint16(w))
			return b
		}
		i += 2 + length
	}
	panic("mediatest: the encoder wrote no SOF0")
}

// Truncate returns a copy of the first n bytes of b (all of b if shorter).
func Truncate(b []byte, n int) []byte {
	return append([]byte(nil), b[:min(max(n, 0), len(b))]...)
}

// Marker is one segment (or marker without one) of a JPEG file.
type Marker struct {
	Code    byte   // the byte after 0xFF: 0xE1 for APP1, 0xFE for COM
	Payload []byte // what follows the length field; nil for a marker without a segment
}

// Name returns the marker's usual name: "SOI", "APP1", "SOF0", "COM"…
func (m Marker) Name() string {
	switch c := m.Code; {
	case c == 0xd8:
		return "SOI"
	case c == 0xd9:
		return "EOI"
	case c == 0xda:
		return "SOS"
	case c == 0xdb:
		return "DQT"
	case c == 0xc4:
		return "DHT"
	case c == 0xdd:
		return "DRI"
	case c == 0xfe:
		return "COM"
	case 0xe0 <= c && c <= 0xef:
		return fmt.Sprintf("APP%d", c-0xe0)
	case 0xc0 <= c && c <= 0xcf:
		return fmt.Sprintf("SOF%d", c-0xc0)
	}
	return fmt.Sprintf("0x%02X", m.Code)
}

// Segments returns a JPEG's markers from SOI to EOI, skipping the
// entropy-coded data between them and the restart markers within it. It
// stops early, without failing, at anything malformed.
func Segments(jpeg []byte) []Marker {
	if len(jpeg) < 2 || jpeg[0] != 0xff || jpeg[1] != 0xd8 {
		return nil
	}
	out := []Marker{{Code: 0xd8}}
	for i := 2; i+1 < len(jpeg); {
		code := jpeg[i+1]
		switch {
		case jpeg[i] != 0xff || code == 0x00 || code == 0xff || 0xd0 <= code && code <= 0xd7:
			i++ // data, a stuffed byte, fill, or a restart marker
			continue
		case code == 0xd9:
			return append(out, Marker{Code: code})
		case i+4 > len(jpeg):
			return out
		}
		length := int(binary.BigEndian.Uint16(jpeg[i+2:]))
		if length < 2 || i+2+length > len(jpeg) {
			return out
		}
		out = append(out, Marker{Code: code, Payload: jpeg[i+4 : i+2+length]})
		i += 2 + length
	}
	return out
}

// HasEXIF reports whether a JPEG carries an EXIF block (an APP1 segment
// that begins "Exif\0\0").
func HasEXIF(jpeg []byte) bool {
	for _, m := range Segments(jpeg) {
		if m.Code == 0xe1 && bytes.HasPrefix(m.Payload, []byte("Exif\x00\x00")) {
			return true
		}
	}
	return false
}

// Metadata returns the names of a JPEG's metadata segments (every APPn
// and COM); a stripped output has none.
func Metadata(jpeg []byte) []string {
	var names []string
	for _, m := range Segments(jpeg) {
		if 0xe0 <= m.Code && m.Code <= 0xef || m.Code == 0xfe {
			names = append(names, m.Name())
		}
	}
	return names
}
