package web_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/auth"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
	"smartbot/web"
)

// BenchmarkSSEFanout measures how long a committed event takes to reach 200
// open dashboard streams (target: p99 ≤ 100 ms). Each op commits one event
// and waits until every stream has received the #events patch that shows
// it; the delay of each stream is from just after the commit to the moment
// its reader, in this process, parsed that patch. The feed is full (20
// events) from the start. Events are 100 ms apart (not timed), so the
// streams' 2-second refreshes happen between and during them, as they do
// in use. Rerun: go test ./web -run '^$' -bench SSEFanout -benchtime 50x -count 5
func BenchmarkSSEFanout(b *testing.B) {
	const streams = 200
	ctx := context.Background()
	db := storetest.New(b)
	queues := queue.New(db)
	// Wired as 'smartbot serve' wires it: a started runner, no handlers yet.
	runner := queue.NewRunner(queue.RunnerOptions{Queues: queues})
	runner.Start()
	b.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		runner.Shutdown(sctx)
	})
	broker := event.NewBroker()
	emitter := event.NewEmitter(queues, broker, nil)
	srv := web.New(web.Options{DB: db, Queues: queues, Runner: runner, Broker: broker, Emitter: emitter})
	ts := httptest.NewServer(srv)
	b.Cleanup(ts.Close)
	b.Cleanup(srv.CloseStreams) // before ts.Close, which waits for open requests

	// A full feed (the dashboard shows 20 events), as in a shop that has
	// been open a while: each patch then carries 20 rows, not 1 to 3.
	err := db.Write(ctx, func(tx *store.Tx) error {
		for i := range 20 {
			if _, err := emitter.Emit(ctx, tx, app.BotConnectedData{JID: fmt.Sprintf("seed%d@s.whatsapp.net", i), Phone: fmt.Sprint(i), Name: "Bench shop"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	cookie := signInForFanout(b, db, ts.URL)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: streams}}
	b.Cleanup(client.CloseIdleConnections)

	// current is the event being waited for; readers compare every line
	// with its marker. Set after the commit, before the broker publishes.
	var current atomic.Pointer[fanout]
	opened := make(chan struct{}, streams)
	sctx, stop := context.WithCancel(ctx)
	b.Cleanup(stop) // runs first: the readers end, then the server's handlers
	for i := range streams {
		req, _ := http.NewRequestWithContext(sctx, http.MethodGet, ts.URL+"/dashboard/stream", nil)
		req.Header.Set("Cookie", cookie)
		req.Header.Set("Datastar-Request", "true")
		res, err := client.Do(req)
		if err != nil {
			b.Fatalf("open stream %d: %v", i, err)
		}
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			b.Fatalf("open stream %d: %s, %s", i, res.Status, res.Header.Get("Content-Type"))
		}
		go func() {
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
			first, seen := true, 0
			for sc.Scan() {
				line := sc.Text()
				if first && strings.Contains(line, `id="events"`) {
					first = false
					opened <- struct{}{}
				}
				if f := current.Load(); f != nil && f.n != seen && strings.Contains(line, f.marker) {
					seen = f.n
					f.arrived(i)
				}
			}
		}()
	}
	deadline := time.After(30 * time.Second)
	for i := range streams {
		select {
		case <-opened:
		case <-deadline:
			b.Fatalf("after 30s, %d of %d streams had sent their first patch", i, streams)
		}
	}

	var delays []time.Duration
	for n := 1; b.Loop(); n++ {
		f := &fanout{n: n, delays: make([]time.Duration, streams), done: make(chan struct{}), left: streams}
		err := db.Write(ctx, func(tx *store.Tx) error {
			// Registered before Emit's own hook, so it runs after the commit
			// and before the broker hands the event to the streams.
			tx.OnCommit(func() {
				f.commit = time.Now()
				current.Store(f)
			})
			e, err := emitter.Emit(ctx, tx, app.BotConnectedData{JID: fmt.Sprintf("%d@s.whatsapp.net", n), Phone: fmt.Sprint(n), Name: "Bench shop"})
			f.marker = `id="event-` + e.ID + `"`
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		select {
		case <-f.done:
		case <-time.After(10 * time.Second):
			b.Fatalf("event %d: %d of %d streams had not received it after 10s", n, f.waiting(), streams)
		}
		delays = append(delays, f.delays...)
		b.StopTimer()
		time.Sleep(100 * time.Millisecond)
		b.StartTimer()
	}
	slices.Sort(delays)
	at := func(p float64) float64 {
		i := min(int(float64(len(delays))*p/100+0.999999)-1, len(delays)-1)
		return float64(delays[max(i, 0)]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(50), "p50-ms")
	b.ReportMetric(at(99), "p99-ms")
	b.ReportMetric(at(100), "max-ms")
}

// fanout is one event on its way to every stream.
type fanout struct {
	n      int
	marker string    // the feed item's id attribute, unique to the event
	commit time.Time // just after the commit
	delays []time.Duration

	mu   sync.Mutex
	left int
	done chan struct{}
}

// arrived records stream i receiving the event now.
func (f *fanout) arrived(i int) {
	d := time.Since(f.commit)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delays[i] = d
	if f.left--; f.left == 0 {
		close(f.done)
	}
}

func (f *fanout) waiting() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.left
}

// signInForFanout creates an owner and signs in through POST /login as a browser
// would; it returns the session's Cookie header.
func signInForFanout(b *testing.B, db *store.DB, base string) string {
	b.Helper()
	ctx := context.Background()
	const email, password = "owner@example.com", "correct horse battery staple"
	hash, err := auth.HashPassword(password)
	if err != nil {
		b.Fatal(err)
	}
	u := app.User{ID: app.NewID(app.PrefixUser), Email: email, Name: "Owner", Role: app.RoleOwner, PasswordHash: hash}
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateUser(ctx, &u) }); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	b.Fatalf("POST /login answered %s with no session cookie", res.Status)
	return ""
}
