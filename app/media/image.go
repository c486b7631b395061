package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"runtime"
	"sync"

	"golang.org/x/image/webp"

	"smartbot/app"
)

// Variant is one re-encoded size of a picture.
type Variant struct {
	Name          string // app.VariantLarge, app.VariantMedium or app.VariantThumb
	Width, Height int
	JPEG          []byte
}

// Variants are what MakeVariants makes of one picture.
type Variants struct {
	Width, Height int // the upright original's size
	// Large, Medium and Thumb are 1280, 480 and 150 pixels on the long
	// side, never upscaled: a smaller picture is re-encoded at its own size.
	Large, Medium, Thumb Variant
	// Inline is the small JPEG thumbnail WhatsApp image messages carry
	// (their JPEGThumbnail): 72 pixels on the long side, about 2 KB.
	Inline []byte
}

// The long side of each variant, and the JPEG qualities. 72 pixels at
// quality 75 is what mautrix-whatsapp, the bridge built on whatsmeow,
// puts in JPEGThumbnail: the recipient's app shows it blurred until the
// picture arrives, so more would only make every message heavier.
const (
	largeSide     = 1280
	mediumSide    = 480
	thumbSide     = 150
	inlineSide    = 72
	variantsJPEGQ = 80
	inlineJPEGQ   = 75
)

// The decoder's own backstop against pictures that would take gigabytes:
// the caller refuses far smaller ones from their headers (50 MP, 16,384
// px), so these only stop a picture that got past that check.
const (
	decodeMaxPixels = 64 << 20
	decodeMaxSide   = 1 << 15
)

// decodeSlots lets at most one decode per CPU run at once: a decode is
// all CPU and holds a full-size picture in memory, so more at once would
// only take longer each and use more memory together.
var decodeSlots = make(chan struct{}, runtime.NumCPU())

// MakeVariants decodes an image of MIME mime ("image/jpeg", "image/png",
// "image/webp", "image/gif": GIF uses its first frame), applies EXIF
// orientation (1–8; anything else is upright), and makes the variants:
// upright, JPEG quality 80, no metadata at all (no EXIF, XMP, ICC,
// comments). Transparent parts become white.
//
// It waits for a decode slot while ctx allows, and returns ctx's error if
// ctx ends first. A picture that cannot be read is an app.EINVALID error
// whose message tells the owner why.
//
// A JPEG at least twice the large variant's size is decoded straight to
// a half, a quarter or an eighth of its size (jpegscale.go), as sharp
// does; any JPEG is resized as the Y, Cb and Cr planes it decodes to,
// never as RGB. The large variant is made from those planes, which are
// then dropped; the smaller ones are made from the large one (a cascade);
// each is turned upright after resizing. A 12-megapixel photo takes about
// 90 ms on this project's 2-core machine with a process peak of about
// 35 MB, where sharp takes about 75 ms and 160 MB
// (BenchmarkMakeVariants12MP, cmd/smartbot-load/run-sharp-bench.sh).
func MakeVariants(ctx context.Context, r io.Reader, mime string, orientation int) (*Variants, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case decodeSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-decodeSlots }()

	large, w, h, err := decodeLarge(r, mime)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return makeVariants(large, w, h, orientation)
}

// decodeLarge reads and decodes a picture and returns its large variant,
// not yet turned upright, with the stored (not upright) size of the
// original. The file's bytes and the full-size planes are local to this
// call, so they are garbage as soon as it returns, before the encodes.
func decodeLarge(r io.Reader, mime string) (large picture, w, h int, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return picture{}, 0, 0, fmt.Errorf("media: read picture: %w", err)
	}
	pic, w, h, err := decode(data, mime)
	if err != nil {
		return picture{}, 0, 0, err
	}
	return pic.resize(fit(w, h, largeSide)), w, h, nil
}

// makeVariants makes medium and thumb from large (a cascade: resizing the
// 1280-pixel variant costs a tenth of resizing the original again), inline
// from thumb, turns each upright and encodes it. w×h is the stored size of
// the original: every size is fitted from it, not from the previous
// step's, so rounding does not add up along the cascade.
func makeVariants(large picture, w, h, orientation int) (*Variants, error) {
	v := &Variants{Width: w, Height: h}
	if transposes(orientation) {
		v.Width, v.Height = h, w
	}
	// Encoding the large variant takes as long as making and encoding all
	// the others: on a second core, it runs meanwhile.
	var largeErr error
	var wg sync.WaitGroup
	wg.Go(func() { v.Large, largeErr = variant(app.VariantLarge, large, orientation) })
	medium := large.resize(fit(w, h, mediumSide))
	thumb := large.resize(fit(w, h, thumbSide))
	inline := thumb.resize(fit(w, h, inlineSide))
	var errs [3]error
	v.Medium, errs[0] = variant(app.VariantMedium, medium, orientation)
	v.Thumb, errs[1] = variant(app.VariantThumb, thumb, orientation)
	v.Inline, errs[2] = inline.orient(orientation).encode(inlineJPEGQ)
	wg.Wait()
	if err := errors.Join(largeErr, errs[0], errs[1], errs[2]); err != nil {
		return nil, err
	}
	return v, nil
}

// variant turns pic upright and encodes it as the variant called name.
func variant(name string, pic picture, orientation int) (Variant, error) {
	up := pic.orient(orientation)
	b, err := up.encode(variantsJPEGQ)
	return Variant{Name: name, Width: up.y.w, Height: up.y.h, JPEG: b}, err
}

// fit returns the size of a w×h picture scaled to side pixels on its
// long side, or w×h itself when it is no longer than that.
func fit(w, h, side int) (int, int) {
	switch {
	case w <= side && h <= side:
		return w, h
	case w >= h:
		return side, max(1, (h*side+w/2)/w)
	default:
		return max(1, (w*side+h/2)/h), side
	}
}

// picture is a decoded image as planes: luma, and for colour pictures
// two chroma planes subsampled subX×subY (1, 2 or 4 across; 1 or 2 down).
// Every picture this package makes itself is 4:2:0 (or gray), the layout
// image/jpeg's encoder writes.
type picture struct {
	y, cb, cr  plane
	subX, subY int
	gray       bool
	// spanW×spanH is the size the luma plane stands for, in its own
	// samples: y.w×y.h, except after a reduced JPEG decode, whose planes
	// end on a sample that is partly past the picture's edge.
	spanW, spanH float64
}

// resize returns p resampled to w×h, as 4:2:0 (or gray).
func (p picture) resize(w, h int) picture {
	sx, sy := p.spanW/float64(w), p.spanH/float64(h)
	out := picture{y: newPlane(w, h), gray: p.gray, spanW: float64(w), spanH: float64(h)}
	resizePlane(out.y, p.y, sx, sy)
	if p.gray {
		return out
	}
	// A chroma sample of the output spans 2×2 output pixels, so 2·s
	// source pixels, so 2·s/sub source chroma samples.
	out.subX, out.subY = 2, 2
	out.cb, out.cr = newPlane((w+1)/2, (h+1)/2), newPlane((w+1)/2, (h+1)/2)
	csx, csy := sx*2/float64(p.subX), sy*2/float64(p.subY)
	resizePlane(out.cb, p.cb, csx, csy)
	resizePlane(out.cr, p.cr, csx, csy)
	return out
}

// orient returns p turned upright for EXIF orientation o.
func (p picture) orient(o int) picture {
	p.y = orientPlane(p.y, o)
	if !p.gray {
		p.cb, p.cr = orientPlane(p.cb, o), orientPlane(p.cr, o)
		if transposes(o) {
			p.subX, p.subY = p.subY, p.subX
		}
	}
	return p
}

// encode writes p as a baseline JPEG. image/jpeg writes no APPn or COM
// segment at all, so nothing of the original's metadata can survive.
func (p picture) encode(quality int) ([]byte, error) {
	var img image.Image
	r := image.Rect(0, 0, p.y.w, p.y.h)
	if p.gray {
		img = &image.Gray{Pix: p.y.pix, Stride: p.y.stride, Rect: r}
	} else {
		if p.subX != 2 || p.subY != 2 {
			// Cannot happen: resize always makes 4:2:0, and orienting
			// swaps 2×2 with itself.
			return nil, fmt.Errorf("media: encode: chroma subsampled %d×%d, want 2×2", p.subX, p.subY)
		}
		img = &image.YCbCr{Y: p.y.pix, Cb: p.cb.pix, Cr: p.cr.pix, YStride: p.y.stride, CStride: p.cb.stride,
			SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: r}
	}
	var buf bytes.Buffer
	buf.Grow(p.y.w*p.y.h/4 + 1024)
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("media: encode JPEG: %w", err)
	}
	return buf.Bytes(), nil
}

// decode decodes data as mime into planes, and returns them with the
// picture's size (which a reduced JPEG decode's planes are a half, a
// quarter or an eighth of). A decoder's error, or its panic on hostile
// input, becomes an app.EINVALID error.
func decode(data []byte, mime string) (pic picture, w, h int, err error) {
	var format string
	var decodeConfig func(io.Reader) (image.Config, error)
	var decodeImage func(io.Reader) (image.Image, error)
	switch mime {
	case "image/jpeg":
		format, decodeConfig, decodeImage = "JPEG", jpeg.DecodeConfig, jpeg.Decode
	case "image/png":
		format, decodeConfig, decodeImage = "PNG", png.DecodeConfig, png.Decode
	case "image/webp":
		format, decodeConfig, decodeImage = "WebP", webp.DecodeConfig, webp.Decode
	case "image/gif":
		// gif.Decode reads the first frame only.
		format, decodeConfig, decodeImage = "GIF", gif.DecodeConfig, gif.Decode
	default:
		return picture{}, 0, 0, app.Errorf(app.EINVALID, "Only JPEG, PNG, WebP and GIF pictures can be resized; this file is %s.", mime)
	}
	defer func() {
		if v := recover(); v != nil {
			err = &app.Error{Code: app.EINVALID, Message: "The picture could not be read: the " + format + " data is damaged.",
				Err: fmt.Errorf("media: %s decoder panicked: %v", format, v)}
		}
	}()
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return picture{}, 0, 0, unreadable(format, data, err)
	}
	w, h = cfg.Width, cfg.Height
	if w < 1 || h < 1 || w > decodeMaxSide || h > decodeMaxSide || w*h > decodeMaxPixels {
		return picture{}, 0, 0, app.Errorf(app.EINVALID, "The picture is %d×%d pixels, too large to resize.", w, h)
	}
	if s := jpegReduction(w, h); format == "JPEG" && s > 1 {
		if pic, err := decodeReducedJPEG(data, s); err == nil {
			return pic, w, h, nil
		}
		// Not a JPEG the reduced decoder reads: image/jpeg decides.
	}
	img, err := decodeImage(bytes.NewReader(data))
	if err != nil {
		return picture{}, 0, 0, unreadable(format, data, err)
	}
	// A GIF's first frame may cover only part of its canvas; the rest is
	// background, which is white here as transparency is everywhere else.
	canvas := image.Rect(0, 0, w, h)
	if format != "GIF" {
		canvas = img.Bounds()
	}
	pic, err = toPicture(img, canvas)
	return pic, canvas.Dx(), canvas.Dy(), err
}

// jpegReduction returns by how much (1, 2, 4 or 8) a w×h JPEG can be
// reduced while decoding and still be at least as large as the large
// variant: as sharp does, and for the same reason.
func jpegReduction(w, h int) int {
	s := 1
	for s < 8 && max(w, h) >= 2*s*largeSide {
		s *= 2
	}
	return s
}

// unreadable explains a decoder's error to the person who uploaded the
// picture. Decoders word a file that ends too soon in many ways ("short
// Huffman data", "not enough pixel data"), so whether it does is read off
// the file itself: a complete one ends as its format ends.
func unreadable(format string, data []byte, err error) *app.Error {
	var why string
	var jpegUnsupported jpeg.UnsupportedError
	var pngUnsupported png.UnsupportedError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || !complete(format, data):
		why = "the " + format + " data is cut short. Upload the whole file again."
	case errors.As(err, &jpegUnsupported), errors.As(err, &pngUnsupported):
		why = "it uses a kind of " + format + " that is not supported (" + err.Error() + "). Save it again as an ordinary " + format + " and upload that."
	default:
		why = "the " + format + " data is damaged. Save it again and upload the new file."
	}
	return &app.Error{Code: app.EINVALID, Message: "The picture could not be read: " + why, Err: err}
}

// complete reports whether data ends the way a whole file of the format
// does: a JPEG with its EOI marker, a PNG with its IEND chunk, a GIF with
// its trailer, a WebP with as many bytes as its RIFF header says.
func complete(format string, data []byte) bool {
	switch format {
	case "JPEG":
		return bytes.HasSuffix(bytes.TrimRight(data, "\x00"), []byte{0xFF, 0xD9})
	case "PNG":
		return bytes.HasSuffix(data, []byte("\x00\x00\x00\x00IEND\xaeB`\x82"))
	case "GIF":
		return bytes.HasSuffix(data, []byte{0x3B})
	case "WebP":
		return len(data) >= 8 && len(data) >= 8+int(binary.LittleEndian.Uint32(data[4:8]))
	}
	return true
}

// toPicture takes the planes of img as they are when it is Y'CbCr or gray
// (JPEG, lossy WebP, gray PNG) and converts anything else to 4:2:0 over a
// white background, one pair of rows at a time, never as a whole RGBA copy.
func toPicture(img image.Image, canvas image.Rectangle) (picture, error) {
	if img.Bounds() == canvas && canvas.Min == (image.Point{}) {
		switch m := img.(type) {
		case *image.YCbCr:
			subX, subY, ok := subsampling(m.SubsampleRatio)
			if ok {
				w, h := canvas.Dx(), canvas.Dy()
				cw, ch := (w+subX-1)/subX, (h+subY-1)/subY
				return picture{
					y:    plane{w: w, h: h, stride: m.YStride, pix: m.Y},
					cb:   plane{w: cw, h: ch, stride: m.CStride, pix: m.Cb},
					cr:   plane{w: cw, h: ch, stride: m.CStride, pix: m.Cr},
					subX: subX, subY: subY, spanW: float64(w), spanH: float64(h),
				}, nil
			}
		case *image.Gray:
			return picture{y: plane{w: canvas.Dx(), h: canvas.Dy(), stride: m.Stride, pix: m.Pix}, gray: true,
				spanW: float64(canvas.Dx()), spanH: float64(canvas.Dy())}, nil
		}
	}
	return fromRGB(img, canvas), nil
}

// subsampling returns how many luma samples across and down share one
// chroma sample.
func subsampling(r image.YCbCrSubsampleRatio) (x, y int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// fromRGB converts img to 4:2:0 planes of canvas's size, compositing it
// over white. Each chroma sample is the mean of its 2×2 pixels' chroma.
func fromRGB(img image.Image, canvas image.Rectangle) picture {
	w, h := canvas.Dx(), canvas.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	pic := picture{y: newPlane(w, h), cb: newPlane(cw, ch), cr: newPlane(cw, ch), subX: 2, subY: 2,
		spanW: float64(w), spanH: float64(h)}
	read := rowReader(img)
	rgb := make([]uint8, 3*w)
	cb, cr := make([]uint16, cw), make([]uint16, cw)
	for y := range h {
		if y%2 == 0 {
			clear(cb)
			clear(cr)
		}
		for i := range rgb {
			rgb[i] = 255
		}
		// The part of the canvas that img covers on this row.
		if part := img.Bounds().Intersect(image.Rect(canvas.Min.X, canvas.Min.Y+y, canvas.Max.X, canvas.Min.Y+y+1)); !part.Empty() {
			x0 := part.Min.X - canvas.Min.X
			read(part.Min.Y, part.Min.X, part.Max.X, rgb[3*x0:3*(x0+part.Dx())])
		}
		out := pic.y.row(y)
		for x := range w {
			yy, u, v := color.RGBToYCbCr(rgb[3*x], rgb[3*x+1], rgb[3*x+2])
			out[x] = yy
			cb[x/2] += uint16(u)
			cr[x/2] += uint16(v)
		}
		if y%2 == 1 || y == h-1 {
			rows := 1 + y%2
			cbRow, crRow := pic.cb.row(y/2), pic.cr.row(y/2)
			for c := range cw {
				n := uint16(rows * min(2, w-2*c))
				cbRow[c] = uint8((cb[c] + n/2) / n)
				crRow[c] = uint8((cr[c] + n/2) / n)
			}
		}
	}
	return pic
}

// rowReader returns a function that writes the pixels x0 ≤ x < x1 of row y
// of img into rgb as R, G, B bytes composited over white. It has fast
// paths for what the PNG, GIF and JPEG decoders return; anything else goes
// through img.At.
func rowReader(img image.Image) func(y, x0, x1 int, rgb []uint8) {
	switch m := img.(type) {
	case *image.NRGBA:
		return func(y, x0, x1 int, rgb []uint8) {
			s := m.Pix[m.PixOffset(x0, y) : m.PixOffset(x1-1, y)+4]
			for i := 0; i < len(s); i += 4 {
				a := uint32(s[i+3])
				for c := range 3 {
					rgb[i/4*3+c] = uint8((uint32(s[i+c])*a + 255*(255-a) + 127) / 255)
				}
			}
		}
	case *image.RGBA: // premultiplied: over white is c + (255 - a)
		return func(y, x0, x1 int, rgb []uint8) {
			s := m.Pix[m.PixOffset(x0, y) : m.PixOffset(x1-1, y)+4]
			for i := 0; i < len(s); i += 4 {
				a := s[i+3]
				for c := range 3 {
					rgb[i/4*3+c] = min(s[i+c], a) + (255 - a)
				}
			}
		}
	case *image.Paletted:
		var lut [256][3]uint8
		for i := range lut {
			lut[i] = [3]uint8{255, 255, 255}
			if i < len(m.Palette) {
				lut[i] = overWhite(m.Palette[i])
			}
		}
		return func(y, x0, x1 int, rgb []uint8) {
			for i, p := range m.Pix[m.PixOffset(x0, y):m.PixOffset(x1, y)] {
				copy(rgb[3*i:3*i+3], lut[p][:])
			}
		}
	case *image.CMYK:
		return func(y, x0, x1 int, rgb []uint8) {
			s := m.Pix[m.PixOffset(x0, y) : m.PixOffset(x1-1, y)+4]
			for i := 0; i < len(s); i += 4 {
				r, g, b := color.CMYKToRGB(s[i], s[i+1], s[i+2], s[i+3])
				rgb[i/4*3], rgb[i/4*3+1], rgb[i/4*3+2] = r, g, b
			}
		}
	}
	return func(y, x0, x1 int, rgb []uint8) {
		for x := x0; x < x1; x++ {
			c := overWhite(img.At(x, y))
			copy(rgb[3*(x-x0):], c[:])
		}
	}
}

// overWhite composites c over white.
func overWhite(c color.Color) [3]uint8 {
	r, g, b, a := c.RGBA() // premultiplied, 16 bits
	return [3]uint8{uint8((r + 0xffff - a) >> 8), uint8((g + 0xffff - a) >> 8), uint8((b + 0xffff - a) >> 8)}
}
