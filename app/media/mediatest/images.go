package mediatest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
)

// The colours of Picture's quadrants: one each, so that a test can tell
// every turn and flip of the picture from the upright one.
var (
	TopLeft     = color.RGBA{220, 30, 30, 255}   // red
	TopRight    = color.RGBA{30, 170, 30, 255}   // green
	BottomLeft  = color.RGBA{30, 30, 220, 255}   // blue
	BottomRight = color.RGBA{240, 240, 240, 255} // white
)

// Picture returns the upright w×h test picture: four quadrants of the
// colours above.
func Picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, quadrant(x < w/2, y < h/2))
		}
	}
	return img
}

func quadrant(left, top bool) color.RGBA {
	switch {
	case top && left:
		return TopLeft
	case top:
		return TopRight
	case left:
		return BottomLeft
	}
	return BottomRight
}

// Stored returns the pixels a camera would store for the upright picture
// up with EXIF orientation o: turned and flipped so that a viewer honouring
// o shows up again. For o from 5 to 8 width and height swap.
func Stored(up *image.RGBA, o int) *image.RGBA {
	w, h := up.Bounds().Dx(), up.Bounds().Dy()
	sw, sh := w, h
	if o >= 5 && o <= 8 {
		sw, sh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, sw, sh))
	for sy := range sh {
		for sx := range sw {
			// Where the stored pixel (sx, sy) is seen, by the definitions
			// of the orientations: 6, for one, says the stored rows run
			// down the right side of the upright picture, top to bottom.
			dx, dy := sx, sy
			switch o {
			case 2:
				dx, dy = sw-1-sx, sy
			case 3:
				dx, dy = sw-1-sx, sh-1-sy
			case 4:
				dx, dy = sx, sh-1-sy
			case 5:
				dx, dy = sy, sx
			case 6:
				dx, dy = sh-1-sy, sx
			case 7:
				dx, dy = sh-1-sy, sw-1-sx
			case 8:
				dx, dy = sy, sw-1-sx
			}
			out.SetRGBA(sx, sy, up.RGBAAt(dx, dy))
		}
	}
	return out
}

// IsUpright reports whether img shows Picture upright: each quadrant's
// centre has that quadrant's colour, give or take what lossy compression
// and resizing change.
func IsUpright(img image.Image) bool {
	b := img.Bounds()
	if b.Dx() < 2 || b.Dy() < 2 {
		return false
	}
	for _, q := range []struct {
		x, y int
		want color.RGBA
	}{
		{b.Dx() / 4, b.Dy() / 4, TopLeft}, {b.Dx() * 3 / 4, b.Dy() / 4, TopRight},
		{b.Dx() / 4, b.Dy() * 3 / 4, BottomLeft}, {b.Dx() * 3 / 4, b.Dy() * 3 / 4, BottomRight},
	} {
		r, g, bl, _ := img.At(b.Min.X+q.x, b.Min.Y+q.y).RGBA()
		if !near(r>>8, q.want.R) || !near(g>>8, q.want.G) || !near(bl>>8, q.want.B) {
			return false
		}
	}
	return true
}

func near(got uint32, want uint8) bool {
	d := int(got) - int(want)
	return -48 <= d && d <= 48
}

// PNG returns Picture(w, h) as a PNG.
func PNG(w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, Picture(w, h)); err != nil {
		panic(fmt.Sprintf("mediatest: encode PNG: %v", err))
	}
	return b.Bytes()
}

// PNGHeader returns a hostile PNG: its header declares w×h RGB pixels, its
// one IDAT chunk holds a few bytes of zlib data.
func PNGHeader(w, h int) []byte {
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8 bits, RGB, deflate, no filter, no interlace
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 64))
	zw.Close()
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, PNGChunk("IHDR", ihdr)...)
	out = append(out, PNGChunk("IDAT", z.Bytes())...)
	return append(out, PNGChunk("IEND", nil)...)
}

// PNGChunk returns a PNG chunk of type typ holding data, with its CRC.
func PNGChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(append(b, typ...), data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// InsertPNGChunks returns a copy of the PNG p with chunks (made by
// PNGChunk) inserted right after its header chunk, before its image data.
func InsertPNGChunks(p []byte, chunks ...[]byte) []byte {
	const afterIHDR = 8 + 25
	out := append([]byte(nil), p[:afterIHDR]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[afterIHDR:]...)
}

// GIF returns an animated GIF of frames frames, each Picture(w, h).
func GIF(w, h, frames int) []byte {
	palette := color.Palette{TopLeft, TopRight, BottomLeft, BottomRight}
	all := &gif.GIF{}
	for range frames {
		img := image.NewPaletted(image.Rect(0, 0, w, h), palette)
		for y := range h {
			for x := range w {
				img.Set(x, y, quadrant(x < w/2, y < h/2))
			}
		}
		all.Image = append(all.Image, img)
		all.Delay = append(all.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, all); err != nil {
		panic(fmt.Sprintf("mediatest: encode GIF: %v", err))
	}
	return b.Bytes()
}

// WebP returns a lossless WebP (VP8L) of w×h pixels (1 to 16,384 each), all
// of colour c: each of its five prefix codes has one symbol, which takes no
// bits, so the image data is empty however large the picture.
func WebP(w, h int, c color.RGBA) []byte {
	var bits bitWriter
	bits.write(0x2f, 8) // the VP8L signature
	bits.write(uint32(w-1), 14)
	bits.write(uint32(h-1), 14)
	alpha := uint32(0)
	if c.A != 255 {
		alpha = 1
	}
	bits.write(alpha, 1)
	bits.write(0, 3) // version
	bits.write(0, 1) // no transform
	bits.write(0, 1) // no colour cache
	bits.write(0, 1) // no meta prefix codes
	for _, v := range []uint8{c.G, c.R, c.B, c.A} {
		bits.write(1, 1) // a simple code
		bits.write(0, 1) // of one symbol
		bits.write(1, 1) // of 8 bits
		bits.write(uint32(v), 8)
	}
	bits.write(1, 1) // the distance code: simple, one symbol of 1 bit, 0
	bits.write(0, 1)
	bits.write(0, 1)
	bits.write(0, 1)
	return riff("VP8L", bits.bytes())
}

// riff wraps a chunk of type fourCC in a WebP RIFF container.
func riff(fourCC string, data []byte) []byte {
	chunk := append([]byte(fourCC), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	chunk = append(chunk, data...)
	if len(data)%2 == 1 {
		chunk = append(chunk, 0)
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(chunk)))...)
	return append(append(out, "WEBP"...), chunk...)
}

// bitWriter writes bits least significant first, as VP8L reads them.
type bitWriter struct {
	b     []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) write(v uint32, n uint) {
	w.acc |= uint64(v) << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nbits > 0 {
		return append(w.b, byte(w.acc))
	}
	return w.b
}
