package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// A reduced JPEG decoder: it decodes a baseline JPEG straight to half,
// quarter or eighth size, the way libjpeg's scaled decoding (and so
// libvips and sharp) does. Each 8×8 block's low-frequency 4×4, 2×2 or 1×1
// coefficients go through an inverse DCT of that size, which samples the
// block's picture at the centres of 2×2, 4×4 or 8×8 pixel squares with the
// frequencies the smaller size cannot hold left out. A 12-megapixel photo
// for a 1280-pixel variant then skips three quarters of the inverse DCT
// and of the memory (4.5 MB of planes instead of 18), and the resizer
// starts from a quarter of the samples.
//
// It reads only what phones and cameras write: baseline Huffman-coded
// 8-bit Y'CbCr or gray, one interleaved scan, luma sampled 1, 2 or 4 across
// and 1 or 2 down with chroma at 1×1. Anything else (progressive, RGB or
// CMYK, odd sampling, damaged or cut-short data) returns an error, and the
// caller decodes the file with image/jpeg instead, which then accepts it
// or explains what is wrong with it. So this decoder never has to be the
// one that judges a file.

// errReducedUnsupported says the reduced decoder leaves a file to
// image/jpeg.
var errReducedUnsupported = errors.New("media: JPEG not for the reduced decoder")

// zigzag maps the order coefficients are stored in to their natural
// (row-major) index in the 8×8 block.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// huffLookBits is how many bits the decoding table looks at once; longer
// codes (rare: they are the rarest symbols) take the slow path.
const huffLookBits = 9

type huffTable struct {
	// look[bits] is length<<8 | symbol of the code the next huffLookBits
	// bits start with, or 0 when that code is longer.
	look    [1 << huffLookBits]uint16
	maxCode [17]int32 // the largest code of each length, -1 when none
	valPtr  [17]int32 // index in vals of the first code of each length, minus that code
	vals    [256]uint8
	// For AC tables, acLook[bits] decodes a whole coefficient when the
	// next huffLookBits bits hold both its code and its value, as they do
	// for most: value<<16 | run<<8 | bits used, or 0 when they do not.
	acLook  [1 << huffLookBits]int32
	defined bool
}

// build makes the table from a DHT segment's 16 counts and its symbols.
func (h *huffTable) build(counts []uint8, vals []uint8) error {
	*h = huffTable{defined: true}
	copy(h.vals[:], vals)
	code, k := int32(0), int32(0)
	for length := 1; length <= 16; length++ {
		n := int32(counts[length-1])
		h.valPtr[length] = k - code
		if n == 0 {
			h.maxCode[length] = -1
		} else {
			h.maxCode[length] = code + n - 1
		}
		for range n {
			if code >= 1<<length {
				return errReducedUnsupported // more codes than the length holds
			}
			if length <= huffLookBits {
				first := code << (huffLookBits - length)
				for i := range int32(1) << (huffLookBits - length) {
					h.look[first+i] = uint16(length)<<8 | uint16(vals[k])
					run, size := int32(vals[k]>>4), int32(vals[k]&15)
					if size > 0 && length+int(size) <= huffLookBits {
						// The value's bits follow the code in the looked-at bits.
						rest := int32(huffLookBits - length - int(size))
						v := extend(i>>rest&(1<<size-1), uint(size))
						h.acLook[first+i] = v<<16 | run<<8 | int32(length) + size
					}
				}
			}
			code++
			k++
		}
		code <<= 1
	}
	return nil
}

// bits reads the entropy-coded data of a scan, removing the stuffed zero
// after each 0xFF. At a marker or at the end of the data it feeds zeros
// and counts them, so cut-short data shows as fed zeros being read.
type bits struct {
	data   []byte
	pos    int
	acc    uint64 // the next n bits, from the top
	n      uint
	marker bool // data[pos] is a marker's 0xFF
	zeros  int  // zero bytes fed past the data
}

func (b *bits) fill() {
	// Fast path: eight bytes at once when none of them is 0xFF.
	if b.pos+8 <= len(b.data) {
		x := binary.BigEndian.Uint64(b.data[b.pos:])
		if v := ^x; (v-0x0101010101010101)&^v&0x8080808080808080 == 0 {
			k := (64 - b.n) / 8 // whole bytes that fit
			b.acc |= x >> (64 - 8*k) << (64 - b.n - 8*k)
			b.pos += int(k)
			b.n += 8 * k
			return
		}
	}
	for b.n <= 56 {
		var c byte
		switch {
		case b.marker || b.pos >= len(b.data):
			b.zeros++
		case b.data[b.pos] != 0xFF:
			c = b.data[b.pos]
			b.pos++
		case b.pos+1 < len(b.data) && b.data[b.pos+1] == 0:
			c = 0xFF
			b.pos += 2
		default:
			b.marker = true
			b.zeros++
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun reports whether bits that were fed as zeros have been used.
func (b *bits) overrun() bool { return uint(b.zeros)*8 > b.n }

// get returns the next s bits (s ≤ 16; fill first).
func (b *bits) get(s uint) int32 {
	v := int32(b.acc >> (64 - s))
	b.acc <<= s
	b.n -= s
	return v
}

// decode returns the next Huffman-coded symbol (fill first).
func (b *bits) decode(h *huffTable) (uint8, error) {
	if e := h.look[b.acc>>(64-huffLookBits)]; e != 0 {
		b.acc <<= e >> 8
		b.n -= uint(e >> 8)
		return uint8(e), nil
	}
	for length := huffLookBits + 1; length <= 16; length++ {
		code := int32(b.acc >> (64 - length))
		if code <= h.maxCode[length] {
			b.acc <<= length
			b.n -= uint(length)
			return h.vals[h.valPtr[length]+code], nil
		}
	}
	return 0, errReducedUnsupported // no such code
}

// extend turns s received bits into the signed value they code.
func extend(v int32, s uint) int32 {
	if s == 0 {
		return 0
	}
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

type jpegComponent struct {
	id, h, v, tq uint8
	td, ta       uint8 // Huffman tables of the scan
	plane        plane
	pred         int32 // DC prediction
}

// reducedJPEG is the state of one reduced decode.
type reducedJPEG struct {
	data          []byte
	width, height int
	comps         []jpegComponent
	quant         [4][64]int32 // zigzag order
	quantDefined  [4]bool
	dc, ac        [4]huffTable
	restart       int
	jfif          bool
	adobe         bool
	adobeXform    uint8
}

// decodeReducedJPEG decodes data at 1/scale of its size (scale 2, 4 or
// 8), or returns errReducedUnsupported (or another error) when image/jpeg
// should decode it instead.
func decodeReducedJPEG(data []byte, scale int) (pic picture, err error) {
	defer func() {
		// A bug here must not refuse a picture image/jpeg can read.
		if v := recover(); v != nil {
			pic, err = picture{}, fmt.Errorf("%w: panic: %v", errReducedUnsupported, v)
		}
	}()
	return reduceJPEG(data, scale)
}

// reduceJPEG is decodeReducedJPEG without the safety net, for the fuzz
// test to find what the net would hide.
func reduceJPEG(data []byte, scale int) (picture, error) {
	n := 8 / scale // the inverse DCT's size
	if n*scale != 8 || n < 1 || n > 4 {
		return picture{}, errReducedUnsupported
	}
	d := reducedJPEG{data: data}
	pos, err := d.readHeaders()
	if err != nil {
		return picture{}, err
	}
	return d.readScan(pos, n)
}

// readHeaders reads the segments up to the first scan and returns where
// its entropy-coded data starts.
func (d *reducedJPEG) readHeaders() (int, error) {
	data := d.data
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 0, errReducedUnsupported
	}
	pos := 2
	for {
		for pos < len(data) && data[pos] == 0xFF && pos+1 < len(data) && data[pos+1] == 0xFF {
			pos++ // fill bytes
		}
		if pos+4 > len(data) || data[pos] != 0xFF {
			return 0, errReducedUnsupported
		}
		marker := data[pos+1]
		length := int(data[pos+2])<<8 | int(data[pos+3])
		if length < 2 || pos+2+length > len(data) {
			return 0, errReducedUnsupported
		}
		seg := data[pos+4 : pos+2+length]
		pos += 2 + length
		var err error
		switch {
		case marker == 0xE0: // APP0
			d.jfif = len(seg) >= 5 && string(seg[:5]) == "JFIF\x00"
		case marker == 0xEE: // APP14
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.adobeXform = true, seg[11]
			}
		case marker == 0xDB:
			err = d.readDQT(seg)
		case marker == 0xC4:
			err = d.readDHT(seg)
		case marker == 0xDD:
			if len(seg) != 2 {
				return 0, errReducedUnsupported
			}
			d.restart = int(seg[0])<<8 | int(seg[1])
		case marker == 0xC0 || marker == 0xC1: // baseline, or extended with Huffman coding
			err = d.readSOF(seg)
		case marker >= 0xC2 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
			return 0, errReducedUnsupported // progressive, lossless or arithmetic-coded
		case marker == 0xDA:
			return pos, d.readSOS(seg)
		case marker >= 0xE1 && marker <= 0xEF, marker == 0xFE:
			// other APPn and comments: metadata this package drops
		default:
			return 0, errReducedUnsupported
		}
		if err != nil {
			return 0, err
		}
	}
}

func (d *reducedJPEG) readDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if tq > 3 || pq > 1 || len(seg) < 1+64*(1+int(pq)) {
			return errReducedUnsupported
		}
		for k := range 64 {
			if pq == 0 {
				d.quant[tq][k] = int32(seg[1+k])
			} else {
				d.quant[tq][k] = int32(seg[1+2*k])<<8 | int32(seg[2+2*k])
			}
		}
		d.quantDefined[tq] = true
		seg = seg[1+64*(1+int(pq)):]
	}
	return nil
}

func (d *reducedJPEG) readDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errReducedUnsupported
		}
		tc, th := seg[0]>>4, seg[0]&15
		total := 0
		for _, c := range seg[1:17] {
			total += int(c)
		}
		if tc > 1 || th > 3 || total > 256 || len(seg) < 17+total {
			return errReducedUnsupported
		}
		t := &d.dc[th]
		if tc == 1 {
			t = &d.ac[th]
		}
		if err := t.build(seg[1:17], seg[17:17+total]); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

func (d *reducedJPEG) readSOF(seg []byte) error {
	if d.comps != nil || len(seg) < 6 || seg[0] != 8 {
		return errReducedUnsupported // a second frame, or not 8 bits
	}
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	nc := int(seg[5])
	if d.width == 0 || d.height == 0 || d.width*d.height > decodeMaxPixels || (nc != 1 && nc != 3) || len(seg) != 6+3*nc {
		return errReducedUnsupported
	}
	for i := range nc {
		c := seg[6+3*i:]
		d.comps = append(d.comps, jpegComponent{id: c[0], h: c[1] >> 4, v: c[1] & 15, tq: c[2]})
	}
	if nc == 1 {
		d.comps[0].h, d.comps[0].v = 1, 1 // one component is one block per MCU, whatever it says
		return nil
	}
	y := d.comps[0]
	if (y.h != 1 && y.h != 2 && y.h != 4) || (y.v != 1 && y.v != 2) ||
		d.comps[1].h != 1 || d.comps[1].v != 1 || d.comps[2].h != 1 || d.comps[2].v != 1 {
		return errReducedUnsupported
	}
	return nil
}

func (d *reducedJPEG) readSOS(seg []byte) error {
	if d.comps == nil || len(seg) < 1 || int(seg[0]) != len(d.comps) || len(seg) != 4+2*len(d.comps) {
		return errReducedUnsupported // no frame, or not one interleaved scan of every component
	}
	// As image/jpeg and libjpeg decide: without a JFIF segment, Adobe's
	// transform 0 or components named R, G, B mean RGB, not Y'CbCr.
	if c := d.comps; len(c) == 3 && !d.jfif && ((d.adobe && d.adobeXform == 0) || (c[0].id == 'R' && c[1].id == 'G' && c[2].id == 'B')) {
		return errReducedUnsupported
	}
	for i := range d.comps {
		c := &d.comps[i]
		if seg[1+2*i] != c.id {
			return errReducedUnsupported
		}
		c.td, c.ta = seg[2+2*i]>>4, seg[2+2*i]&15
		if c.td > 3 || c.ta > 3 || c.tq > 3 || !d.dc[c.td].defined || !d.ac[c.ta].defined || !d.quantDefined[c.tq] {
			return errReducedUnsupported
		}
	}
	tail := seg[1+2*len(d.comps):]
	if tail[0] != 0 || tail[1] != 63 || tail[2] != 0 {
		return errReducedUnsupported // spectral selection or successive approximation: not baseline
	}
	return nil
}

// readScan decodes the scan starting at pos into planes n/8 of the size.
func (d *reducedJPEG) readScan(pos, n int) (picture, error) {
	hmax, vmax := int(d.comps[0].h), int(d.comps[0].v)
	mcuW, mcuH := 8*hmax, 8*vmax
	mcusX, mcusY := (d.width+mcuW-1)/mcuW, (d.height+mcuH-1)/mcuH
	for i := range d.comps {
		c := &d.comps[i]
		// The planes hold whole blocks; their views end at the picture's
		// edge, rounded up to whole samples.
		bw, bh := mcusX*int(c.h), mcusY*int(c.v)
		c.plane = newPlane(bw*n, bh*n)
		cw := (d.width*int(c.h) + hmax - 1) / hmax
		ch := (d.height*int(c.v) + vmax - 1) / vmax
		c.plane.w, c.plane.h = (cw*n+7)/8, (ch*n+7)/8
	}
	// The zigzag positions that land in the n×n corner, as indexes in an
	// n×n block, and the last of them: coefficients after it are only
	// skipped over.
	var keep [64]int8
	last := 0
	for k, z := range zigzag {
		r, c := int(z)/8, int(z)%8
		keep[k] = -1
		if r < n && c < n {
			keep[k] = int8(r*n + c)
			last = k
		}
	}
	var q [4][64]int32 // the quantization tables of the kept coefficients, in n×n order
	for t := range q {
		for k := 0; k <= last; k++ {
			if keep[k] >= 0 {
				q[t][keep[k]] = d.quant[t][k]
			}
		}
	}
	b := bits{data: d.data, pos: pos}
	var block [16]int32
	for m := 0; m < mcusX*mcusY; m++ {
		if d.restart > 0 && m > 0 && m%d.restart == 0 {
			if err := d.nextRestart(&b, m/d.restart-1); err != nil {
				return picture{}, err
			}
		}
		mx, my := m%mcusX, m/mcusX
		for ci := range d.comps {
			c := &d.comps[ci]
			dc, ac, qt := &d.dc[c.td], &d.ac[c.ta], &q[c.tq]
			for by := range int(c.v) {
				for bx := range int(c.h) {
					block = [16]int32{}
					// DC
					if b.n < 32 {
						b.fill()
					}
					s, err := b.decode(dc)
					if err != nil || s > 11 {
						return picture{}, errReducedUnsupported
					}
					c.pred += extend(b.get(uint(s)), uint(s))
					block[0] = c.pred * qt[0]
					// AC
					for k := 1; k < 64; k++ {
						if b.n < 32 { // a code and its value take at most 16 bits each
							b.fill()
						}
						if e := ac.acLook[b.acc>>(64-huffLookBits)]; e != 0 {
							used := uint(e & 31)
							b.acc <<= used
							b.n -= used
							k += int(e >> 8 & 15)
							if k > 63 {
								return picture{}, errReducedUnsupported
							}
							if k <= last && keep[k] >= 0 {
								block[keep[k]] = (e >> 16) * qt[keep[k]]
							}
							continue
						}
						rs, err := b.decode(ac)
						if err != nil {
							return picture{}, errReducedUnsupported
						}
						r, s := int(rs>>4), uint(rs&15)
						if s == 0 {
							if r != 15 {
								break // end of block
							}
							k += 15
							continue
						}
						k += r
						if k > 63 {
							return picture{}, errReducedUnsupported
						}
						v := b.get(s)
						if k <= last && keep[k] >= 0 {
							block[keep[k]] = extend(v, s) * qt[keep[k]]
						}
					}
					if b.overrun() {
						return picture{}, errReducedUnsupported // ran into a marker or the end
					}
					x0, y0 := (mx*int(c.h)+bx)*n, (my*int(c.v)+by)*n
					idctReduced(&block, n, c.plane.pix[y0*c.plane.stride+x0:], c.plane.stride)
				}
			}
		}
	}
	span := func(v int) float64 { return float64(v) * float64(n) / 8 }
	if len(d.comps) == 1 {
		return picture{y: d.comps[0].plane, gray: true, spanW: span(d.width), spanH: span(d.height)}, nil
	}
	return picture{y: d.comps[0].plane, cb: d.comps[1].plane, cr: d.comps[2].plane,
		subX: hmax, subY: vmax, spanW: span(d.width), spanH: span(d.height)}, nil
}

// nextRestart checks that the data is at restart marker i (mod 8), moves
// past it and resets what a restart resets.
func (d *reducedJPEG) nextRestart(b *bits, i int) error {
	if b.overrun() {
		return errReducedUnsupported
	}
	// The bits left in the accumulator are the last byte's padding (and
	// bytes read ahead): the marker is at b.pos once they are dropped,
	// because fill stops at any marker.
	if !b.marker || b.pos+1 >= len(b.data) || b.data[b.pos+1] != 0xD0+byte(i%8) {
		return errReducedUnsupported
	}
	*b = bits{data: b.data, pos: b.pos + 2}
	for ci := range d.comps {
		d.comps[ci].pred = 0
	}
	return nil
}

// The n-point inverse DCT evaluated at the centres of the 8/n-pixel runs
// of the 8-point one: x_i = Σ_u c(u)/2 · cos((2i+1)uπ/2n) · F_u, c(0) = 1/√2.
var (
	idctC1 = float32(math.Cos(math.Pi/8) / 2)
	idctC3 = float32(math.Cos(3*math.Pi/8) / 2)
	idctC4 = float32(1 / (2 * math.Sqrt2))
)

// idctReduced turns the n×n dequantized coefficients in block (row-major)
// into n×n samples at dst, rows stride apart.
func idctReduced(block *[16]int32, n int, dst []uint8, stride int) {
	switch n {
	case 1:
		v := clampSample(float32(block[0])/8 + 128)
		dst[0] = v
	case 2:
		f0, f1, f2, f3 := float32(block[0]), float32(block[1]), float32(block[2]), float32(block[3])
		// rows, then columns; each 2-point step is (a ± b)/(2√2)
		a0, a1 := (f0+f1)*idctC4, (f0-f1)*idctC4
		b0, b1 := (f2+f3)*idctC4, (f2-f3)*idctC4
		dst[0] = clampSample((a0+b0)*idctC4 + 128)
		dst[1] = clampSample((a1+b1)*idctC4 + 128)
		dst[stride] = clampSample((a0-b0)*idctC4 + 128)
		dst[stride+1] = clampSample((a1-b1)*idctC4 + 128)
	case 4:
		// A block whose only coefficient is DC is flat: common in smooth
		// areas, and the cheapest case.
		if block[1]|block[2]|block[3]|block[4]|block[5]|block[6]|block[7]|block[8]|
			block[9]|block[10]|block[11]|block[12]|block[13]|block[14]|block[15] == 0 {
			v := clampSample(float32(block[0])/8 + 128)
			for r := range 4 {
				row := dst[r*stride : r*stride+4]
				row[0], row[1], row[2], row[3] = v, v, v, v
			}
			return
		}
		var t [16]float32
		for r := range 4 {
			idct4(float32(block[r*4]), float32(block[r*4+1]), float32(block[r*4+2]), float32(block[r*4+3]), t[r*4:r*4+4])
		}
		var col [4]float32
		for c := range 4 {
			idct4(t[c], t[4+c], t[8+c], t[12+c], col[:])
			for r := range 4 {
				dst[r*stride+c] = clampSample(col[r] + 128)
			}
		}
	}
}

// idct4 is the 4-point inverse DCT above, as an even and an odd half.
func idct4(f0, f1, f2, f3 float32, out []float32) {
	e0, e1 := (f0+f2)*idctC4, (f0-f2)*idctC4
	o0, o1 := f1*idctC1+f3*idctC3, f1*idctC3-f3*idctC1
	out[0], out[1], out[2], out[3] = e0+o0, e1+o1, e1-o1, e0-o0
}

func clampSample(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
