package queue_test

// Queue benchmarks: run with
//
//	go test ./queue -run '^$' -bench . -benchtime 1x -count 5
//
// Each benchmark reports jobs/s (and latency percentiles) as custom metrics
// for this runner and, in the same run, for plain goqite (its Send, Receive
// and Delete, one transaction each, 4 polling workers), so the ratio shows.
// Figures and how they were taken are in docs/PERFORMANCE.md.

import (
	"context"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"maragu.dev/goqite"

	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

const benchWorkers = 4

// consumer is a way to work the order_processing queue with 4 workers.
type consumer struct {
	name  string
	start func(b *testing.B, db *store.DB, qs *queue.Queues, handle func(body []byte)) (stop func())
}

var consumers = []consumer{
	{"runner", func(b *testing.B, db *store.DB, qs *queue.Queues, handle func([]byte)) func() {
		r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
			queue.OrderProcessing: {Concurrency: benchWorkers},
		}})
		r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
			handle(job.Body)
			return nil
		})
		r.Start()
		return func() {
			if err := r.Shutdown(context.Background()); err != nil {
				b.Error(err)
			}
		}
	}},
	{"goqite", func(b *testing.B, db *store.DB, qs *queue.Queues, handle func([]byte)) func() {
		q := goqite.New(goqite.NewOpts{DB: db.W, Name: string(queue.OrderProcessing), MaxReceive: 8, Timeout: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range benchWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					m, err := q.ReceiveAndWait(ctx, time.Millisecond)
					if err != nil {
						return
					}
					handle(m.Body)
					if err := q.Delete(context.Background(), m.ID); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		return func() { cancel(); wg.Wait() }
	}},
}

// sendOne enqueues one job in its own transaction, the way a request would.
func sendOne(b *testing.B, db *store.DB, qs *queue.Queues, body []byte) {
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		return qs.Send(context.Background(), tx, queue.OrderProcessing, body)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEndToEnd: one producer enqueues single no-op jobs as fast as it
// can while 4 workers consume; jobs/s is from the first send to the last
// job done.
func BenchmarkEndToEnd(b *testing.B) {
	const jobs = 20000
	for _, c := range consumers {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				db := storetest.New(b)
				qs := queue.New(db)
				var done atomic.Int64
				finished := make(chan struct{})
				stop := c.start(b, db, qs, func([]byte) {
					if done.Add(1) == jobs {
						close(finished)
					}
				})
				start := time.Now()
				for range jobs {
					sendOne(b, db, qs, []byte("{}"))
				}
				<-finished
				elapsed := time.Since(start)
				stop()
				b.ReportMetric(jobs/elapsed.Seconds(), "jobs/s")
			}
		})
	}
}

// BenchmarkLatency: an open-loop producer enqueues 1,000 jobs/s for 3 s;
// each job's body carries its commit time, and the handler measures the time
// from commit to start.
func BenchmarkLatency(b *testing.B) {
	const rate, seconds = 1000, 3
	for _, c := range consumers {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				db := storetest.New(b)
				qs := queue.New(db)
				var mu sync.Mutex
				lat := make([]time.Duration, 0, rate*seconds)
				finished := make(chan struct{})
				stop := c.start(b, db, qs, func(body []byte) {
					sent := time.Unix(0, int64(binary.BigEndian.Uint64(body)))
					d := time.Since(sent)
					mu.Lock()
					lat = append(lat, d)
					if len(lat) == rate*seconds {
						close(finished)
					}
					mu.Unlock()
				})
				time.Sleep(50 * time.Millisecond) // let the consumers go idle
				start := time.Now()
				for i := range rate * seconds {
					due := start.Add(time.Duration(i) * time.Second / rate)
					time.Sleep(time.Until(due))
					// The timestamp is taken inside the transaction, just
					// before the insert, so the measure includes the insert,
					// the commit and the wake-up.
					err := db.Write(context.Background(), func(tx *store.Tx) error {
						body := binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano()))
						return qs.Send(context.Background(), tx, queue.OrderProcessing, body)
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				<-finished
				stop()
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}

// BenchmarkDrain: 30,000 jobs are waiting when the consumers start; jobs/s
// is until the last is done.
func BenchmarkDrain(b *testing.B) {
	const jobs = 30000
	for _, c := range consumers {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				db := storetest.New(b)
				qs := queue.New(db)
				err := db.Write(context.Background(), func(tx *store.Tx) error {
					for range jobs {
						if err := qs.Send(context.Background(), tx, queue.OrderProcessing, []byte("{}")); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				var done atomic.Int64
				finished := make(chan struct{})
				start := time.Now()
				stop := c.start(b, db, qs, func([]byte) {
					if done.Add(1) == jobs {
						close(finished)
					}
				})
				<-finished
				elapsed := time.Since(start)
				stop()
				b.ReportMetric(jobs/elapsed.Seconds(), "jobs/s")
			}
		})
	}
}
