package messaging_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/event"
	"smartbot/app/messaging"
	"smartbot/app/whatsapp/simulator"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

// benchRig is the pipeline on the real clock: a database, the queue runner
// working message_sending, and the simulator as WhatsApp.
func benchRig(b *testing.B, onSend func(app.Outgoing)) (*store.DB, *messaging.Service, *simulator.Simulator, *queue.Runner) {
	b.Helper()
	db := storetest.New(b)
	qs := queue.New(db)
	runner := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.MessageSending: {Concurrency: 4},
	}})
	// Receipts never come: the figure is the send path alone.
	sim := simulator.New(simulator.Options{DeliveredAfter: -1, ReadAfter: -1, OnSend: onSend})
	svc := messaging.New(messaging.Options{DB: db, Queues: qs, Emitter: event.NewEmitter(qs, event.NewBroker(), nil), Runner: runner})
	runner.Handle(queue.MessageSending, svc.Process)
	ctx := context.Background()
	if err := svc.SetPacing(ctx, noPacing); err != nil {
		b.Fatal(err)
	}
	if err := svc.Use(ctx, sim); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if runner.Started() {
			runner.Shutdown(context.Background())
		}
		svc.Stop()
	})
	return db, svc, sim, runner
}

// BenchmarkInbound injects messages from 50 test customers at 1,000 a
// second and reports how long each took to be stored with its event (Say
// returns once the handler committed): p50 and p99 in ms.
//
//	go test ./app/messaging -run '^$' -bench Inbound -benchtime 5000x
func BenchmarkInbound(b *testing.B) {
	db, _, sim, _ := benchRig(b, nil)
	const customers = 50
	for i := range customers {
		if err := sim.AddCustomer(fmt.Sprintf("+2637710%05d", i), "Customer"); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	lat := make([]time.Duration, b.N)
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		// Message i leaves at start + i ms: 1,000 a second on average,
		// catching up after a late wake rather than drifting below.
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Millisecond)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			if _, err := sim.Say(ctx, fmt.Sprintf("+2637710%05d", i%customers), simulator.Said{Text: "hello"}); err != nil {
				failed.Add(1)
			}
			lat[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	stored := storetest.Count(b, db, `select count(*) from messages where direction = 'in'`)
	events := storetest.Count(b, db, `select count(*) from events where type = 'message_received'`)
	if failed.Load() > 0 || stored != b.N || events != b.N {
		b.Fatalf("%d failed, %d stored, %d events of %d sent", failed.Load(), stored, events, b.N)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

// BenchmarkOutbound queues b.N messages to 100 chats, pacing off, and
// reports how many a second went through queue → simulator → recorded as
// sent.
//
//	go test ./app/messaging -run '^$' -bench Outbound -benchtime 5000x
func BenchmarkOutbound(b *testing.B) {
	var sent atomic.Int64
	done := make(chan struct{})
	total := int64(b.N)
	db, svc, _, runner := benchRig(b, nil)
	ctx := context.Background()
	// Queue them all first, 100 to a transaction, as a broadcast would.
	for i := 0; i < b.N; i += 100 {
		err := db.Write(ctx, func(tx *store.Tx) error {
			for j := i; j < min(i+100, b.N); j++ {
				if _, err := svc.SendTx(ctx, tx, messaging.Outbound{To: fmt.Sprintf("+2637720%05d", j%100), Text: "Your order is on its way"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// Room for every change: a watcher that falls behind misses some.
	changes, stop := svc.Watch(4*b.N + 100)
	defer stop()
	go func() {
		for c := range changes {
			if c.Message != nil && c.Message.Status == app.MessageSentStatus && sent.Add(1) == total {
				close(done)
				return
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	runner.Start()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d sent after 5 minutes", sent.Load(), total)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if n := storetest.Count(b, db, `select count(*) from messages where status = 'sent'`); n != b.N {
		b.Fatalf("%d recorded sent, want %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
