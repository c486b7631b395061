package media

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"testing"
)

// fullPlanes decodes data with image/jpeg and returns its luma and first
// chroma plane (chroma is empty for gray).
func fullPlanes(t testing.TB, data []byte) (y, cb plane) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		sx, sy, _ := subsampling(m.SubsampleRatio)
		w, h := m.Rect.Dx(), m.Rect.Dy()
		return plane{w: w, h: h, stride: m.YStride, pix: m.Y},
			plane{w: (w + sx - 1) / sx, h: (h + sy - 1) / sy, stride: m.CStride, pix: m.Cb}
	case *image.Gray:
		return plane{w: m.Rect.Dx(), h: m.Rect.Dy(), stride: m.Stride, pix: m.Pix}, plane{}
	}
	t.Fatalf("image/jpeg gave a %T", img)
	return
}

// A reduced decode samples each block at the centres of 2×2, 4×4 or 8×8
// squares with the higher frequencies left out; a full decode averaged
// over the same squares keeps a little of them. The two agree to 40 dB or
// better on a photo (measured 43-61 dB): a wrong coefficient, sign, scale
// or block position costs 20 dB or more.
func TestTheReducedDecodeMatchesAFullDecodeAveraged(t *testing.T) {
	cases := map[string][]byte{}
	for _, name := range []string{"s444", "s422", "s420-restart", "s440", "s411", "gray"} {
		b, err := os.ReadFile("testdata/golden/" + name + ".jpg")
		if err != nil {
			t.Fatal(err)
		}
		cases[name] = b
	}
	// image/jpeg's own 4:2:0 at sizes that end mid-block and mid-MCU.
	for _, s := range [][2]int{{64, 48}, {65, 49}, {71, 9}, {8, 8}, {1, 1}, {17, 300}} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, smooth(s[0], s[1]), &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		cases[fmt.Sprintf("image/jpeg %dx%d", s[0], s[1])] = buf.Bytes()
	}
	// A low quality, whose quantization steps differ most between
	// coefficients.
	var low bytes.Buffer
	if err := jpeg.Encode(&low, smooth(130, 90), &jpeg.Options{Quality: 20}); err != nil {
		t.Fatal(err)
	}
	cases["image/jpeg 130x90 quality 20"] = low.Bytes()
	for name, data := range cases {
		y, cb := fullPlanes(t, data)
		for _, scale := range []int{2, 4, 8} {
			t.Run(fmt.Sprintf("%s at 1/%d", name, scale), func(t *testing.T) {
				pic, err := decodeReducedJPEG(data, scale)
				if err != nil {
					t.Fatalf("the reduced decoder refused a file it is for: %v", err)
				}
				if w, h := (y.w+scale-1)/scale, (y.h+scale-1)/scale; pic.y.w != w || pic.y.h != h {
					t.Fatalf("luma is %dx%d, want %dx%d", pic.y.w, pic.y.h, w, h)
				}
				if sw, sh := float64(y.w)/float64(scale), float64(y.h)/float64(scale); pic.spanW != sw || pic.spanH != sh {
					t.Errorf("spans %vx%v, want %vx%v", pic.spanW, pic.spanH, sw, sh)
				}
				if p := edgeless(pic.y, shrinkPlane(y, scale, scale), y, scale); p < 40 {
					t.Errorf("luma is %.1f dB from the full decode averaged, want 40 or more", p)
				}
				if cb.w == 0 {
					if !pic.gray {
						t.Error("a gray JPEG decoded as colour")
					}
					return
				}
				if pic.cb.w != (cb.w+scale-1)/scale || pic.cb.h != (cb.h+scale-1)/scale {
					t.Fatalf("chroma is %dx%d, want %dx%d", pic.cb.w, pic.cb.h, (cb.w+scale-1)/scale, (cb.h+scale-1)/scale)
				}
				if p := edgeless(pic.cb, shrinkPlane(cb, scale, scale), cb, scale); p < 40 {
					t.Errorf("chroma is %.1f dB from the full decode averaged, want 40 or more", p)
				}
			})
		}
	}
}

// edgeless compares reduced and averaged planes without their last column
// and row where those stand partly past the picture's edge: there the
// reduced decode also averages the encoder's padding, by design.
func edgeless(reduced, averaged, full plane, scale int) float64 {
	w, h := reduced.w, reduced.h
	if full.w%scale != 0 {
		w--
	}
	if full.h%scale != 0 {
		h--
	}
	if w < 1 || h < 1 {
		return math.Inf(1)
	}
	return planePSNR(plane{w: w, h: h, stride: reduced.stride, pix: reduced.pix}, plane{w: w, h: h, stride: averaged.stride, pix: averaged.pix})
}

// smooth is a w×h colour picture of gentle gradients: what is left of a
// photo at the scales a reduced decode keeps, so that averaging and the
// reduced inverse DCT should agree on it wherever the blocks fall.
func smooth(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = uint8(128 + 50*math.Sin(float64(x)/40) + 30*math.Cos(float64(y)/30) + 25*math.Sin(float64(x+2*y)/6))
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			img.Cb[y*img.CStride+x] = uint8(128 + 50*math.Sin(float64(x+y)/25))
			img.Cr[y*img.CStride+x] = uint8(128 - 50*math.Cos(float64(x-y)/20))
		}
	}
	return img
}

func TestTheReducedDecoderLeavesOtherJPEGsToImageJPEG(t *testing.T) {
	for _, name := range []string{"progressive", "rgb", "cmyk"} {
		data, err := os.ReadFile("testdata/golden/" + name + ".jpg")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeReducedJPEG(data, 2); !errors.Is(err, errReducedUnsupported) {
			t.Errorf("%s: got %v, want errReducedUnsupported", name, err)
		}
	}
	full, err := os.ReadFile("testdata/golden/s420-restart.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{len(full) / 2, len(full) - 3, 700} {
		if _, err := decodeReducedJPEG(full[:cut], 2); err == nil {
			t.Errorf("a file cut to %d of %d bytes decoded", cut, len(full))
		}
	}
}

// FuzzReduceJPEG feeds the reduced decoder anything: it must not panic
// (its safety net is off here), and what it decodes must have the size
// the header says.
func FuzzReduceJPEG(f *testing.F) {
	for _, name := range []string{"s444", "s422", "s420-restart", "s440", "s411", "gray", "progressive"} {
		b, err := os.ReadFile("testdata/golden/" + name + ".jpg")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 4000)], uint8(1))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, smooth(20, 12), &jpeg.Options{Quality: 50}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes(), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, s uint8) {
		// MakeVariants reads the header with image/jpeg before anything
		// else, so the reduced decoder only sees files that pass that.
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > 1<<20 {
			return
		}
		scale := 2 << (s % 3)
		pic, err := reduceJPEG(data, scale)
		if err != nil {
			return
		}
		if pic.y.w != (cfg.Width+scale-1)/scale || pic.y.h != (cfg.Height+scale-1)/scale {
			t.Fatalf("decoded %dx%d at 1/%d of a %dx%d header", pic.y.w, pic.y.h, scale, cfg.Width, cfg.Height)
		}
	})
}

// MakeVariants decodes a JPEG at the smallest size, halving from the
// original, that is still at least the large variant's; a JPEG the
// reduced decoder does not read is decoded whole.
func TestJPEGsAreDecodedAsSmallAsTheLargeVariantAllows(t *testing.T) {
	progressive, err := os.ReadFile("testdata/golden/progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		data       []byte
		w, h, want int
	}{
		{"2559 wide: whole", nil, 2559, 16, 2559},
		{"2560 wide: half", nil, 2560, 16, 1280},
		{"5119 wide: half", nil, 5119, 16, 2560},
		{"5120 wide: quarter", nil, 5120, 16, 1280},
		{"16384 tall: eighth", nil, 8, 16384, 1},
		{"progressive 2561 wide: whole", progressive, 2561, 35, 2561},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.data
			if data == nil {
				var buf bytes.Buffer
				if err := jpeg.Encode(&buf, smooth(c.w, c.h), &jpeg.Options{Quality: 75}); err != nil {
					t.Fatal(err)
				}
				data = buf.Bytes()
			}
			pic, w, h, err := decode(data, "image/jpeg")
			if err != nil {
				t.Fatal(err)
			}
			if w != c.w || h != c.h {
				t.Errorf("decode says %dx%d, want the original's %dx%d", w, h, c.w, c.h)
			}
			if pic.y.w != c.want {
				t.Errorf("decoded %d wide, want %d", pic.y.w, c.want)
			}
		})
	}
}

// Gray blocks whose only coefficient besides DC is the 17th in zigzag
// order (row 2, column 3): the data codes the 16 zeros before it as one
// ZRL symbol. A reduced decode samples the pattern at the centres of
// 2×2 squares, so the pattern itself, evaluated there, is what it must
// give (averaging would not do as an oracle: it damps a pattern this fine
// by a quarter).
func TestARunOfSixteenZerosKeepsTheCoefficientAfterIt(t *testing.T) {
	pattern := func(x, y float64) float64 {
		return 128 + 90*math.Cos((2*x+1)*3*math.Pi/16)*math.Cos((2*y+1)*2*math.Pi/16)
	}
	img := image.NewGray(image.Rect(0, 0, 32, 16))
	for y := range 16 {
		for x := range 32 {
			img.Pix[y*32+x] = uint8(math.Round(pattern(float64(x%8), float64(y%8))))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	pic, err := decodeReducedJPEG(buf.Bytes(), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := newPlane(16, 8)
	for y := range 8 {
		for x := range 16 {
			want.pix[y*16+x] = uint8(math.Round(pattern(float64(2*(x%4))+0.5, float64(2*(y%4))+0.5)))
		}
	}
	if p := planePSNR(pic.y, want); p < 35 {
		t.Errorf("%.1f dB from the pattern sampled at the 2×2 centres, want 35 or more", p)
	}
}
