package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/webhook"
	"smartbot/queue"
	"smartbot/store"
)

// benchEnv is a running delivery pipeline to a loopback receiver that
// answers 200 at once and reports the time of each request's webhook-id.
func benchEnv(b *testing.B, endpoints int) (*env, chan string) {
	b.Helper()
	e := newBenchEnv(b)
	got := make(chan string, 1<<16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("webhook-id")
	}))
	b.Cleanup(srv.Close)
	for i := range endpoints {
		if _, err := e.svc.Create(context.Background(), webhook.NewWebhook{URL: srv.URL + "/" + strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.svc.Prepare(context.Background()); err != nil {
		b.Fatal(err)
	}
	r := queue.NewRunner(queue.RunnerOptions{Queues: e.qs, Config: map[queue.Name]queue.Config{queue.WebhookDelivery: e.svc.QueueConfig()}})
	r.Handle(queue.WebhookDelivery, e.svc.Deliver)
	r.Start()
	b.Cleanup(func() { r.Shutdown(context.Background()) })
	return e, got
}

// BenchmarkDeliveryThroughput: signed deliveries per second to one local
// endpoint, every attempt logged; events are committed 100 to a
// transaction so that emitting is not what is measured.
func BenchmarkDeliveryThroughput(b *testing.B) {
	e, got := benchEnv(b, 1)
	b.ResetTimer()
	start := time.Now()
	for sent := 0; sent < b.N; sent += 100 {
		err := e.db.Write(context.Background(), func(tx *store.Tx) error {
			for range min(100, b.N-sent) {
				if _, err := e.em.Emit(context.Background(), tx, order); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		<-got
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
	b.StopTimer()
	// Every attempt logged: the last rows may commit just after their answer.
	e.waitLogs(b, b.N)
}

// BenchmarkCommitToReceiver: the time from an event's commit to its
// arrival at the endpoint, at 200 events per second.
func BenchmarkCommitToReceiver(b *testing.B) {
	e, got := benchEnv(b, 1)
	var mu sync.Mutex
	committed := map[string]time.Time{}
	lat := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	go func() {
		for range b.N {
			id := <-got
			at := time.Now()
			mu.Lock()
			lat = append(lat, at.Sub(committed[id]))
			mu.Unlock()
		}
		close(done)
	}()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for range b.N {
		<-tick.C
		var ev app.Event
		mu.Lock() // the receiver must not look the id up before it is noted
		err := e.db.Write(context.Background(), func(tx *store.Tx) error {
			var err error
			ev, err = e.em.Emit(context.Background(), tx, order)
			return err
		})
		committed[ev.ID] = time.Now()
		mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkFanOut50: one event to 50 endpoints, from commit to the last arrival.
func BenchmarkFanOut50(b *testing.B) {
	e, got := benchEnv(b, 50)
	b.ResetTimer()
	for range b.N {
		e.emitB(b)
		for range 50 {
			<-got
		}
	}
}

func newBenchEnv(b *testing.B) *env {
	b.Helper()
	return newEnv(b, webhook.Options{AllowPrivate: true})
}

func (e *env) emitB(b *testing.B) {
	err := e.db.Write(context.Background(), func(tx *store.Tx) error {
		_, err := e.em.Emit(context.Background(), tx, order)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

func (e *env) waitLogs(b *testing.B, n int) {
	for range 100000 {
		var c int
		e.db.R.QueryRow(`select count(*) from webhook_logs`).Scan(&c)
		if c >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	b.Fatalf("not every attempt was logged")
}
