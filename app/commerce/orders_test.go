package commerce_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/catalog"
	"smartbot/app/commerce"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

// shop is the commerce service on a fresh database, without messaging:
// notices are recorded as handled and nothing is sent.
type shop struct {
	t       *testing.T
	db      *store.DB
	s       *commerce.Service
	catalog *catalog.Service
}

func newShop(t *testing.T) *shop {
	t.Helper()
	db := storetest.New(t)
	qs := queue.New(db)
	em := event.NewEmitter(qs, event.NewBroker(), nil)
	return &shop{t: t, db: db, s: commerce.New(commerce.Options{DB: db, Queues: qs, Emitter: em}),
		catalog: catalog.New(catalog.Options{DB: db, Emitter: em})}
}

func (sh *shop) product(name string, price int64, currency string, stock *int64) app.Product {
	sh.t.Helper()
	p, err := sh.catalog.CreateProduct(context.Background(), catalog.NewProduct{Name: name, Price: &price, Currency: currency, Stock: stock})
	if err != nil {
		sh.t.Fatal(err)
	}
	return p
}

func (sh *shop) order(fulfilment string, items ...commerce.NewItem) app.Order {
	sh.t.Helper()
	in := commerce.NewOrder{Customer: &commerce.NewCustomer{Phone: "+263771234567", Name: "Tariro"}, Items: items, Fulfilment: fulfilment}
	if fulfilment == app.FulfilmentDelivery {
		in.DeliveryAddress = "12 Samora Machel Ave, Harare"
	}
	o, err := sh.s.CreateOrder(context.Background(), in)
	if err != nil {
		sh.t.Fatal(err)
	}
	return o
}

// jobs returns the order_processing jobs waiting, oldest first.
func (sh *shop) jobs() []queue.Job {
	sh.t.Helper()
	rows, err := sh.db.R.Query(`select id, body from goqite where queue = 'order_processing' order by created, rowid`)
	if err != nil {
		sh.t.Fatal(err)
	}
	defer rows.Close()
	var jobs []queue.Job
	for rows.Next() {
		var j queue.Job
		if err := rows.Scan(&j.ID, &j.Body); err != nil {
			sh.t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// runJobs runs the order_processing jobs waiting, as the runner would, and
// takes them off the queue.
func (sh *shop) runJobs() {
	sh.t.Helper()
	for _, j := range sh.jobs() {
		if err := sh.s.ProcessOrder(context.Background(), j); err != nil {
			sh.t.Fatalf("job %s: %v", j.Body, err)
		}
		sh.exec(`delete from goqite where id = ?`, j.ID)
	}
}

func asError(err error, target **app.Error) bool { return errors.As(err, target) }

func (sh *shop) count(q string, args ...any) int {
	sh.t.Helper()
	return storetest.Count(sh.t, sh.db, q, args...)
}

func (sh *shop) stock(id string) int64 {
	sh.t.Helper()
	p, err := sh.db.Product(context.Background(), id)
	if err != nil {
		sh.t.Fatal(err)
	}
	return *p.Stock
}

func (sh *shop) exec(q string, args ...any) {
	sh.t.Helper()
	ctx := context.Background()
	if err := sh.db.Write(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, q, args...); return err }); err != nil {
		sh.t.Fatal(err)
	}
}

func n(v int64) *int64 { return &v }

func TestPlacingAnOrderStoresItNumberedWithItsEventJobAndAuditRow(t *testing.T) {
	sh := newShop(t)
	tea := sh.product("Rooibos", 1250, "USD", n(10))
	mug := sh.product("Mug", 500, "USD", nil)
	o := sh.order(app.FulfilmentDelivery, commerce.NewItem{ProductID: tea.ID, Quantity: 2}, commerce.NewItem{ProductID: mug.ID, Quantity: 1})
	if o.Number != "SB-000001" || o.Status != app.OrderPending || o.PaymentStatus != app.PaymentUnpaid || o.Total != 3000 || o.Currency != "USD" {
		t.Errorf("order %+v", o)
	}
	if len(o.Items) != 2 || o.Items[0].Name != "Rooibos" || o.Items[0].UnitPrice != 1250 || o.Items[1].Quantity != 1 {
		t.Errorf("items %+v", o.Items)
	}
	got, err := sh.db.OrderByNumber(context.Background(), "SB-000001")
	if err != nil || got.ID != o.ID || got.CustomerPhone != "+263771234567" || got.CustomerName != "Tariro" || len(got.Items) != 2 ||
		len(got.Timeline) != 1 || got.Timeline[0].Status != app.OrderPending || got.Timeline[0].By != "system" {
		t.Errorf("stored %+v, %v", got, err)
	}
	var payload string
	if err := sh.db.R.QueryRow(`select payload from events where type = 'order_created'`).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	var e struct{ Data app.OrderCreatedData }
	json.Unmarshal([]byte(payload), &e)
	if e.Data.OrderID != o.ID || e.Data.CustomerPhone != "+263771234567" || e.Data.Fulfilment != "delivery" || e.Data.Source != "api" ||
		e.Data.DeliveryAddress == "" || len(e.Data.Items) != 2 || e.Data.Total != 3000 {
		t.Errorf("event data %+v", e.Data)
	}
	if c := sh.count(`select count(*) from audit_logs where action = 'order.create' and entity_id = ?`, o.ID); c != 1 {
		t.Errorf("%d audit rows", c)
	}
	if c := sh.count(`select count(*) from goqite where queue = 'order_processing'`); c != 1 {
		t.Errorf("%d jobs", c)
	}
	// The customer is found by phone the second time, and numbers go on.
	o2 := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: mug.ID, Quantity: 1})
	if o2.Number != "SB-000002" || o2.CustomerID != o.CustomerID {
		t.Errorf("second order %s for %s, first for %s", o2.Number, o2.CustomerID, o.CustomerID)
	}
}

func TestBadOrdersAreRefusedNamingEachFieldAndStoreNothing(t *testing.T) {
	sh := newShop(t)
	usd := sh.product("Tea", 100, "USD", nil)
	zar := sh.product("Rusks", 100, "ZAR", nil)
	off := sh.product("Old tea", 100, "USD", nil)
	sh.exec(`update products set active = 0 where id = ?`, off.ID)
	many := make([]commerce.NewItem, 101)
	for i := range many {
		many[i] = commerce.NewItem{ProductID: usd.ID, Quantity: 1}
	}
	cus := &commerce.NewCustomer{Phone: "+263771234567"}
	for _, c := range []struct {
		name  string
		in    commerce.NewOrder
		field string
	}{
		{"a zero quantity", commerce.NewOrder{Customer: cus, Items: []commerce.NewItem{{usd.ID, 1}, {usd.ID, 1}, {usd.ID, 0}}}, "items[2].quantity"},
		{"a huge quantity", commerce.NewOrder{Customer: cus, Items: []commerce.NewItem{{usd.ID, 10001}}}, "items[0].quantity"},
		{"an unknown product", commerce.NewOrder{Customer: cus, Items: []commerce.NewItem{{app.NewID(app.PrefixProduct), 1}}}, "items[0].product_id"},
		{"an inactive product", commerce.NewOrder{Customer: cus, Items: []commerce.NewItem{{off.ID, 1}}}, "items[0].product_id"},
		{"two currencies", commerce.NewOrder{Customer: cus, Items: []commerce.NewItem{{usd.ID, 1}, {zar.ID, 1}}}, "items[1].product_id"},
		{"no items", commerce.NewOrder{Customer: cus}, "items"},
		{"101 lines", commerce.NewOrder{Customer: cus, Items: many}, "items"},
		{"no customer", commerce.NewOrder{Items: []commerce.NewItem{{usd.ID, 1}}}, "customer"},
		{"a bad phone", commerce.NewOrder{Customer: &commerce.NewCustomer{Phone: "0771234567"}, Items: []commerce.NewItem{{usd.ID, 1}}}, "customer.phone"},
		{"an unknown customer", commerce.NewOrder{CustomerID: app.NewID(app.PrefixCustomer), Items: []commerce.NewItem{{usd.ID, 1}}}, "customer_id"},
		{"a delivery without address", commerce.NewOrder{Customer: cus, Fulfilment: "delivery", Items: []commerce.NewItem{{usd.ID, 1}}}, "delivery_address"},
		{"an unknown fulfilment", commerce.NewOrder{Customer: cus, Fulfilment: "drone", Items: []commerce.NewItem{{usd.ID, 1}}}, "fulfilment"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := sh.s.CreateOrder(context.Background(), c.in)
			var ae *app.Error
			if !errors.As(err, &ae) || ae.Code != app.EINVALID {
				t.Fatalf("err = %v", err)
			}
			var fields []string
			for _, f := range ae.Fields {
				fields = append(fields, f.Field)
			}
			if !strings.Contains(","+strings.Join(fields, ",")+",", ","+c.field+",") {
				t.Errorf("fields %v, want %s", fields, c.field)
			}
		})
	}
	if c := sh.count(`select (select count(*) from orders) + (select count(*) from customers) + (select count(*) from counters) +
		(select count(*) from events where type = 'order_created') + (select count(*) from goqite)`); c != 0 {
		t.Errorf("%d rows stored by refused orders", c)
	}
}

func TestAnOrderWhoseTransactionFailsAtTheEndLeavesNoOrderEventJobOrAuditRow(t *testing.T) {
	sh := newShop(t)
	tea := sh.product("Tea", 100, "USD", n(5))
	ctx := context.Background()
	boom := errors.New("the last statement failed")
	err := sh.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := sh.s.CreateOrderTx(ctx, tx, commerce.NewOrder{Customer: &commerce.NewCustomer{Phone: "+263771234567"},
			Items: []commerce.NewItem{{tea.ID, 1}}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if c := sh.count(`select (select count(*) from orders) + (select count(*) from order_items) + (select count(*) from order_steps) +
		(select count(*) from counters) + (select count(*) from events where type = 'order_created') + (select count(*) from goqite) +
		(select count(*) from audit_logs where entity_type = 'order')`); c != 0 {
		t.Errorf("%d rows survived the rollback", c)
	}
	// The number was not spent: the next order is still the first.
	if o := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: tea.ID, Quantity: 1}); o.Number != "SB-000001" {
		t.Errorf("number %s", o.Number)
	}
}

func TestAStatusChangeWhoseTransactionFailsAtTheEndChangesNothing(t *testing.T) {
	sh := newShop(t)
	tea := sh.product("Tea", 100, "USD", n(5))
	o := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: tea.ID, Quantity: 2})
	sh.runJobs()
	ctx := context.Background()
	boom := errors.New("the last statement failed")
	err := sh.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := sh.s.ChangeStatusTx(ctx, tx, o.ID, app.OrderCancelled); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	got, _ := sh.db.Order(ctx, o.ID)
	if got.Status != app.OrderPending || !got.StockReserved || len(got.Timeline) != 1 || sh.stock(tea.ID) != 3 {
		t.Errorf("after rollback: %s, reserved %v, %d steps, stock %d", got.Status, got.StockReserved, len(got.Timeline), sh.stock(tea.ID))
	}
	if c := sh.count(`select (select count(*) from events where type = 'order_status_changed') +
		(select count(*) from audit_logs where action in ('order.status', 'order.release_stock')) + (select count(*) from goqite)`); c != 0 {
		t.Errorf("%d rows survived the rollback", c)
	}
}

func TestCancellingGivesTheReservedStockBack(t *testing.T) {
	sh := newShop(t)
	tea := sh.product("Tea", 100, "USD", n(5))
	o := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: tea.ID, Quantity: 2}, commerce.NewItem{ProductID: tea.ID, Quantity: 1})
	sh.runJobs()
	if s := sh.stock(tea.ID); s != 2 {
		t.Fatalf("stock after reserving %d", s)
	}
	got, err := sh.s.ChangeStatus(context.Background(), o.ID, app.OrderCancelled)
	if err != nil {
		t.Fatal(err)
	}
	if s := sh.stock(tea.ID); s != 5 || got.StockReserved {
		t.Errorf("stock after cancelling %d, reserved %v", s, got.StockReserved)
	}
	if c := sh.count(`select count(*) from audit_logs where action = 'order.release_stock'`); c != 1 {
		t.Errorf("%d release audit rows", c)
	}
}

func TestAnOrderCancelledBeforeItsJobRanTakesNoStock(t *testing.T) {
	sh := newShop(t)
	tea := sh.product("Tea", 100, "USD", n(5))
	o := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: tea.ID, Quantity: 2})
	if _, err := sh.s.ChangeStatus(context.Background(), o.ID, app.OrderCancelled); err != nil {
		t.Fatal(err)
	}
	sh.runJobs()
	if s := sh.stock(tea.ID); s != 5 {
		t.Errorf("stock %d", s)
	}
	if c := sh.count(`select count(*) from order_notices`); c != 0 {
		t.Errorf("a cancelled order got %d notices", c)
	}
}

func TestAReservationJobThatRunsTwiceTakesTheStockOnce(t *testing.T) {
	sh := newShop(t)
	tea := sh.product("Tea", 100, "USD", n(5))
	o := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: tea.ID, Quantity: 2})
	body := fmt.Sprintf(`{"order_id":%q,"step":"reserve"}`, o.ID)
	for range 2 {
		if err := sh.s.ProcessOrder(context.Background(), queue.Job{ID: "j", Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	if s := sh.stock(tea.ID); s != 3 {
		t.Errorf("stock %d, want 3", s)
	}
	if c := sh.count(`select count(*) from order_notices where order_id = ? and notice = 'confirmation'`, o.ID); c != 1 {
		t.Errorf("%d confirmations recorded", c)
	}
}

func TestAnOrderThatCannotBeFilledTakesNoStockAndSaysWhy(t *testing.T) {
	sh := newShop(t)
	tea := sh.product("Tea", 100, "USD", n(5))
	mug := sh.product("Mug", 100, "USD", n(1))
	o := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: tea.ID, Quantity: 2}, commerce.NewItem{ProductID: mug.ID, Quantity: 2})
	sh.runJobs()
	got, _ := sh.db.Order(context.Background(), o.ID)
	if got.StockReserved || got.Problem != "Not enough stock of Mug: 2 ordered, 1 left." {
		t.Errorf("reserved %v, problem %q", got.StockReserved, got.Problem)
	}
	if sh.stock(tea.ID) != 5 || sh.stock(mug.ID) != 1 {
		t.Errorf("stock taken: tea %d, mug %d", sh.stock(tea.ID), sh.stock(mug.ID))
	}
	if c := sh.count(`select count(*) from order_notices`); c != 0 {
		t.Errorf("an order that cannot be filled was confirmed (%d notices)", c)
	}
}

func TestMalformedJobsAreNotRetried(t *testing.T) {
	sh := newShop(t)
	for _, body := range []string{`nonsense`, `{"order_id":"ord_x"}`, `{"order_id":"` + app.NewID(app.PrefixOrder) + `","step":"reserve"}`} {
		// The runner retries every error but a permanent one.
		err := sh.s.ProcessOrder(context.Background(), queue.Job{ID: "j", Body: []byte(body)})
		if fmt.Sprintf("%T", err) != "queue.permanentError" {
			t.Errorf("%s: %v (%T) would be retried", body, err, err)
		}
	}
}
