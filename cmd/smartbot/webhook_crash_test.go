package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// crashReceiver is a webhook endpoint on loopback. While slow, it holds
// every request until its sender goes away, answering none; once fast, it
// answers 200 at once and counts the event as delivered. It records every
// webhook-id it is sent.
type crashReceiver struct {
	fast atomic.Bool
	// holding receives one value per request held while slow.
	holding chan struct{}
	// all is closed when want distinct events have been delivered.
	all  chan struct{}
	want int

	mu        sync.Mutex
	sent      map[string]int // webhook-id → requests, answered or not
	delivered map[string]int // webhook-id → 200 answers
	mismatch  []string       // webhook-ids whose body carries another id
}

func (c *crashReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("webhook-id")
	var body struct{ ID string }
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &body)
	c.mu.Lock()
	c.sent[id]++
	if body.ID != id {
		c.mismatch = append(c.mismatch, id)
	}
	c.mu.Unlock()
	if !c.fast.Load() {
		select {
		case c.holding <- struct{}{}:
		default:
		}
		// Never answered: the sender dies with the request open.
		<-r.Context().Done()
		return
	}
	w.WriteHeader(http.StatusOK)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.delivered[id]++
	if len(c.delivered) == c.want && c.delivered[id] == 1 {
		close(c.all)
	}
}

// The jobs a killed process had claimed come back when their claim runs
// out, the webhook_delivery queue's Timeout of a minute, so this test
// spends about a minute waiting; -short skips it.
func TestAKilledServerDeliversEveryPendingWebhookAfterItsRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("waits a minute for the killed process's claims to run out")
	}
	const events = 1000
	bin := binary(t)
	dir := t.TempDir()
	owner := createAPIKey(t, bin, dir, "owner")
	operator := createAPIKey(t, bin, dir, "operator")
	t.Setenv("SMARTBOT_WEBHOOK_ALLOW_PRIVATE", "true")
	rec := &crashReceiver{holding: make(chan struct{}, 1), all: make(chan struct{}), want: events,
		sent: map[string]int{}, delivered: map[string]int{}}
	receiver := httptest.NewServer(rec)
	t.Cleanup(receiver.Close)

	cmd, base, stderr := startServer(t, bin, dir)
	status, body := apiRequest(t, http.MethodPost, base+"/api/webhooks", owner,
		`{"url":"`+receiver.URL+`/hook","events":["product_updated"]}`)
	if status != http.StatusCreated {
		t.Fatalf("create a webhook: %d\n%s", status, body)
	}

	// 1,000 products, each emitting product_updated in its own transaction,
	// eight requests at a time.
	var wg sync.WaitGroup
	failures := make(chan string, events)
	next := make(chan int)
	started := time.Now()
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if err := createProduct(base, operator, i); err != nil {
					failures <- err.Error()
				}
			}
		})
	}
	for i := range events {
		next <- i
	}
	close(next)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Fatal(f)
	}
	t.Logf("%d products created in %.1f s", events, time.Since(started).Seconds())

	// Deliveries are in flight, held by the receiver: kill the process.
	select {
	case <-rec.holding:
	case <-time.After(30 * time.Second):
		t.Fatalf("no delivery reached the receiver in 30 s\n%s", stderr)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	rec.mu.Lock()
	inFlight := len(rec.sent)
	rec.mu.Unlock()
	rec.fast.Store(true)
	killed := time.Now()

	_, base, stderr = startServer(t, bin, dir)
	select {
	case <-rec.all:
	case <-time.After(2 * time.Minute):
		rec.mu.Lock()
		got := len(rec.delivered)
		rec.mu.Unlock()
		t.Fatalf("after the restart the receiver got %d of the %d events in 2 min\n%s", got, events, stderr)
	}
	t.Logf("%d deliveries were in flight at the kill; all %d events delivered %.1f s after it",
		inFlight, events, time.Since(killed).Seconds())

	// Every id the receiver heard is one of the 1,000 events the history
	// holds, in a body that carries the same id.
	emitted := map[string]bool{}
	for cursor := ""; ; {
		status, body := apiRequest(t, http.MethodGet, base+"/api/events?type=product_updated&limit=100&cursor="+url.QueryEscape(cursor), owner, "")
		var page struct {
			Data       []struct{ ID string }
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(body), &page); status != http.StatusOK || err != nil {
			t.Fatalf("GET /api/events: %d %v\n%s", status, err, body)
		}
		for _, e := range page.Data {
			emitted[e.ID] = true
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(emitted) != events {
		t.Fatalf("the history holds %d product_updated events, want %d", len(emitted), events)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for id := range rec.sent {
		if !emitted[id] {
			t.Errorf("the receiver was sent webhook-id %q, which is no event of the history", id)
		}
	}
	for id := range emitted {
		if rec.delivered[id] == 0 {
			t.Errorf("event %s was never delivered", id)
		}
	}
	if len(rec.mismatch) > 0 {
		t.Errorf("%d deliveries carry a body whose id is not their webhook-id, e.g. %s", len(rec.mismatch), rec.mismatch[0])
	}
}

// createProduct creates product i through the API; unlike apiRequest it may
// run on any goroutine.
func createProduct(base, key string, i int) error {
	req, err := http.NewRequest(http.MethodPost, base+"/api/products",
		strings.NewReader(fmt.Sprintf(`{"name":"Tulip %04d","sku":"TUL-%04d","price":1250,"currency":"USD","stock":5}`, i, i)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("product %d: %w", i, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("product %d: %d %s", i, res.StatusCode, b)
	}
	return nil
}
