package whatsapp_test

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"regexp"
	"strconv"
	"strings"
	"testing"

	qr "github.com/piglig/go-qr"

	"smartbot/app/whatsapp"
)

// rasterize paints the SVG's dark-module path onto a white image, scale
// pixels per module, so a decoder can read it back.
func rasterize(t *testing.T, svg string, scale int) image.Image {
	t.Helper()
	box := regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`).FindStringSubmatch(svg)
	if box == nil {
		t.Fatalf("no viewBox in %.120s", svg)
	}
	side, _ := strconv.Atoi(box[1])
	img := image.NewGray(image.Rect(0, 0, side*scale, side*scale))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := regexp.MustCompile(` d="([^"]*)"`).FindStringSubmatch(svg)
	if d == nil {
		t.Fatal("no path in the SVG")
	}
	for _, run := range strings.Split(strings.TrimSuffix(d[1], "z"), "z") {
		var x, y, w, w2 int
		if _, err := fmt.Sscanf(run, "M%d %dh%dv1h-%d", &x, &y, &w, &w2); err != nil || w != w2 {
			t.Fatalf("path piece %q: %v", run, err)
		}
		draw.Draw(img, image.Rect(x*scale, y*scale, (x+w)*scale, (y+1)*scale), &image.Uniform{color.Black}, image.Point{}, draw.Src)
	}
	return img
}

func TestTheQRCodeSVGDecodesToThePairingCode(t *testing.T) {
	code := "2@Xq9v7yK3bN0TdmvPq1R+0e1c7sLnAvh2pZ,7f8kQ0m3JpXy4t1d0tQw8e1u2c3k=,Zx4m5n6b7v8c9x0z1a2s3d4f5g6h7j8k=,Jk1l2z3x4c5v6b7n8m9q0w1e2r3t4y5u="
	svg, err := whatsapp.QRSVG(code)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(svg), "<svg ") || !strings.Contains(string(svg), `fill="#fff"`) {
		t.Fatalf("not an SVG with a white background: %.200s", svg)
	}
	got, err := qr.Decode(rasterize(t, string(svg), 6))
	if err != nil {
		t.Fatalf("decode the drawn code: %v", err)
	}
	if got != code {
		t.Errorf("decoded %q, want %q", got, code)
	}
}

func TestTheQRCodeKeepsItsQuietZone(t *testing.T) {
	svg, err := whatsapp.QRSVG("2@short")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`M(\d+) (\d+)`).FindAllStringSubmatch(string(svg), -1) {
		if x, _ := strconv.Atoi(m[1]); x < 4 {
			t.Fatalf("a module at x=%d, inside the four-module margin", x)
		}
		if y, _ := strconv.Atoi(m[2]); y < 4 {
			t.Fatalf("a module at y=%d, inside the four-module margin", y)
		}
	}
}
