package media_test

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/disintegration/imaging"

	"smartbot/app/media"
)

// BenchmarkMakeVariants12MP makes the variants of a phone-sized photo
// (4000x3000, quality 90, EXIF orientation 6): one picture at a time, two
// at once, and the naive pipeline (imaging's decode with auto-orientation,
// then its Lanczos from the full picture to each size) for comparison.
// Besides ns/op (per round of pictures) it reports ms/image and the
// process's peak resident memory during the sub-benchmark (peak-RSS-MB,
// Linux only: the peak is reset before it starts).
//
//	go test ./app/media -run '^$' -bench MakeVariants12MP -benchtime 20x -count 3
func BenchmarkMakeVariants12MP(b *testing.B) {
	data := withMetadata(encodeJPEG(b, photo(4000, 3000), 90)) // the EXIF segment says orientation 6
	b.Logf("photo: 4000x3000, %d bytes", len(data))
	for _, parallel := range []int{1, 2} {
		b.Run(fmt.Sprintf("pictures=%d", parallel), func(b *testing.B) {
			resetPeakRSS()
			for b.Loop() {
				var wg sync.WaitGroup
				for range parallel {
					wg.Go(func() {
						if _, err := media.MakeVariants(context.Background(), bytes.NewReader(data), "image/jpeg", 6); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
			reportPerImage(b, parallel)
		})
	}
	b.Run("naive-imaging", func(b *testing.B) {
		resetPeakRSS()
		for b.Loop() {
			img, err := imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
			if err != nil {
				b.Fatal(err)
			}
			for _, side := range []int{1280, 480, 150} {
				if err := jpeg.Encode(io.Discard, imaging.Fit(img, side, side, imaging.Lanczos), &jpeg.Options{Quality: 80}); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportPerImage(b, 1)
	})
}

func reportPerImage(b *testing.B, perRound int) {
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*perRound), "ms/image")
	if kb, ok := peakRSS(); ok {
		b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
	}
}

// resetPeakRSS returns what the heap holds to the system and resets the
// kernel's record of the peak resident set (VmHWM), so the next reading is
// the peak of what runs in between.
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // Linux 4.0 and later; elsewhere peakRSS has no figure
}

func peakRSS() (kb int, ok bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if v, found := strings.CutPrefix(line, "VmHWM:"); found {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb, err == nil
		}
	}
	return 0, false
}
