package media

import (
	"math"
	"runtime"
	"sync"
)

// The resizer works on one 8-bit plane at a time (Y, Cb or Cr), so a JPEG
// is resized in the form its decoder gives, without ever making a full-size
// RGB copy: 4:2:0 planes of a 12-megapixel photo are 18 MB, RGBA would be 48.
//
// It is a separable filter with precomputed fixed-point weights: one pass
// along columns, then one along rows. Before filtering, a plane that is
// much larger than its target is first averaged down by a whole factor (a
// box over k×k samples), as libvips does, so that the filter runs on fewer
// samples.

// plane is one channel of an image: w×h samples, rows stride bytes apart.
type plane struct {
	w, h, stride int
	pix          []uint8
}

func newPlane(w, h int) plane {
	return plane{w: w, h: h, stride: w, pix: make([]uint8, w*h)}
}

func (p plane) row(y int) []uint8 { return p.pix[y*p.stride : y*p.stride+p.w] }

// weightBits is the fixed-point precision of the filter weights: they sum
// to 1<<weightBits. 14 bits keep a weight in an int16 with room for
// Lanczos' lobes above 1, and a sum of 8-bit samples in an int32.
const weightBits = 14

// lanczosRadius is the support of the Lanczos kernel, the one imaging's
// Lanczos filter uses too, so the two can be compared directly.
const lanczosRadius = 3

func lanczos(x float64) float64 {
	if x == 0 {
		return 1
	}
	if x <= -lanczosRadius || x >= lanczosRadius {
		return 0
	}
	px := math.Pi * x
	return lanczosRadius * math.Sin(px) * math.Sin(px/lanczosRadius) / (px * px)
}

// filter holds the weights that resample one axis from srcN to dstN
// samples: output j is the sum over t < taps of
// src[start[j]+t] * weight[j*taps+t] >> weightBits.
type filter struct {
	taps   int
	start  []int
	weight []int16
}

// makeFilter computes the weights for dstN outputs from srcN inputs where
// output j's centre falls on source position (j+0.5)*scale - 0.5 (sample
// centres at whole numbers). scale is given rather than derived from the
// sizes because a chroma plane's size is rounded up from its luma's, while
// its samples must keep the luma's geometry. Samples beyond the edges
// repeat the edge.
func makeFilter(srcN, dstN int, scale float64) filter {
	support := max(scale, 1) // widen the kernel when reducing: it must average away what the output cannot hold
	radius := lanczosRadius * support
	// First pass in float: each output's clamped source range and weights.
	type span struct {
		lo, hi int
		w      []float64
	}
	spans := make([]span, dstN)
	taps := 1
	for j := range spans {
		c := (float64(j)+0.5)*scale - 0.5
		first := int(math.Ceil(c - radius))
		last := int(math.Floor(c + radius))
		base := min(max(first, 0), srcN-1)
		w := make([]float64, min(max(last, 0), srcN-1)-base+1) // w[i] weighs source sample base+i
		lo, hi := srcN, -1
		sum := 0.0
		for i := first; i <= last; i++ {
			k := lanczos((float64(i) - c) / support)
			if math.Abs(k) < 1e-9 {
				// The kernel's zeros: at scale 1 (chroma that only changes
				// its subsampling) they are every tap but the centre one.
				continue
			}
			s := min(max(i, 0), srcN-1)
			w[s-base] += k
			sum += k
			lo, hi = min(lo, s), max(hi, s)
		}
		if hi < 0 || sum == 0 { // cannot happen with a kernel that is 1 at 0, but never divide by 0
			s := min(max(int(math.Round(c)), 0), srcN-1)
			w[s-base], sum, lo, hi = 1, 1, s, s
		}
		w = w[lo-base : hi-base+1]
		for i := range w {
			w[i] /= sum
		}
		spans[j] = span{lo, hi, w}
		taps = max(taps, hi-lo+1)
	}
	f := filter{taps: taps, start: make([]int, dstN), weight: make([]int16, dstN*taps)}
	for j, s := range spans {
		start := min(s.lo, srcN-taps)
		f.start[j] = start
		ws := f.weight[j*taps : (j+1)*taps]
		total, biggest := 0, 0
		for i, w := range s.w {
			t := s.lo - start + i
			ws[t] = int16(math.Round(w * (1 << weightBits)))
			total += int(ws[t])
			if ws[t] > ws[biggest] {
				biggest = t
			}
		}
		// Rounding may leave the sum a little off 1<<weightBits: give the
		// difference to the biggest weight so flat areas stay exactly flat.
		ws[biggest] += int16(1<<weightBits - total)
	}
	return f
}

// clamp8 rounds a fixed-point sum to a sample.
func clamp8(sum int32) uint8 {
	v := (sum + 1<<(weightBits-1)) >> weightBits
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// resizePlane resamples src into dst (whose w and h are set) where one dst
// sample spans scaleX×scaleY src samples. Both are at least 1/4 (the
// chroma of 4:1:1 may be upsampled), and usually above 1.
func resizePlane(dst, src plane, scaleX, scaleY float64) {
	if dst.w == src.w && dst.h == src.h && scaleX == 1 && scaleY == 1 {
		for y := range dst.h {
			copy(dst.row(y), src.row(y))
		}
		return
	}
	// Average down by whole factors while the filter would still reduce
	// by more than 2 afterwards: a box over k samples followed by the
	// filter keeps nearly all of the filter's sharpness (the box's
	// response at the final Nyquist frequency is over 0.9 for a
	// remaining reduction of 2 or more) for a fraction of its cost.
	kx, ky := max(int(scaleX/2), 1), max(int(scaleY/2), 1)
	if kx > 1 || ky > 1 {
		src = shrinkPlane(src, kx, ky)
		scaleX /= float64(kx)
		scaleY /= float64(ky)
	}
	fy := makeFilter(src.h, dst.h, scaleY)
	fx := makeFilter(src.w, dst.w, scaleX)
	// Columns first: that pass reads whole rows in order and makes the
	// rows fewer, so the row pass, which gathers, runs on less.
	tmp := newPlane(src.w, dst.h)
	inBands(dst.h, src.w*dst.h*fy.taps+dst.w*dst.h*fx.taps, func(j0, j1 int) {
		resizeColumns(tmp, src, fy, j0, j1)
		resizeRows(dst, tmp, fx, j0, j1)
	})
}

// bandWork is how many filter taps make a band worth a goroutine.
const bandWork = 1 << 20

// inBands runs f over [0, n) in up to GOMAXPROCS bands at once, or in one
// call when work (in filter taps) is too little to share. A decode slot is
// one picture, but its resize can use every core while no other picture
// needs them, as libvips does.
func inBands(n, work int, f func(lo, hi int)) {
	bands := min(runtime.GOMAXPROCS(0), n, max(1, work/bandWork))
	if bands <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for b := range bands {
		wg.Go(func() { f(b*n/bands, (b+1)*n/bands) })
	}
	wg.Wait()
}

// resizeColumns filters src along its columns into rows j0 ≤ j < j1 of
// dst, which has src's width and f's number of rows.
func resizeColumns(dst, src plane, f filter, j0, j1 int) {
	acc := make([]int32, src.w)
	for j := j0; j < j1; j++ {
		clear(acc)
		ws := f.weight[j*f.taps : (j+1)*f.taps]
		y := f.start[j]
		t := 0
		// Four source rows per sweep: a quarter of the loads and stores of
		// the accumulator.
		for ; t+4 <= len(ws); t += 4 {
			w0, w1, w2, w3 := int32(ws[t]), int32(ws[t+1]), int32(ws[t+2]), int32(ws[t+3])
			r0, r1, r2, r3 := src.row(y+t), src.row(y+t+1), src.row(y+t+2), src.row(y+t+3)
			r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
			a := acc[:len(r0)]
			for x, v := range r0 {
				a[x] += int32(v)*w0 + int32(r1[x])*w1 + int32(r2[x])*w2 + int32(r3[x])*w3
			}
		}
		for ; t < len(ws); t++ {
			w := int32(ws[t])
			r := src.row(y + t)
			a := acc[:len(r)]
			for x, v := range r {
				a[x] += int32(v) * w
			}
		}
		out := dst.row(j)
		for x, v := range acc[:len(out)] {
			out[x] = clamp8(v)
		}
	}
}

// resizeRows filters rows y0 ≤ y < y1 of src along the row into dst, which
// has src's height and f's number of columns.
func resizeRows(dst, src plane, f filter, y0, y1 int) {
	for y := y0; y < y1; y++ {
		in := src.row(y)
		out := dst.row(y)
		for x := range out {
			ws := f.weight[x*f.taps : (x+1)*f.taps]
			s := in[f.start[x]:]
			s = s[:len(ws)]
			var sum int32
			for t, w := range ws {
				sum += int32(s[t]) * int32(w)
			}
			out[x] = clamp8(sum)
		}
	}
}

// shrinkPlane averages src over kx×ky boxes; boxes cut by the right or
// bottom edge average the samples they hold.
func shrinkPlane(src plane, kx, ky int) plane {
	dst := newPlane((src.w+kx-1)/kx, (src.h+ky-1)/ky)
	sums := make([]uint32, dst.w)
	for oy := range dst.h {
		clear(sums)
		y0, y1 := oy*ky, min(oy*ky+ky, src.h)
		for y := y0; y < y1; y++ {
			r := src.row(y)
			x := 0
			for ox := range sums {
				end := min(x+kx, len(r))
				var s uint32
				for _, v := range r[x:end] {
					s += uint32(v)
				}
				sums[ox] += s
				x = end
			}
		}
		out := dst.row(oy)
		full := uint32(kx * (y1 - y0))
		for ox, s := range sums {
			n := full
			if ox == dst.w-1 && src.w%kx != 0 {
				n = uint32((src.w % kx) * (y1 - y0))
			}
			out[ox] = uint8((s + n/2) / n)
		}
	}
	return dst
}
