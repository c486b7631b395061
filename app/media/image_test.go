package media_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/webp" // image.Decode of the WebP fixtures

	"smartbot/app"
	"smartbot/app/media"
)

// photo returns a w×h picture with the make-up of a photo: smooth light
// and colour, hard-edged shapes, fine texture and noise.
func photo(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for y := range h {
		for x := range w {
			v := 128 + 60*math.Sin(float64(x)/float64(w)*5) + 40*math.Cos(float64(y)/float64(h)*4) + 20*math.Sin(float64(x)/37)
			if (x/(w/13+1)+y/(h/9+1))%3 == 0 {
				v += 22 * math.Sin(float64(x)/2.3) * math.Sin(float64(y)/3.1)
			}
			if dx, dy := float64(x%(w/4+1)-w/8), float64(y%(h/3+1)-h/6); dx*dx+dy*dy < float64(w*w)/400 {
				v += 50
			}
			img.Y[y*img.YStride+x] = uint8(max(0, min(255, v+rng.NormFloat64()*5)))
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			img.Cb[y*img.CStride+x] = uint8(128 + 40*math.Sin(float64(x)/float64(w)*9) + rng.NormFloat64()*2)
			img.Cr[y*img.CStride+x] = uint8(128 - 40*math.Cos(float64(y)/float64(h)*7) + rng.NormFloat64()*2)
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func makeVariants(t testing.TB, data []byte, mime string, orientation int) *media.Variants {
	t.Helper()
	v, err := media.MakeVariants(context.Background(), bytes.NewReader(data), mime, orientation)
	if err != nil {
		t.Fatalf("MakeVariants(%s, orientation %d): %v", mime, orientation, err)
	}
	return v
}

func decodeJPEG(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("a variant is not a JPEG image/jpeg reads: %v", err)
	}
	return img
}

// size is a variant's expected width and height.
type size struct{ w, h int }

func TestVariantsHaveTheirSizesAndAreNeverUpscaled(t *testing.T) {
	for _, c := range []struct {
		name                         string
		w, h                         int
		large, medium, thumb, inline size
	}{
		{"landscape", 1600, 1200, size{1280, 960}, size{480, 360}, size{150, 113}, size{72, 54}},
		{"portrait", 1200, 1600, size{960, 1280}, size{360, 480}, size{113, 150}, size{54, 72}},
		{"square", 1000, 1000, size{1000, 1000}, size{480, 480}, size{150, 150}, size{72, 72}},
		{"smaller than large", 800, 500, size{800, 500}, size{480, 300}, size{150, 94}, size{72, 45}},
		{"smaller than thumb", 100, 60, size{100, 60}, size{100, 60}, size{100, 60}, size{72, 43}},
		{"smaller than inline", 40, 30, size{40, 30}, size{40, 30}, size{40, 30}, size{40, 30}},
		{"one pixel", 1, 1, size{1, 1}, size{1, 1}, size{1, 1}, size{1, 1}},
		// Long enough for the reduced decode (2560 or more on the long side).
		{"long strip", 2600, 41, size{1280, 20}, size{480, 8}, size{150, 2}, size{72, 1}},
		{"one row", 3000, 1, size{1280, 1}, size{480, 1}, size{150, 1}, size{72, 1}},
		{"one column", 1, 3000, size{1, 1280}, size{1, 480}, size{1, 150}, size{1, 72}},
		{"odd sizes, reduced", 2601, 1733, size{1280, 853}, size{480, 320}, size{150, 100}, size{72, 48}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := makeVariants(t, encodeJPEG(t, photo(c.w, c.h), 90), "image/jpeg", 1)
			if v.Width != c.w || v.Height != c.h {
				t.Errorf("Variants say %dx%d, want the original's %dx%d", v.Width, v.Height, c.w, c.h)
			}
			for _, vc := range []struct {
				v    media.Variant
				name string
				want size
			}{{v.Large, app.VariantLarge, c.large}, {v.Medium, app.VariantMedium, c.medium}, {v.Thumb, app.VariantThumb, c.thumb}} {
				if vc.v.Name != vc.name {
					t.Errorf("variant named %q, want %q", vc.v.Name, vc.name)
				}
				got := decodeJPEG(t, vc.v.JPEG).Bounds().Size()
				if (size{vc.v.Width, vc.v.Height}) != vc.want || (size{got.X, got.Y}) != vc.want {
					t.Errorf("%s is %dx%d and says %dx%d, want %dx%d", vc.name, got.X, got.Y, vc.v.Width, vc.v.Height, vc.want.w, vc.want.h)
				}
			}
			in := decodeJPEG(t, v.Inline).Bounds().Size()
			if (size{in.X, in.Y}) != c.inline {
				t.Errorf("inline thumbnail is %dx%d, want %dx%d", in.X, in.Y, c.inline.w, c.inline.h)
			}
			if len(v.Inline) > 4<<10 {
				t.Errorf("inline thumbnail is %d bytes; WhatsApp messages carry a few KB at most", len(v.Inline))
			}
		})
	}
}

// Corner colours of the upright test picture.
var (
	red   = color.NRGBA{220, 30, 30, 255}
	green = color.NRGBA{30, 200, 40, 255}
	blue  = color.NRGBA{30, 40, 220, 255}
	grey  = color.NRGBA{128, 128, 128, 255}
)

// upright is a w×h picture with red, green and blue patches in its
// top-left, top-right and bottom-left corners: no turn or mirror maps
// those three onto themselves.
func upright(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	pw, ph := w/4, h/4
	for y := range h {
		for x := range w {
			c := grey
			switch {
			case x < pw && y < ph:
				c = red
			case x >= w-pw && y < ph:
				c = green
			case x < pw && y >= h-ph:
				c = blue
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// cameraStored returns what a camera stores for the upright picture img when
// it tags it with EXIF orientation o: the inverse of what o asks a viewer
// to do, made with imaging's transforms, not this package's.
func cameraStored(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6: // viewers turn it a quarter clockwise, so it is stored a quarter anticlockwise
		return imaging.Rotate90(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate270(img)
	}
	return img
}

// nearest names the corner colour closest to c.
func nearest(c color.Color) string {
	r, g, b, _ := c.RGBA()
	best, name := math.Inf(1), ""
	for _, k := range []struct {
		c    color.NRGBA
		name string
	}{{red, "red"}, {green, "green"}, {blue, "blue"}, {grey, "grey"}} {
		d := math.Pow(float64(r>>8)-float64(k.c.R), 2) + math.Pow(float64(g>>8)-float64(k.c.G), 2) + math.Pow(float64(b>>8)-float64(k.c.B), 2)
		if d < best {
			best, name = d, k.name
		}
	}
	return name
}

func TestEveryOrientationComesOutUpright(t *testing.T) {
	for _, dims := range []size{{320, 200}, {2600, 1040}} { // image/jpeg, and the reduced decode
		want := upright(dims.w, dims.h)
		for o := 1; o <= 8; o++ {
			t.Run(fmt.Sprintf("%dx%d orientation %d", dims.w, dims.h, o), func(t *testing.T) {
				v := makeVariants(t, encodeJPEG(t, cameraStored(want, o), 95), "image/jpeg", o)
				if v.Width != dims.w || v.Height != dims.h {
					t.Errorf("upright size %dx%d, want %dx%d", v.Width, v.Height, dims.w, dims.h)
				}
				for _, b := range [][]byte{v.Large.JPEG, v.Medium.JPEG, v.Thumb.JPEG, v.Inline} {
					img := decodeJPEG(t, b)
					s := img.Bounds().Size()
					if (s.X > s.Y) != (dims.w > dims.h) {
						t.Fatalf("a %dx%d variant of a %dx%d picture is not upright", s.X, s.Y, dims.w, dims.h)
					}
					// Sample each corner a tenth of the way in.
					at := func(fx, fy float64) string { return nearest(img.At(int(fx*float64(s.X)), int(fy*float64(s.Y)))) }
					got := [4]string{at(0.1, 0.1), at(0.9, 0.1), at(0.1, 0.9), at(0.9, 0.9)}
					if got != [4]string{"red", "green", "blue", "grey"} {
						t.Fatalf("%dx%d variant's corners (top-left, top-right, bottom-left, bottom-right) are %v, want red, green, blue, grey", s.X, s.Y, got)
					}
				}
			})
		}
	}
}

// markers lists the segment markers of a JPEG up to its scan.
func markers(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Fatal("no SOI marker")
	}
	var ms []byte
	for i := 2; ; {
		if i+4 > len(b) || b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		m := b[i+1]
		ms = append(ms, m)
		if m == 0xDA {
			return ms
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
	}
}

// withMetadata puts an EXIF segment (orientation 6, a GPS-like tag, a
// camera name), an ICC profile segment, an XMP segment and a comment in
// front of a JPEG's other segments, as a phone would.
func withMetadata(jpg []byte) []byte {
	seg := func(marker byte, payload string) []byte {
		n := len(payload) + 2
		return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
	}
	exif := "Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00SecretCamera GPS 17.83S 31.05E"
	var out []byte
	out = append(out, jpg[:2]...)
	out = append(out, seg(0xE1, exif)...)
	out = append(out, seg(0xE2, "ICC_PROFILE\x00\x01\x01SecretProfile")...)
	out = append(out, seg(0xE1, "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>SecretXMP</x:xmpmeta>")...)
	out = append(out, seg(0xFE, "SecretComment")...)
	return append(out, jpg[2:]...)
}

func TestVariantsCarryNoMetadata(t *testing.T) {
	for _, dims := range []size{{600, 400}, {2600, 300}} {
		t.Run(fmt.Sprintf("%dx%d", dims.w, dims.h), func(t *testing.T) {
			in := withMetadata(encodeJPEG(t, photo(dims.w, dims.h), 90))
			v := makeVariants(t, in, "image/jpeg", 6)
			for name, b := range map[string][]byte{"large": v.Large.JPEG, "medium": v.Medium.JPEG, "thumb": v.Thumb.JPEG, "inline": v.Inline} {
				decodeJPEG(t, b)
				for _, m := range markers(t, b) {
					// image/jpeg writes DQT, SOF0, DHT and SOS, and nothing else.
					if m != 0xDB && m != 0xC0 && m != 0xC4 && m != 0xDA {
						t.Errorf("%s has a segment with marker 0x%02X (APPn are 0xE0-0xEF, COM is 0xFE); want none but DQT, SOF0, DHT, SOS", name, m)
					}
				}
				if bytes.Contains(b, []byte("Secret")) {
					t.Errorf("%s carries the original's metadata", name)
				}
			}
		})
	}
}

func TestAGIFGivesItsFirstFrame(t *testing.T) {
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}, color.RGBA{}}
	frame := func(r image.Rectangle, index uint8) *image.Paletted {
		p := image.NewPaletted(r, pal)
		for i := range p.Pix {
			p.Pix[i] = index
		}
		return p
	}
	for _, c := range []struct {
		name   string
		first  *image.Paletted
		center string
		corner string
	}{
		{"a full first frame", frame(image.Rect(0, 0, 40, 30), 0), "red", "red"},
		// The canvas the first frame leaves uncovered is background: white.
		{"a first frame covering the middle", frame(image.Rect(10, 8, 30, 22), 0), "red", "white"},
		{"a transparent first frame", frame(image.Rect(0, 0, 40, 30), 2), "white", "white"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			g := &gif.GIF{Image: []*image.Paletted{c.first, frame(image.Rect(0, 0, 40, 30), 1)}, Delay: []int{10, 10},
				Config: image.Config{Width: 40, Height: 30, ColorModel: pal}}
			if err := gif.EncodeAll(&buf, g); err != nil {
				t.Fatal(err)
			}
			v := makeVariants(t, buf.Bytes(), "image/gif", 1)
			img := decodeJPEG(t, v.Large.JPEG)
			if s := img.Bounds().Size(); s.X != 40 || s.Y != 30 {
				t.Fatalf("large is %v, want the canvas's 40x30", s)
			}
			name := func(c color.Color) string {
				r, g, b, _ := c.RGBA()
				switch {
				case r>>8 > 200 && g>>8 > 200 && b>>8 > 200:
					return "white"
				case r>>8 > 180 && g>>8 < 80 && b>>8 < 80:
					return "red"
				case b>>8 > 180 && r>>8 < 80:
					return "blue"
				}
				return fmt.Sprint(c)
			}
			if got := name(img.At(20, 15)); got != c.center {
				t.Errorf("centre is %s, want %s (the first frame's)", got, c.center)
			}
			if got := name(img.At(2, 2)); got != c.corner {
				t.Errorf("corner is %s, want %s", got, c.corner)
			}
		})
	}
}

func TestTransparencyBecomesWhiteNotBlack(t *testing.T) {
	// Transparent all round, a half-transparent black band, an opaque
	// black square in the middle.
	img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			switch {
			case x >= 100 && x < 200 && y >= 60 && y < 140:
				img.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 255})
			case y >= 160 && y < 190:
				img.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 128})
			default:
				img.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 0})
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	v := makeVariants(t, buf.Bytes(), "image/png", 1)
	out := decodeJPEG(t, v.Large.JPEG)
	for _, c := range []struct {
		x, y     int
		lo, hi   uint32
		describe string
	}{
		{10, 10, 245, 255, "a transparent corner is white"},
		{150, 100, 0, 10, "the opaque square stays black"},
		{150, 175, 120, 136, "black at half opacity over white is mid grey"},
	} {
		r, g, b, _ := out.At(c.x, c.y).RGBA()
		for _, v := range []uint32{r >> 8, g >> 8, b >> 8} {
			if v < c.lo || v > c.hi {
				t.Errorf("%s: got %d,%d,%d at (%d,%d), want each in %d-%d", c.describe, r>>8, g>>8, b>>8, c.x, c.y, c.lo, c.hi)
				break
			}
		}
	}
}

// Fixtures made with libjpeg-turbo's cjpeg, ImageMagick and cwebp from one
// 2561x35 picture (a 64x48 one for WebP): the JPEG kinds image/jpeg's
// encoder cannot write. See testdata/golden/README.
func TestEveryKindOfFileGivesVariants(t *testing.T) {
	for _, c := range []struct {
		file, mime string
		large      size
		alpha      bool
	}{
		{"s444.jpg", "image/jpeg", size{1280, 17}, false},
		{"s422.jpg", "image/jpeg", size{1280, 17}, false},
		{"s420-restart.jpg", "image/jpeg", size{1280, 17}, false},
		{"s440.jpg", "image/jpeg", size{1280, 17}, false},
		{"s411.jpg", "image/jpeg", size{1280, 17}, false},
		{"gray.jpg", "image/jpeg", size{1280, 17}, false},
		{"progressive.jpg", "image/jpeg", size{1280, 17}, false},
		{"rgb.jpg", "image/jpeg", size{1280, 17}, false},
		{"cmyk.jpg", "image/jpeg", size{1280, 17}, false},
		{"opaque-lossy.webp", "image/webp", size{64, 48}, false},
		{"alpha-lossy.webp", "image/webp", size{64, 48}, true},
		{"alpha-lossless.webp", "image/webp", size{64, 48}, true},
	} {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/golden/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			v := makeVariants(t, data, c.mime, 1)
			img := decodeJPEG(t, v.Large.JPEG)
			if s := img.Bounds().Size(); (size{s.X, s.Y}) != c.large {
				t.Fatalf("large is %v, want %v", s, c.large)
			}
			// The original, decoded and resized by imaging, is what the
			// variant should look like (roughly: colours to within JPEG's
			// and the resizer's differences).
			orig, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			ref := imaging.Resize(imaging.OverlayCenter(imaging.New(orig.Bounds().Dx(), orig.Bounds().Dy(), color.White), orig, 1), c.large.w, c.large.h, imaging.Lanczos)
			if p := psnr(img, ref); p < 28 {
				t.Errorf("large is %.1f dB from imaging's resize of the original over white, want 28 or more: wrong colours or geometry", p)
			}
			if c.alpha {
				if r, g, b, _ := img.At(1, 1).RGBA(); r>>8 < 240 || g>>8 < 240 || b>>8 < 240 {
					t.Errorf("transparent corner is %d,%d,%d, want white", r>>8, g>>8, b>>8)
				}
			}
		})
	}
}

// psnr compares two pictures of the same size in R, G and B.
func psnr(a, b image.Image) float64 {
	var se float64
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x-r.Min.X+b.Bounds().Min.X, y-r.Min.Y+b.Bounds().Min.Y).RGBA()
			for _, d := range [3]float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				se += d * d
			}
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(3*r.Dx()*r.Dy())/se)
}

// The naive pipeline (image/jpeg at full size, imaging's Lanczos straight
// to each size, quality 80) is the reference. Ours decodes at half size,
// resizes in a cascade and in Y'CbCr, so it differs; the test asks that
// it differs from the reference by no more than the reference's own
// JPEG encoding does (its PSNR against itself re-encoded, less 1 dB).
// That is the most any difference can matter: below what quality 80
// already changes.
func TestVariantsLookLikeImagingsLanczos(t *testing.T) {
	for _, dims := range []size{{2600, 900}, {900, 600}} {
		t.Run(fmt.Sprintf("%dx%d", dims.w, dims.h), func(t *testing.T) {
			data := encodeJPEG(t, photo(dims.w, dims.h), 90)
			full := decodeJPEG(t, data)
			v := makeVariants(t, data, "image/jpeg", 1)
			for _, vv := range []media.Variant{v.Large, v.Medium, v.Thumb} {
				ref := imaging.Resize(full, vv.Width, vv.Height, imaging.Lanczos)
				floor := psnr(decodeJPEG(t, encodeJPEG(t, ref, 80)), ref) - 1
				if got := psnr(decodeJPEG(t, vv.JPEG), ref); got < floor {
					t.Errorf("%s (%dx%d) is %.2f dB from imaging's Lanczos; want at least %.2f", vv.Name, vv.Width, vv.Height, got, floor)
				} else {
					t.Logf("%s (%dx%d): %.2f dB from imaging's Lanczos (floor %.2f)", vv.Name, vv.Width, vv.Height, got, floor)
				}
			}
		})
	}
}

func TestUnreadablePicturesAreInvalidWithAReason(t *testing.T) {
	small := encodeJPEG(t, photo(300, 200), 90)
	large := encodeJPEG(t, photo(2600, 400), 90) // tried by the reduced decoder first
	var pngBuf, gifBuf bytes.Buffer
	if err := png.Encode(&pngBuf, photo(300, 200)); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gifBuf, photo(300, 200), nil); err != nil {
		t.Fatal(err)
	}
	garbled := append([]byte{}, large...)
	for i := len(garbled) / 3; i < len(garbled)-2; i += 7 {
		garbled[i] ^= 0x5A
	}
	for _, c := range []struct {
		name, mime string
		data       []byte
		says       string
	}{
		{"a JPEG cut short", "image/jpeg", small[:len(small)/2], "The picture could not be read: the JPEG data is cut short."},
		{"a large JPEG cut short", "image/jpeg", large[:len(large)*2/3], "The picture could not be read: the JPEG data is cut short."},
		{"a JPEG with only its header", "image/jpeg", large[:600], "The picture could not be read: the JPEG data is cut short."},
		{"a garbled JPEG", "image/jpeg", garbled, "The picture could not be read: the JPEG data is damaged."},
		{"a PNG cut short", "image/png", pngBuf.Bytes()[:pngBuf.Len()/2], "The picture could not be read: the PNG data is cut short."},
		{"a GIF cut short", "image/gif", gifBuf.Bytes()[:gifBuf.Len()/2], "The picture could not be read: the GIF data is cut short."},
		{"not a picture at all", "image/webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 nonsense"), "The picture could not be read: the WebP data"},
		{"nothing", "image/jpeg", nil, "The picture could not be read: the JPEG data is cut short."},
		{"a type that has no variants", "image/bmp", small, "Only JPEG, PNG, WebP and GIF pictures can be resized"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := media.MakeVariants(context.Background(), bytes.NewReader(c.data), c.mime, 1)
			if err == nil {
				t.Fatalf("made variants (%dx%d) of %s", v.Width, v.Height, c.name)
			}
			if app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("error %v has code %q, want %q", err, app.ErrorCode(err), app.EINVALID)
			}
			if msg := app.ErrorMessage(err); !strings.HasPrefix(msg, c.says) {
				t.Errorf("message %q, want it to start %q", msg, c.says)
			}
		})
	}
}

// blockingReader holds a decode slot: MakeVariants reads its input only
// once it has one, and this input answers only when released.
type blockingReader struct{ release chan struct{} }

func (r blockingReader) Read([]byte) (int, error) {
	<-r.release
	return 0, errors.New("released")
}

func TestWaitingForADecodeSlotEndsWithTheContext(t *testing.T) {
	release := make(chan struct{})
	holders := make(chan error, runtime.NumCPU())
	// Fill every slot. The holders are started before the waiter, but
	// nothing says they are first to take the slots; the waiter then
	// holds one, and a holder waits instead, which the test also covers.
	for range runtime.NumCPU() {
		go func() {
			_, err := media.MakeVariants(context.Background(), blockingReader{release}, "image/jpeg", 1)
			holders <- err
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the holders take the slots
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := media.MakeVariants(ctx, bytes.NewReader(encodeJPEG(t, photo(30, 20), 90)), "image/jpeg", 1)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("MakeVariants returned (%v) while every slot was taken", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("waiting MakeVariants returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("MakeVariants went on waiting for a slot after its context ended")
	}
	close(release)
	for range runtime.NumCPU() {
		if err := <-holders; err == nil {
			t.Error("a holder made variants of nothing")
		}
	}
	// The slots came back: a new call gets one.
	makeVariants(t, encodeJPEG(t, photo(30, 20), 90), "image/jpeg", 1)
}

func TestAnEndedContextStopsBeforeDecoding(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := media.MakeVariants(ctx, io.MultiReader(), "image/jpeg", 1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
