package web_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/app/event"
	"smartbot/app/media"
	"smartbot/app/media/mediatest"
	"smartbot/queue"
	"smartbot/store/storetest"
	"smartbot/web"
)

// BenchmarkMediaUpload4MB measures the upload path over loopback: one
// POST /api/media/upload of a 4 MB picture, received, sniffed, scanned,
// hashed, written, fsynced, renamed into place and recorded with its job,
// up to the 202. No runner works the jobs: processing is not measured.
// Each upload has different bytes, so none is a duplicate. Rerun:
//
//	go test ./web -run '^$' -bench MediaUpload4MB -benchtime 200x -count 3
func BenchmarkMediaUpload4MB(b *testing.B) {
	ctx := context.Background()
	db := storetest.New(b)
	qs := queue.New(db)
	files, err := media.OpenFiles(filepath.Join(db.DataDir(), "media"))
	if err != nil {
		b.Fatal(err)
	}
	broker := event.NewBroker()
	srv := web.New(web.Options{DB: db, Queues: qs, Broker: broker, Emitter: event.NewEmitter(qs, broker, nil),
		Media: media.New(media.Options{DB: db, Queues: qs, Files: files})})
	ts := httptest.NewServer(srv)
	b.Cleanup(ts.Close)
	key, err := account.New(account.Options{DB: db}).CreateAPIKey(ctx, account.NewAPIKey{Name: "bench", Role: app.RoleOwner,
		ExpiresAt: ptr(time.Now().Add(24 * time.Hour))})
	if err != nil {
		b.Fatal(err)
	}

	// A real JPEG padded to 4 MB with random bytes (as incompressible as a
	// photo's data), whose first bytes are changed per upload.
	photo := mediatest.JPEG(1600, 1200)
	pad := make([]byte, 4<<20-len(photo))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range pad {
		pad[i] = byte(rng.Uint32())
	}
	var form bytes.Buffer
	w := multipart.NewWriter(&form)
	part, _ := w.CreateFormFile("file", "photo.jpg")
	part.Write(photo[:2])
	seq := form.Len() // where the per-upload bytes go
	// Extended XMP, as a phone's portrait photo carries megabytes of it.
	const sig = "http://ns.adobe.com/xmp/extension/\x00"
	seq += 4 + len(sig)
	for rest := pad; len(rest) > 0; {
		n := min(len(rest), 65533-len(sig))
		part.Write([]byte{0xff, 0xe1})
		part.Write(binary.BigEndian.AppendUint16(nil, uint16(n+len(sig)+2)))
		part.Write([]byte(sig))
		part.Write(rest[:n])
		rest = rest[n:]
	}
	part.Write(photo[2:])
	w.Close()
	body := form.Bytes()

	client := &http.Client{}
	var took []time.Duration
	b.SetBytes(int64(len(body)))
	n := uint64(0)
	for b.Loop() {
		n++
		binary.BigEndian.PutUint64(body[seq:], n)
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/media/upload", bytes.NewReader(body))
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		took = append(took, time.Since(start))
		if res.StatusCode != http.StatusAccepted {
			b.Fatalf("upload: %d", res.StatusCode)
		}
	}
	slices.Sort(took)
	at := func(p float64) float64 {
		i := min(int(float64(len(took))*p/100+0.999999)-1, len(took)-1)
		return float64(took[max(i, 0)]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(50), "p50-ms")
	b.ReportMetric(at(99), "p99-ms")
}
