package messaging_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"

	"smartbot/app"
	"smartbot/app/event"
	"smartbot/app/media"
	"smartbot/app/media/mediatest"
	"smartbot/app/messaging"
	"smartbot/app/whatsapp/simulator"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

func TestAFileACustomerSendsIsKeptInTheMediaLibraryAndARefusedOneIsExplained(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	qs := queue.New(db)
	files, err := media.OpenFiles(filepath.Join(db.DataDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	lib := media.New(media.Options{DB: db, Queues: qs, Files: files})
	sent := map[string][]byte{"pdf": mediatest.PDF(), "junk": []byte("not a file anyone could open")}
	sim := simulator.New(simulator.Options{Open: func(ctx context.Context, ref []byte) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(sent[string(ref)])), nil
	}})
	svc := messaging.New(messaging.Options{DB: db, Queues: qs, Emitter: event.NewEmitter(qs, event.NewBroker(), nil), Library: lib, Media: lib})
	if err := svc.Use(ctx, sim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Stop)
	if err := sim.AddCustomer("+263771234567", "Tariro"); err != nil {
		t.Fatal(err)
	}
	download := func(ref string) app.Message {
		t.Helper()
		in, err := sim.Say(ctx, "+263771234567", simulator.Said{MediaRef: []byte(ref), MediaKind: app.MediaDocument, MIME: "application/pdf", FileName: "invoice.pdf"})
		if err != nil {
			t.Fatal(err)
		}
		ms, _, err := db.ListMessages(ctx, storeFilterByCustomer(t, db))
		if err != nil {
			t.Fatal(err)
		}
		var m app.Message
		for _, x := range ms {
			if x.WAID == in.WAID {
				m = x
			}
		}
		if n := storetest.Count(t, db, `select count(*) from goqite where queue = 'media_processing' and body = ?`, []byte(messaging.DownloadPrefix+m.ID)); n != 1 {
			t.Fatalf("%d download jobs for the inbound file, want 1", n)
		}
		process := svc.Dispatch(func(context.Context, queue.Job) error { t.Fatal("a download went to the media handler"); return nil })
		if err := process(ctx, queue.Job{Body: []byte(messaging.DownloadPrefix + m.ID), Attempt: 1}); err != nil {
			t.Fatal(err)
		}
		m, err = db.Message(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := download("pdf")
	if m.MediaID == "" || m.Error != "" {
		t.Fatalf("after the download: media %q, error %q", m.MediaID, m.Error)
	}
	rec, err := db.Media(ctx, m.MediaID)
	if err != nil || rec.MIME != "application/pdf" || rec.OriginalName != "invoice.pdf" {
		t.Fatalf("library record = %+v, %v", rec, err)
	}
	// The job running again after a crash keeps no second copy.
	again := svc.Dispatch(nil)
	if err := again(ctx, queue.Job{Body: []byte(messaging.DownloadPrefix + m.ID), Attempt: 2}); err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, db, `select count(*) from media_files`); n != 1 {
		t.Fatalf("%d library records after the job ran twice, want 1", n)
	}
	m = download("junk")
	if m.MediaID != "" || m.Error == "" {
		t.Fatalf("a file the library refuses: media %q, error %q; want no media and the reason", m.MediaID, m.Error)
	}
}

// storeFilterByCustomer lists the messages of the one customer there is.
func storeFilterByCustomer(t *testing.T, db interface {
	CustomerByPhone(context.Context, string) (app.Customer, error)
}) store.MessageFilter {
	t.Helper()
	c, err := db.CustomerByPhone(context.Background(), "+263771234567")
	if err != nil {
		t.Fatal(err)
	}
	return store.MessageFilter{CustomerID: c.ID}
}
