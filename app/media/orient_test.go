package media

import (
	"fmt"
	"image"
	"testing"

	"github.com/disintegration/imaging"
)

// For every orientation, turning what a camera stores for a picture gives
// the picture back, sample for sample. What the camera stores is made
// with imaging's transforms, so the two implementations check each other.
func TestOrientPlaneUndoesWhatTheCameraStored(t *testing.T) {
	for _, dims := range [][2]int{{7, 4}, {4, 7}, {5, 5}, {1, 3}, {16, 9}} {
		w, h := dims[0], dims[1]
		want := newPlane(w, h)
		for i := range want.pix {
			want.pix[i] = uint8(i) // every sample different
		}
		upright := &image.Gray{Pix: want.pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
		for o, store := range map[int]func(image.Image) *image.NRGBA{
			1: imaging.Clone, 2: imaging.FlipH, 3: imaging.Rotate180, 4: imaging.FlipV,
			5: imaging.Transpose, 6: imaging.Rotate90, 7: imaging.Transverse, 8: imaging.Rotate270,
		} {
			t.Run(fmt.Sprintf("%dx%d orientation %d", w, h, o), func(t *testing.T) {
				s := store(upright)
				stored := newPlane(s.Rect.Dx(), s.Rect.Dy())
				for i := range stored.pix {
					stored.pix[i] = s.Pix[4*i]
				}
				got := orientPlane(stored, o)
				if got.w != w || got.h != h {
					t.Fatalf("got %dx%d, want %dx%d", got.w, got.h, w, h)
				}
				for y := range h {
					for x := range w {
						if g, wv := got.pix[y*got.stride+x], want.pix[y*w+x]; g != wv {
							t.Fatalf("sample (%d,%d) is %d, want %d", x, y, g, wv)
						}
					}
				}
			})
		}
	}
}

func TestOrientationsOutsideOneToEightLeaveThePlane(t *testing.T) {
	p := texture(9, 5, 3)
	for _, o := range []int{-1, 0, 1, 9, 255} {
		if got := orientPlane(p, o); got.w != 9 || got.h != 5 || &got.pix[0] != &p.pix[0] {
			t.Errorf("orientation %d changed the plane", o)
		}
	}
}
