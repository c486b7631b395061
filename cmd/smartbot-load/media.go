package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"smartbot/app/media"
)

// mediaBench makes the variants of one picture n times, parallel at once,
// in this process, and prints the time per picture and the process's peak
// resident memory, so that it compares with another program doing the
// same work as a whole process (run-sharp-bench.sh). With -gen it writes a
// photo-like test JPEG instead.
func mediaBench(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("smartbot-load media", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "picture to make variants of (JPEG, PNG, WebP or GIF)")
	n := fs.Int("n", 10, "pictures to make variants of, after one warm-up that is not counted")
	parallel := fs.Int("parallel", 1, "pictures processed at once")
	orientation := fs.Int("orientation", 1, "EXIF orientation (1-8) to apply, as the caller would read it from the file")
	gen := fs.String("gen", "", "WIDTHxHEIGHT: write a photo-like JPEG (quality 90) of this size to -out, with -orientation in an EXIF segment, and exit")
	out := fs.String("out", "", "file -gen writes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *gen != "" {
		w, h, ok := parseSize(*gen)
		if !ok || *out == "" {
			return errors.New("-gen wants WIDTHxHEIGHT (each 1 to 16384) and -out FILE")
		}
		b, err := photoJPEG(w, h, *orientation)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "media: wrote %s, %dx%d, %d bytes\n", *out, w, h, len(b))
		return nil
	}
	if *in == "" || *n < 1 || *parallel < 1 {
		return errors.New("media wants -in FILE, -n and -parallel at least 1")
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	mime := http.DetectContentType(data)
	once := func() (*media.Variants, time.Duration, error) {
		start := time.Now()
		v, err := media.MakeVariants(context.Background(), bytes.NewReader(data), mime, *orientation)
		return v, time.Since(start), err
	}
	v, _, err := once() // warm-up: page in the code, grow the heap once
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "media: %s %s %dx%d: large %dx%d %d B, medium %dx%d %d B, thumb %dx%d %d B, inline %d B\n",
		*in, mime, v.Width, v.Height, v.Large.Width, v.Large.Height, len(v.Large.JPEG), v.Medium.Width, v.Medium.Height,
		len(v.Medium.JPEG), v.Thumb.Width, v.Thumb.Height, len(v.Thumb.JPEG), len(v.Inline))

	var (
		mu      sync.Mutex
		total   time.Duration
		slowest time.Duration
		errs    []error
		next    = make(chan struct{})
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range *parallel {
		wg.Go(func() {
			for range next {
				_, d, err := once()
				mu.Lock()
				total += d
				slowest = max(slowest, d)
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	for range *n {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	wall := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	hwm, err := peakRSS()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "media: n=%d parallel=%d: %.1f ms per picture (wall ÷ n), latency mean %.1f ms, max %.1f ms\n",
		*n, *parallel, msf(wall)/float64(*n), msf(total)/float64(*n), msf(slowest))
	fmt.Fprintf(stdout, "ms_per_image=%.1f peak_rss_mb=%.1f\n", msf(wall)/float64(*n), float64(hwm)/1024)
	return nil
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// peakRSS returns the process's peak resident set size in KiB (VmHWM).
func peakRSS() (int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("peak memory: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, errors.New("peak memory: no VmHWM in /proc/self/status")
}

func parseSize(s string) (w, h int, ok bool) {
	ws, hs, found := strings.Cut(s, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	return w, h, found && err1 == nil && err2 == nil && w >= 1 && h >= 1 && w <= 16384 && h <= 16384
}

// photoJPEG makes a JPEG that compresses like a photo: smooth light and
// colour, objects with edges, fine texture, and sensor noise, so that the
// decoder has as much to do as with a phone's picture (a 4000x3000 one is
// about 3.6 MB at quality 90). An orientation other than 1 is written in
// an EXIF segment, as a phone held upright writes 6.
func photoJPEG(w, h, orientation int) ([]byte, error) {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	// Separable tables keep this to a second or two for 12 megapixels.
	col, row := make([]float64, w), make([]float64, h)
	colFine, rowFine := make([]float64, w), make([]float64, h)
	for x := range col {
		col[x] = 60*math.Sin(float64(x)/float64(w)*5) + 25*math.Sin(float64(x)/37)
		colFine[x] = math.Sin(float64(x) / 2.3)
	}
	for y := range row {
		row[y] = 40*math.Cos(float64(y)/float64(h)*4) + 20*math.Sin(float64(y)/53)
		rowFine[y] = math.Sin(float64(y) / 3.1)
	}
	for y := range h {
		for x := range w {
			v := 128 + col[x] + row[y]
			// Blocks of woven texture, like fabric or foliage.
			if (x/(w/13+1)+y/(h/9+1))%3 == 0 {
				v += 22 * colFine[x] * rowFine[y]
			}
			// A few bright discs with hard edges.
			dx, dy := float64(x%(w/4+1))-float64(w/8), float64(y%(h/3+1))-float64(h/6)
			if dx*dx+dy*dy < float64(w*w)/400 {
				v += 50
			}
			v += rng.NormFloat64() * 5
			img.Y[y*img.YStride+x] = uint8(max(0, min(255, v)))
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			i := y*img.CStride + x
			img.Cb[i] = uint8(max(0, min(255, 128+0.5*col[min(2*x, w-1)]-0.4*row[min(2*y, h-1)]+rng.NormFloat64()*2)))
			img.Cr[i] = uint8(max(0, min(255, 128-0.4*col[min(2*x, w-1)]+0.6*row[min(2*y, h-1)]+rng.NormFloat64()*2)))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if orientation <= 1 {
		return b, nil
	}
	// APP1 "Exif" with a big-endian TIFF header and one IFD entry:
	// Orientation (0x0112), SHORT, count 1, the value.
	exif := []byte{0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
		'M', 'M', 0, 42, 0, 0, 0, 8,
		0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(orientation), 0, 0,
		0, 0, 0, 0}
	return append(append(append([]byte{}, b[:2]...), exif...), b[2:]...), nil
}
