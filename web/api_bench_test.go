package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/account"
	"smartbot/app/catalog"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store/storetest"
	"smartbot/web"
)

// BenchmarkAPIRead measures the server's CPU for one authenticated read,
// in process (no sockets): the router, the middleware, the API key check,
// the query and the JSON. The database holds what the load script seeds:
// 60 products, so 60 product_updated events and 60 audit rows, plus a
// viewer key. Rerun:
//
//	go test ./web -run '^$' -bench APIRead -benchtime 2000x -count 5
func BenchmarkAPIRead(b *testing.B) {
	ctx := context.Background()
	db := storetest.New(b)
	queues := queue.New(db)
	broker := event.NewBroker()
	emitter := event.NewEmitter(queues, broker, nil)
	srv := web.New(web.Options{DB: db, Queues: queues, Broker: broker, Emitter: emitter})
	catalogs := catalog.New(catalog.Options{DB: db, Emitter: emitter})
	var last string
	for i := range 60 {
		price := int64(1000 + i)
		p, err := catalogs.CreateProduct(ctx, catalog.NewProduct{SKU: fmt.Sprintf("SKU-%03d", i), Name: fmt.Sprintf("Rooibos tea %d", i),
			Description: "Loose-leaf rooibos from the Cederberg, 100 g", Category: "tea", Price: &price, Currency: "ZAR"})
		if err != nil {
			b.Fatal(err)
		}
		last = p.ID
	}
	key, err := account.New(account.Options{DB: db}).CreateAPIKey(ctx, account.NewAPIKey{Name: "bench", Role: app.RoleOwner,
		ExpiresAt: ptr(time.Now().Add(24 * time.Hour))})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, path string }{
		{"products", "/api/products?limit=50"},
		{"product", "/api/products/" + last},
		{"audit", "/api/audit?limit=50"},
		{"events", "/api/events?limit=50"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, bc.path, nil)
			req.Header.Set("Authorization", "Bearer "+key.Secret)
			b.ReportAllocs()
			var size int
			for b.Loop() {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", bc.path, w.Code, w.Body)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/answer")
		})
	}
}

// BenchmarkAPICreate measures the server's CPU for one POST /api/products
// in process: the body, the write transaction with its audit row, event
// and answer, and the commit. Rerun:
//
//	go test ./web -run '^$' -bench APICreate -benchtime 3000x -count 5
func BenchmarkAPICreate(b *testing.B) {
	ctx := context.Background()
	db := storetest.New(b)
	queues := queue.New(db)
	srv := web.New(web.Options{DB: db, Queues: queues, Broker: event.NewBroker()})
	key, err := account.New(account.Options{DB: db}).CreateAPIKey(ctx, account.NewAPIKey{Name: "bench", Role: app.RoleOwner})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		body := fmt.Sprintf(`{"sku":"B-%d","name":"Bench tea %d","description":"Loose-leaf rooibos, 100 g","category":"tea","price":1250,"currency":"ZAR","active":true}`, n, n)
		req := httptest.NewRequest(http.MethodPost, "/api/products", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

func ptr[T any](v T) *T { return &v }
