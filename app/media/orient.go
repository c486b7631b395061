package media

// Orientation is applied to the variants, never to the full-size picture:
// turning a 1280-pixel plane costs a thousandth of what turning a
// 12-megapixel one would, and resizing does not care which way up the
// picture is, so the variants are resized as stored and turned at the end.
//
// Each plane is turned on its own. Where a mirrored side of a 4:2:0
// variant is an odd number of pixels long, its chroma lands half a chroma
// sample (one pixel) off where the luma went: the last chroma sample
// covers one real pixel and one past the edge, and mirroring puts it
// first. One pixel of colour at 1280 pixels is invisible, and doing it
// exactly would mean resampling the chroma again.

// transposes reports whether EXIF orientation o swaps width and height
// (5 to 8: the picture is turned a quarter, or mirrored across a
// diagonal).
func transposes(o int) bool { return o >= 5 && o <= 8 }

// orientPlane returns src turned upright for EXIF orientation o (1 to 8;
// any other value counts as 1, upright, as viewers treat it). For o = 1
// it returns src itself.
//
// The stored sample at (x, y) of a w×h plane goes to:
//
//	2 (w-1-x, y)      mirrored left to right
//	3 (w-1-x, h-1-y)  turned half round
//	4 (x, h-1-y)      mirrored top to bottom
//	5 (y, x)          mirrored across the top-left diagonal
//	6 (h-1-y, x)      to be turned a quarter clockwise
//	7 (h-1-y, w-1-x)  mirrored across the top-right diagonal
//	8 (y, w-1-x)      to be turned a quarter anticlockwise
func orientPlane(src plane, o int) plane {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.w, src.h
	if transposes(o) {
		w, h = h, w
	}
	dst := newPlane(w, h)
	// For every source row, where its first sample lands and how far each
	// next sample of the row moves in dst.
	var origin func(y int) int
	var step int
	switch o {
	case 2:
		origin, step = func(y int) int { return y*w + w - 1 }, -1
	case 3:
		origin, step = func(y int) int { return (h-1-y)*w + w - 1 }, -1
	case 4:
		origin, step = func(y int) int { return (h - 1 - y) * w }, 1
	case 5:
		origin, step = func(y int) int { return y }, w
	case 6:
		origin, step = func(y int) int { return w - 1 - y }, w
	case 7:
		origin, step = func(y int) int { return (h-1)*w + w - 1 - y }, -w
	case 8:
		origin, step = func(y int) int { return (h-1)*w + y }, -w
	}
	for y := range src.h {
		i := origin(y)
		for _, v := range src.row(y) {
			dst.pix[i] = v
			i += step
		}
	}
	return dst
}
