package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/store"
	"smartbot/store/storetest"
)

// genOrders fills db with n orders of 1,000 customers, one item each, one
// a second from 2025-01-01, statuses and fulfilments in turn: one
// statement over a recursive CTE per table, not the service, so a million
// takes seconds.
func genOrders(b *testing.B, db *store.DB, n int) {
	ctx := context.Background()
	err := db.Write(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`with recursive k(i) as (select 0 union all select i + 1 from k where i < 999)
			insert into customers (id, phone, name, created_at, updated_at)
			select 'cus_' || printf('%026d', i), '+2637712' || printf('%05d', i), 'Customer ' || i, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z' from k`,
			`insert into products (id, name, price, currency, stock, created_at, updated_at)
			values ('prd_00000000000000000000000001', 'Rooibos', 1250, 'USD', 1000, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`,
			`with recursive k(i) as (select 1 union all select i + 1 from k where i < ?)
			insert into orders (id, number, customer_id, status, payment_status, fulfilment, total, currency, delivery_address, source, created_at, updated_at)
			select 'ord_' || printf('%026d', i), printf('SB-%06d', i), 'cus_' || printf('%026d', i % 1000),
				json_extract('["pending","confirmed","preparing","ready","out_for_delivery","delivered","completed","cancelled"]', '$[' || (i % 8) || ']'),
				json_extract('["unpaid","paid","partially_paid","unpaid"]', '$[' || (i % 4) || ']'),
				case when i % 3 = 0 then 'pickup' else 'delivery' end,
				1250 * (1 + i % 3), 'USD', 'Harare', 'api',
				strftime('%Y-%m-%dT%H:%M:%fZ', '2025-01-01', '+' || i || ' seconds'), strftime('%Y-%m-%dT%H:%M:%fZ', '2025-01-01', '+' || i || ' seconds')
			from k`,
			`insert into order_items (order_id, position, product_id, name, unit_price, quantity)
			select id, 0, 'prd_00000000000000000000000001', 'Rooibos', 1250, 1 + rowid % 3 from orders`,
		} {
			if _, err := tx.ExecContext(ctx, q, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.W.ExecContext(ctx, `analyze`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListOrders reads pages of 50 orders from a million: the first
// page, with and without filters, and a deep page (a cursor half-way
// down) with filters. Rerun:
//
//	go test ./store -run '^$' -bench ListOrders -benchtime 2000x -count 5
var benchOrders = 1_000_000

func BenchmarkListOrders(b *testing.B) {
	db := storetest.New(b)
	start := time.Now()
	genOrders(b, db, benchOrders)
	b.Logf("%d orders generated in %s", benchOrders, time.Since(start).Round(time.Millisecond))
	// Half-way down: the place of the order in the middle, as a next_cursor.
	half := benchOrders / 2
	deep := app.FormatTime(time.Date(2025, 1, 1, 0, 0, half, 0, time.UTC)) + "," + fmt.Sprintf("ord_%026d", half)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		f    store.OrderFilter
	}{
		{"first", store.OrderFilter{Limit: 50}},
		{"first-status", store.OrderFilter{Limit: 50, Status: "pending"}},
		{"first-customer", store.OrderFilter{Limit: 50, CustomerID: "cus_00000000000000000000000042"}},
		{"first-search-phone", store.OrderFilter{Limit: 50, Search: "+263771200042"}},
		{"deep", store.OrderFilter{Limit: 50, Cursor: deep}},
		{"deep-status", store.OrderFilter{Limit: 50, Status: "pending", Cursor: deep}},
		{"deep-payment", store.OrderFilter{Limit: 50, PaymentStatus: "paid", Cursor: deep}},
		{"deep-fulfilment", store.OrderFilter{Limit: 50, Fulfilment: "pickup", Cursor: deep}},
		{"deep-status-range", store.OrderFilter{Limit: 50, Status: "ready", Cursor: deep,
			From: time.Date(2025, 1, 1, 0, 0, half/4, 0, time.UTC), To: time.Date(2025, 1, 1, 0, 0, half*3/2, 0, time.UTC)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t := time.Now()
				list, _, err := db.ListOrders(ctx, bc.f)
				lat = append(lat, time.Since(t))
				if err != nil || len(list) != 50 {
					b.Fatalf("%d orders, %v", len(list), err)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
