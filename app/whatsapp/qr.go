package whatsapp

import (
	"fmt"
	"strings"

	qr "github.com/piglig/go-qr"
)

// qrQuietZone is the blank margin around a QR code, in modules; scanners
// need four.
const qrQuietZone = 4

// QRSVG draws a pairing code as a QR code in SVG: one path of the dark
// modules on a white square, scaled by the viewBox, so it is small and
// sharp at any size. Medium error correction keeps the code readable on a
// phone photographing a screen.
func QRSVG(code string) ([]byte, error) {
	symbol, err := qr.EncodeText(code, qr.Medium)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: QR code: %w", err)
	}
	n := symbol.Size()
	side := n + 2*qrQuietZone
	var path strings.Builder
	for y := range n {
		// Runs of dark modules on a row are one rectangle each.
		for x := 0; x < n; {
			if !symbol.Module(x, y) {
				x++
				continue
			}
			start := x
			for x < n && symbol.Module(x, y) {
				x++
			}
			fmt.Fprintf(&path, "M%d %dh%dv1h-%dz", start+qrQuietZone, y+qrQuietZone, x-start, x-start)
		}
	}
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="WhatsApp pairing QR code">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`, side, side, side, side, path.String())
	return []byte(svg), nil
}
