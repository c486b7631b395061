package store_test

import (
	"context"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/store"
	"smartbot/store/storetest"
)

// deliveryOrder inserts a bare delivery order, as the orders' own code
// would leave it, for the store's delivery queries to join.
func deliveryOrder(t *testing.T, db *store.DB, n int) string {
	t.Helper()
	id := app.NewID(app.PrefixOrder)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`insert or ignore into customers (id, phone, jid, name, created_at, updated_at) values ('cus_d', '+263771234567', '263771234567@s.whatsapp.net', 'Tariro', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`, nil},
		{`insert into orders (id, number, customer_id, status, total, currency, source, created_at, updated_at) values (?, ?, 'cus_d', 'ready', 100, 'USD', 'api', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
			[]any{id, app.OrderNumber(int64(n))}},
	} {
		if _, err := db.W.Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func TestDeliveriesListInTheOrderTheyAreDueAndPageThroughEveryTaskOnce(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	at := func(h int) *time.Time { x := time.Date(2026, 3, 2, h, 0, 0, 0, time.UTC); return &x }
	tasks := []app.DeliveryTask{
		{Status: app.DeliveryAssigned, ScheduledFor: at(15), Assignee: app.Assignee{Name: "Tendai", Phone: "+263772000111"}},
		{Status: app.DeliveryPending},
		{Status: app.DeliveryPending, ScheduledFor: at(9)},
		{Status: app.DeliveryAssigned, ScheduledFor: at(30), Assignee: app.Assignee{Name: "Rudo", Phone: "+263772000222"}}, // the next day
		{Status: app.DeliveryPending, ScheduledFor: at(12)},
	}
	for i := range tasks {
		d := &tasks[i]
		d.ID, d.OrderID, d.Address = app.NewID(app.PrefixDelivery), deliveryOrder(t, db, i+1), "Somewhere"
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateDelivery(ctx, d) }); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{tasks[2].ID, tasks[4].ID, tasks[0].ID, tasks[3].ID, tasks[1].ID} // 9h, 12h, 15h, next day, unscheduled
	var got []string
	f := store.DeliveryFilter{Limit: 2}
	for pages := 0; ; pages++ {
		list, next, err := db.ListDeliveries(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			got = append(got, d.ID)
			if d.OrderNumber == "" {
				t.Errorf("%s has no order number", d.ID)
			}
		}
		if next == "" || pages > 5 {
			break
		}
		f.Cursor = next
	}
	if len(got) != len(want) {
		t.Fatalf("paged through %d tasks, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("position %d: %s, want %s", i, got[i], want[i])
		}
	}
	for name, c := range map[string]struct {
		f    store.DeliveryFilter
		want int
	}{
		"status":    {store.DeliveryFilter{Status: app.DeliveryAssigned}, 2},
		"courier":   {store.DeliveryFilter{AssigneePhone: "+263772000222"}, 1},
		"one day":   {store.DeliveryFilter{From: *at(0), Until: *at(24)}, 3},
		"one order": {store.DeliveryFilter{OrderID: tasks[1].OrderID}, 1},
	} {
		list, _, err := db.ListDeliveries(ctx, c.f)
		if err != nil || len(list) != c.want {
			t.Errorf("%s: %d tasks (%v), want %d", name, len(list), err, c.want)
		}
	}
}

func TestTheDatabaseKeepsOneOpenTaskPerOrderAndFindsATaskByItsLinksHash(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	order := deliveryOrder(t, db, 1)
	first := app.DeliveryTask{ID: app.NewID(app.PrefixDelivery), OrderID: order, Status: app.DeliveryPending, Address: "A"}
	second := app.DeliveryTask{ID: app.NewID(app.PrefixDelivery), OrderID: order, Status: app.DeliveryAssigned, Address: "B"}
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateDelivery(ctx, &first) }); err != nil {
		t.Fatal(err)
	}
	err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateDelivery(ctx, &second) })
	if app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("a second open task: %v, want a conflict", err)
	}
	hash := "ab12"
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.SetCourierTokenHash(ctx, first.ID, hash) }); err != nil {
		t.Fatal(err)
	}
	d, stored, err := db.DeliveryByTokenHash(ctx, hash)
	if err != nil || d.ID != first.ID || stored != hash {
		t.Errorf("by hash: %s %q %v", d.ID, stored, err)
	}
	if _, _, err := db.DeliveryByTokenHash(ctx, "cd34"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("unknown hash: %v", err)
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs where entity_id = ? and action in ('delivery.create', 'delivery.link') and after not like '%ab12%'`, first.ID); n != 2 {
		t.Errorf("%d audit rows without the hash, want the create and the link's", n)
	}
}
