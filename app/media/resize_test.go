package media

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"
)

// texture is a w×h gray plane with what makes resizing hard: smooth
// ramps, hard edges, fine periodic detail near the Nyquist limit, noise.
func texture(w, h int, seed uint64) plane {
	p := newPlane(w, h)
	rng := rand.New(rand.NewPCG(seed, 1))
	for y := range h {
		for x := range w {
			v := 100 + 60*math.Sin(float64(x)/float64(w)*7) + 40*math.Cos(float64(y)/float64(h)*5)
			if (x/50+y/40)%2 == 0 {
				v += 30 * math.Sin(float64(x)/1.7) * math.Sin(float64(y)/2.3)
			}
			if x%97 < 48 && y%83 < 41 {
				v += 40
			}
			p.pix[y*p.stride+x] = uint8(max(0, min(255, v+rng.NormFloat64()*6)))
		}
	}
	return p
}

func planePSNR(a, b plane) float64 {
	var se float64
	for y := range a.h {
		for x := range a.w {
			d := float64(a.pix[y*a.stride+x]) - float64(b.pix[y*b.stride+x])
			se += d * d
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(a.w*a.h)/se)
}

// The resizer's Lanczos must match imaging's, which the project chose:
// same kernel, same geometry. They differ by design only at the edges
// (imaging drops taps past the edge, this repeats the edge sample), in
// fixed-point rounding, and where a box averages first (reductions by 4
// or more). 45 dB is a mean error of 1.4 levels out of 255: nothing a
// person sees, and well below what JPEG at quality 80 itself changes
// (36-40 dB); a wrong phase, a missing widening of the kernel or a wrong
// box shows as 30 dB or less.
func TestTheResizerMatchesImagingsLanczos(t *testing.T) {
	src := texture(1600, 1200, 1)
	gray := &image.Gray{Pix: src.pix, Stride: src.stride, Rect: image.Rect(0, 0, src.w, src.h)}
	for _, dst := range []struct{ w, h int }{
		{1280, 960}, // 1.25: the large variant after a half-size decode of a 2000-pixel photo
		{800, 600},  // 2
		{480, 360},  // 3.3: medium from large
		{150, 113},  // 10.7: box by 5, then Lanczos
		{1200, 300}, // a different reduction across and down
		{1600, 600}, // down only
	} {
		t.Run(fmt.Sprintf("to %dx%d", dst.w, dst.h), func(t *testing.T) {
			got := newPlane(dst.w, dst.h)
			resizePlane(got, src, float64(src.w)/float64(dst.w), float64(src.h)/float64(dst.h))
			ref := imaging.Resize(gray, dst.w, dst.h, imaging.Lanczos)
			want := newPlane(dst.w, dst.h)
			for i := range want.pix {
				want.pix[i] = ref.Pix[4*i]
			}
			// Leave out the edges, where the two treat missing samples
			// differently on purpose, and compare the rest.
			m := 4
			inner := func(p plane) plane {
				return plane{w: p.w - 2*m, h: p.h - 2*m, stride: p.stride, pix: p.pix[m*p.stride+m:]}
			}
			if p := planePSNR(inner(got), inner(want)); p < 45 {
				t.Errorf("%.1f dB from imaging's Lanczos, want 45 or more", p)
			} else {
				t.Logf("%.1f dB from imaging's Lanczos", p)
			}
		})
	}
}

func TestAFlatPlaneStaysExactlyFlat(t *testing.T) {
	for _, v := range []uint8{0, 1, 128, 254, 255} {
		src := newPlane(333, 211)
		for i := range src.pix {
			src.pix[i] = v
		}
		for _, s := range [][2]int{{100, 70}, {333, 50}, {7, 211}, {1, 1}, {40, 13}} {
			dst := newPlane(s[0], s[1])
			resizePlane(dst, src, 333/float64(s[0]), 211/float64(s[1]))
			for i, got := range dst.pix {
				if got != v {
					t.Fatalf("a flat %d plane resized to %v has %d at %d", v, s, got, i)
				}
			}
		}
	}
}

func TestFilterWeightsSumToOne(t *testing.T) {
	for _, c := range []struct {
		src, dst int
		scale    float64
	}{{4000, 1280, 3.125}, {1000, 1000, 1}, {640, 480, 4.0 / 3}, {10, 3, 10.0 / 3}, {3, 10, 0.3}, {1, 1, 1}, {2, 1, 2}, {5, 4, 0.5}} {
		f := makeFilter(c.src, c.dst, c.scale)
		for j := range c.dst {
			sum := 0
			for _, w := range f.weight[j*f.taps : (j+1)*f.taps] {
				sum += int(w)
			}
			if sum != 1<<weightBits {
				t.Errorf("%d→%d at scale %v: output %d's weights sum to %d, want %d", c.src, c.dst, c.scale, j, sum, 1<<weightBits)
			}
			if f.start[j] < 0 || f.start[j]+f.taps > c.src {
				t.Errorf("%d→%d: output %d reads %d..%d, outside the source", c.src, c.dst, j, f.start[j], f.start[j]+f.taps)
			}
		}
	}
}

func TestAtScaleOneTheFilterCopies(t *testing.T) {
	// Chroma that only changes its subsampling, and a picture not resized.
	f := makeFilter(50, 50, 1)
	if f.taps != 1 {
		t.Errorf("scale 1 takes %d taps, want 1", f.taps)
	}
	src := texture(50, 40, 2)
	dst := newPlane(50, 40)
	resizePlane(dst, plane{w: 50, h: 40, stride: src.stride, pix: src.pix}, 1, 1)
	if planePSNR(dst, src) != math.Inf(1) {
		t.Error("resizing to the same size at scale 1 changed the plane")
	}
}

// FuzzResizeAndOrient resizes and turns small planes of any content and
// size: it must never panic or write outside the planes, and must give
// the asked size.
func FuzzResizeAndOrient(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(3), uint8(2), uint8(1), uint8(1), uint8(6), uint8(0))
	f.Add([]byte{255, 0, 255, 0}, uint8(1), uint8(4), uint8(1), uint8(2), uint8(5), uint8(1))
	f.Add(make([]byte, 300), uint8(30), uint8(10), uint8(7), uint8(3), uint8(8), uint8(2))
	f.Fuzz(func(t *testing.T, pix []byte, sw, sh, dw, dh, orientation, sub uint8) {
		w, h := int(sw%64)+1, int(sh%64)+1
		src := newPlane(w, h)
		copy(src.pix, pix)
		tw, th := min(int(dw%64)+1, w), min(int(dh%64)+1, h)
		// Also the chroma geometry: a source subsampled by 1, 2 or 4 into
		// a 2×2-subsampled output, which may mean upsampling.
		k := []float64{1, 2, 4}[int(sub)%3]
		dst := newPlane(tw, th)
		resizePlane(dst, src, float64(w)/float64(tw)*2/k, float64(h)/float64(th)*2/k)
		o := int(orientation % 10) // 0 and 9 are not orientations: they leave the plane as it is
		up := orientPlane(dst, o)
		wantW, wantH := tw, th
		if transposes(o) {
			wantW, wantH = th, tw
		}
		if up.w != wantW || up.h != wantH {
			t.Fatalf("orientation %d of %dx%d gave %dx%d, want %dx%d", o, tw, th, up.w, up.h, wantW, wantH)
		}
		// Turning only moves samples: the same ones come out.
		var before, after [256]int
		for y := range th {
			for _, v := range dst.row(y) {
				before[v]++
			}
		}
		for y := range up.h {
			for _, v := range up.row(y) {
				after[v]++
			}
		}
		if before != after {
			t.Fatalf("orientation %d changed the samples, not just their places", o)
		}
	})
}
