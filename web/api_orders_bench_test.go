package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/app/catalog"
	"smartbot/app/commerce"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
	"smartbot/web"
)

// orderBench is the server over loopback with three tracked products, an
// operator key and the order_processing runner: each order is the whole
// path, POST /api/orders (order, items, step, audit, order_created and its
// job in one transaction) and then its job (stock of three products taken
// in one more).
type orderBench struct {
	db     *store.DB
	url    string
	key    string
	body   string
	client *http.Client
}

func newOrderBench(b *testing.B) *orderBench {
	ctx := context.Background()
	db := storetest.New(b)
	qs := queue.New(db)
	emitter := event.NewEmitter(qs, event.NewBroker(), nil)
	shop := commerce.New(commerce.Options{DB: db, Queues: qs, Emitter: emitter})
	runner := queue.NewRunner(queue.RunnerOptions{Queues: qs})
	runner.Handle(queue.OrderProcessing, shop.ProcessOrder)
	runner.Start()
	srv := web.New(web.Options{DB: db, Queues: qs, Runner: runner, Broker: event.NewBroker(), Emitter: emitter, Commerce: shop})
	hs := httptest.NewServer(srv)
	b.Cleanup(func() { hs.Close(); runner.Shutdown(ctx) })
	cat := catalog.New(catalog.Options{DB: db, Emitter: emitter})
	var items []string
	for i := range 3 {
		price, stock := int64(500+i*250), int64(1_000_000_000)
		p, err := cat.CreateProduct(ctx, catalog.NewProduct{Name: fmt.Sprintf("Rooibos %d", i), Price: &price, Currency: "USD", Stock: &stock})
		if err != nil {
			b.Fatal(err)
		}
		items = append(items, fmt.Sprintf(`{"product_id": %q, "quantity": %d}`, p.ID, i+1))
	}
	key, err := account.New(account.Options{DB: db}).CreateAPIKey(ctx, account.NewAPIKey{Name: "bench", Role: app.RoleOperator,
		ExpiresAt: ptr(time.Now().Add(24 * time.Hour))})
	if err != nil {
		b.Fatal(err)
	}
	return &orderBench{db: db, url: hs.URL, key: key.Secret, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		body: `{"customer": {"phone": "+263771234567", "name": "Tariro"}, "items": [` + strings.Join(items, ", ") +
			`], "delivery_address": "12 Samora Machel Ave, Harare"}`}
}

func (ob *orderBench) place(b *testing.B) {
	r, _ := http.NewRequest(http.MethodPost, ob.url+"/api/orders", strings.NewReader(ob.body))
	r.Header.Set("Authorization", "Bearer "+ob.key)
	r.Header.Set("Content-Type", "application/json")
	res, err := ob.client.Do(r)
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b.Errorf("POST /api/orders: %d", res.StatusCode)
	}
}

// waitReserved waits until n orders have their stock taken: the rate
// counts the jobs, not only the requests.
func (ob *orderBench) waitReserved(b *testing.B, n int) {
	for storetest.Count(b, ob.db, `select count(*) from orders where stock_reserved = 1`) < n {
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkOrderCreate is order creation over the API with 3 items. Rerun:
//
//	go test ./web -run '^$' -bench 'OrderCreate/sustained' -benchtime 5000x -count 5
//	go test ./web -run '^$' -bench 'OrderCreate/paced' -benchtime 2000x -count 5
//
// sustained: 32 clients post as fast as they can; orders/s is placed and
// reserved over wall time. paced: one order every 5 ms (200/s) on a
// schedule; p99 is of the request latency.
func BenchmarkOrderCreate(b *testing.B) {
	b.Run("sustained", func(b *testing.B) {
		ob := newOrderBench(b)
		next := make(chan struct{})
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				for range next {
					ob.place(b)
				}
			})
		}
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			next <- struct{}{}
		}
		close(next)
		wg.Wait()
		ob.waitReserved(b, b.N)
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
	})
	b.Run("paced", func(b *testing.B) {
		ob := newOrderBench(b)
		const every = 5 * time.Millisecond
		lat := make([]time.Duration, b.N)
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			due := start.Add(time.Duration(i) * every)
			time.Sleep(time.Until(due))
			wg.Go(func() {
				t := time.Now()
				ob.place(b)
				lat[i] = time.Since(t)
			})
		}
		wg.Wait()
		ob.waitReserved(b, b.N)
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	})
}
