package commerce_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

// dlvShop is a shop with one product, for delivery tests.
type dlvShop struct {
	t       *testing.T
	db      *store.DB
	svc     *commerce.Service
	product string
}

func newDlvShop(t *testing.T) *dlvShop {
	t.Helper()
	clock := storetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	db := storetest.OpenAt(t, t.TempDir(), clock.Now)
	qs := queue.New(db)
	s := &dlvShop{t: t, db: db, svc: commerce.New(commerce.Options{DB: db, Queues: qs, Emitter: event.NewEmitter(qs, event.NewBroker(), clock.Now)})}
	ctx := context.Background()
	p := app.Product{ID: app.NewID(app.PrefixProduct), Name: "Sadza meal", Price: 500, Currency: "USD", Active: true}
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateProduct(ctx, &p) }); err != nil {
		t.Fatal(err)
	}
	s.product = p.ID
	return s
}

// order places an order of fulfilment and moves it to status along its path.
func (s *dlvShop) order(fulfilment, status string) app.Order {
	s.t.Helper()
	ctx := context.Background()
	in := commerce.NewOrder{Customer: &commerce.NewCustomer{Phone: "+263771234567", Name: "Tariro"},
		Items: []commerce.NewItem{{ProductID: s.product, Quantity: 2}}, Fulfilment: fulfilment}
	if fulfilment == app.FulfilmentDelivery {
		in.DeliveryAddress = "12 Baines Ave, Harare"
	}
	o, err := s.svc.CreateOrder(ctx, in)
	if err != nil {
		s.t.Fatal(err)
	}
	for o.Status != status {
		if o, err = s.svc.ChangeStatus(ctx, o.ID, app.OrderNext(o.Fulfilment, o.Status)[0]); err != nil {
			s.t.Fatal(err)
		}
	}
	return o
}

// task makes a ready delivery order's task and brings it to status.
func (s *dlvShop) task(status string) app.DeliveryTask {
	s.t.Helper()
	ctx := context.Background()
	o := s.order(app.FulfilmentDelivery, app.OrderReady)
	in := commerce.NewDelivery{}
	if status != app.DeliveryPending {
		in.Assignee = app.Assignee{Name: "Tendai", Phone: "+263772000111"}
	}
	d, err := s.svc.CreateDelivery(ctx, o.ID, in)
	if err != nil {
		s.t.Fatal(err)
	}
	path := map[string][]string{app.DeliveryInTransit: {app.DeliveryInTransit}, app.DeliveryDone: {app.DeliveryInTransit, app.DeliveryDone},
		app.DeliveryFailed: {app.DeliveryInTransit, app.DeliveryFailed}, app.DeliveryCancelled: {app.DeliveryCancelled}}[status]
	for _, to := range path {
		if d, err = s.svc.ChangeDeliveryStatus(ctx, d.ID, to, ""); err != nil {
			s.t.Fatal(err)
		}
	}
	return d
}

func (s *dlvShop) count(q string, args ...any) int {
	s.t.Helper()
	return storetest.Count(s.t, s.db, q, args...)
}

// trail is what a task and its order have left: events of each kind,
// audit rows, the task's and the order's status.
type trail struct {
	started, completed, orderMoves, audits int
	task, order                            string
}

func (s *dlvShop) trail(d app.DeliveryTask) trail {
	s.t.Helper()
	ev := func(typ, key, id string) int {
		return s.count(`select count(*) from events where type = ? and json_extract(payload, '$.data.`+key+`') = ?`, typ, id)
	}
	var tr trail
	tr.started, tr.completed = ev("delivery_started", "delivery_id", d.ID), ev("delivery_completed", "delivery_id", d.ID)
	tr.orderMoves = ev("order_status_changed", "order_id", d.OrderID)
	tr.audits = s.count(`select count(*) from audit_logs where entity_id in (?, ?)`, d.ID, d.OrderID)
	if err := s.db.R.QueryRow(`select d.status, o.status from delivery_tasks d join orders o on o.id = d.order_id where d.id = ?`, d.ID).
		Scan(&tr.task, &tr.order); err != nil {
		s.t.Fatal(err)
	}
	return tr
}

var allDeliveryStatuses = []string{app.DeliveryPending, app.DeliveryAssigned, app.DeliveryInTransit, app.DeliveryDone, app.DeliveryFailed, app.DeliveryCancelled}

func TestEveryDeliveryMoveIsTakenExactlyWhenTheStateMachineAllowsItWithItsEventsOnce(t *testing.T) {
	s := newDlvShop(t)
	ctx := context.Background()
	legal := 0
	for _, from := range allDeliveryStatuses {
		for _, to := range allDeliveryStatuses {
			d := s.task(from)
			before := s.trail(d)
			got, err := s.svc.ChangeDeliveryStatus(ctx, d.ID, to, "")
			after := s.trail(d)
			allowed := strings.Contains(" "+strings.Join(app.DeliveryNext(from), " ")+" ", " "+to+" ")
			name := from + " → " + to
			if !allowed || (to == app.DeliveryAssigned && d.Assignee.Name == "") {
				want := app.ECONFLICT
				if allowed {
					want = app.EINVALID // assigned without a courier: set the assignee instead
				}
				if app.ErrorCode(err) != want {
					t.Errorf("%s: err %v, want %s", name, err, want)
				}
				if want == app.ECONFLICT && !strings.Contains(app.ErrorMessage(err), "it can become") {
					t.Errorf("%s: %q does not name the allowed moves", name, app.ErrorMessage(err))
				}
				if after != before {
					t.Errorf("%s was refused but left %+v (before %+v)", name, after, before)
				}
				continue
			}
			legal++
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			want := before
			want.task = to
			want.audits++ // the task's own row
			switch to {
			case app.DeliveryInTransit:
				want.started++
				want.orderMoves++
				want.audits++
				want.order = app.OrderOutForDelivery
				if got.StartedAt == nil {
					t.Errorf("%s: no start time", name)
				}
			case app.DeliveryDone:
				want.completed++
				want.orderMoves++
				want.audits++
				want.order = app.OrderDelivered
			case app.DeliveryFailed:
				want.completed++ // the order stays out_for_delivery: a person decides what next
			}
			if finishedStatus(to) && got.CompletedAt == nil {
				t.Errorf("%s: no completion time", name)
			}
			if after != want {
				t.Errorf("%s left %+v, want %+v", name, after, want)
			}
		}
	}
	if legal != 6 {
		t.Errorf("%d legal moves taken; the state machine has 7, one of them (pending → assigned) taken by assigning a courier", legal)
	}
}

func finishedStatus(s string) bool {
	return s == app.DeliveryDone || s == app.DeliveryFailed || s == app.DeliveryCancelled
}

func TestAPickupOrderHasNoDeliveryAndAnOrderOnlyOneOpenTask(t *testing.T) {
	s := newDlvShop(t)
	ctx := context.Background()
	pickup := s.order(app.FulfilmentPickup, app.OrderReady)
	if _, err := s.svc.CreateDelivery(ctx, pickup.ID, commerce.NewDelivery{Address: "Somewhere"}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("pickup order: err %v, want a conflict", err)
	}
	o := s.order(app.FulfilmentDelivery, app.OrderPreparing)
	first, err := s.svc.CreateDelivery(ctx, o.ID, commerce.NewDelivery{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Address != o.DeliveryAddress || first.Status != app.DeliveryPending || first.OrderNumber != o.Number {
		t.Errorf("first task %+v: want pending at the order's address", first)
	}
	_, err = s.svc.CreateDelivery(ctx, o.ID, commerce.NewDelivery{Assignee: app.Assignee{Name: "Tendai"}})
	if app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(app.ErrorMessage(err), first.ID) {
		t.Errorf("second open task: err %v, want a conflict naming %s", err, first.ID)
	}
	if n := s.count(`select count(*) from delivery_tasks`); n != 1 {
		t.Errorf("%d tasks stored, want 1", n)
	}
	if _, err := s.svc.ChangeDeliveryStatus(ctx, first.ID, app.DeliveryCancelled, "courier sick"); err != nil {
		t.Fatal(err)
	}
	second, err := s.svc.CreateDelivery(ctx, o.ID, commerce.NewDelivery{Address: " Gate 3, 12 Baines Ave ", Assignee: app.Assignee{Name: " Tendai ", Phone: "+263 77-200 0111"}})
	if err != nil {
		t.Fatalf("a task after a cancelled one: %v", err)
	}
	if second.Status != app.DeliveryAssigned || second.Assignee != (app.Assignee{Name: "Tendai", Phone: "+263772000111"}) || second.Address != "Gate 3, 12 Baines Ave" {
		t.Errorf("second task %+v: want assigned to Tendai, tidied", second)
	}
}

func TestADeliveryStartsOnlyFromAReadyOrderAndATripAfterAFailedOneMovesTheOrderOnce(t *testing.T) {
	s := newDlvShop(t)
	ctx := context.Background()
	o := s.order(app.FulfilmentDelivery, app.OrderPreparing)
	d, err := s.svc.CreateDelivery(ctx, o.ID, commerce.NewDelivery{Assignee: app.Assignee{Name: "Tendai"}})
	if err != nil {
		t.Fatal(err)
	}
	before := s.trail(d)
	_, err = s.svc.ChangeDeliveryStatus(ctx, d.ID, app.DeliveryInTransit, "")
	if app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(app.ErrorMessage(err), "mark it ready") {
		t.Errorf("start before ready: err %v, want a conflict asking for ready", err)
	}
	if after := s.trail(d); after != before {
		t.Errorf("refused start left %+v (before %+v)", after, before)
	}
	if _, err := s.svc.ChangeStatus(ctx, o.ID, app.OrderReady); err != nil {
		t.Fatal(err)
	}
	mustMove(t, s.svc, d.ID, app.DeliveryInTransit)
	if _, err := s.svc.ChangeDeliveryStatus(ctx, d.ID, app.DeliveryFailed, "Nobody home"); err != nil {
		t.Fatal(err)
	}
	failed := s.trail(d)
	if failed.order != app.OrderOutForDelivery {
		t.Errorf("after a failed trip the order is %s, want out_for_delivery", failed.order)
	}
	if got, _ := s.db.Delivery(ctx, d.ID); !strings.Contains(got.Notes, "Could not deliver: Nobody home") {
		t.Errorf("the reason is not in the notes: %q", got.Notes)
	}
	retry, err := s.svc.CreateDelivery(ctx, o.ID, commerce.NewDelivery{Assignee: app.Assignee{Name: "Rudo"}})
	if err != nil {
		t.Fatal(err)
	}
	mustMove(t, s.svc, retry.ID, app.DeliveryInTransit)
	mustMove(t, s.svc, retry.ID, app.DeliveryDone)
	tr := s.trail(retry)
	// confirmed, preparing (by the test), ready, out_for_delivery, delivered.
	if tr.order != app.OrderDelivered || tr.orderMoves != 5 || tr.started != 1 || tr.completed != 1 {
		t.Errorf("retry left %+v: want the order delivered, moved out once and delivered once", tr)
	}
}

func mustMove(t *testing.T, svc *commerce.Service, id, to string) app.DeliveryTask {
	t.Helper()
	d, err := svc.ChangeDeliveryStatus(context.Background(), id, to, "")
	if err != nil {
		t.Fatalf("move %s to %s: %v", id, to, err)
	}
	return d
}

func TestEditsAreCheckedAndAFinishedTaskIsNotChanged(t *testing.T) {
	s := newDlvShop(t)
	ctx := context.Background()
	d := s.task(app.DeliveryPending)
	bad := "+0123"
	_, err := s.svc.UpdateDelivery(ctx, d.ID, commerce.DeliveryChange{Assignee: &app.Assignee{Name: "Tendai", Phone: bad}, Address: new(string)})
	var ae *app.Error
	if !errors.As(err, &ae) || ae.Code != app.EINVALID || len(ae.Fields) != 2 {
		t.Fatalf("bad phone and empty address: %v, want both fields named", err)
	}
	when := time.Date(2026, 3, 2, 14, 0, 0, 0, time.FixedZone("CAT", 2*3600))
	got, err := s.svc.UpdateDelivery(ctx, d.ID, commerce.DeliveryChange{Assignee: &app.Assignee{Name: "Tendai"}, ScheduledFor: &when})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.DeliveryAssigned || got.ScheduledFor == nil || !got.ScheduledFor.Equal(when) {
		t.Errorf("after assigning and scheduling: %+v", got)
	}
	if n := s.count(`select count(*) from audit_logs where action = 'delivery.update' and entity_id = ?`, d.ID); n != 1 {
		t.Errorf("%d update audit rows, want 1", n)
	}
	if _, err := s.svc.UpdateDelivery(ctx, d.ID, commerce.DeliveryChange{Assignee: &app.Assignee{}}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("taking the courier off: %v, want refused", err)
	}
	done := s.task(app.DeliveryDone)
	notes := "late"
	if _, err := s.svc.UpdateDelivery(ctx, done.ID, commerce.DeliveryChange{Notes: &notes}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("editing a delivered task: %v, want a conflict", err)
	}
}

func TestProofIsAPictureFromTheLibrary(t *testing.T) {
	s := newDlvShop(t)
	ctx := context.Background()
	d := s.task(app.DeliveryInTransit)
	media := func(kind app.MediaKind, mime string) string {
		m := app.Media{ID: app.NewID(app.PrefixMedia), Status: app.MediaReady, MIME: mime, Kind: kind, Size: 10,
			SHA256: strings.Repeat("a", 63) + string(kind[0]), StorageKey: "k" + string(kind)}
		if err := s.db.Write(ctx, func(tx *store.Tx) error { return tx.CreateMedia(ctx, &m) }); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	pdf, photo, missing := media(app.MediaDocument, "application/pdf"), media(app.MediaImage, "image/jpeg"), app.NewID(app.PrefixMedia)
	for _, id := range []string{pdf, missing, "med_../../x"} {
		if _, err := s.svc.UpdateDelivery(ctx, d.ID, commerce.DeliveryChange{ProofMediaID: &id}); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("proof %s: %v, want refused", id, err)
		}
	}
	got, err := s.svc.UpdateDelivery(ctx, d.ID, commerce.DeliveryChange{ProofMediaID: &photo})
	if err != nil || got.ProofMediaID != photo {
		t.Fatalf("photo proof: %+v, %v", got, err)
	}
	if stored, _ := s.db.Delivery(ctx, d.ID); stored.ProofMediaID != photo {
		t.Errorf("stored proof %q", stored.ProofMediaID)
	}
}

// failAt makes the write connection refuse the statement that trigger
// catches: a temporary trigger, gone with the test's database.
func failAt(t *testing.T, db *store.DB, table, when string) {
	t.Helper()
	name := fmt.Sprintf("fail_%s_%d", table, time.Now().UnixNano())
	if _, err := db.W.Exec(`create temp trigger ` + name + ` before insert on ` + table + ` when ` + when + ` begin select raise(abort, 'the last statement failed'); end`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.W.Exec(`drop trigger if exists temp.` + name) })
}

func TestEachDeliveryChangeIsWholeOrNothingWhenItsLastStatementFails(t *testing.T) {
	ctx := context.Background()
	move := func(to, reason string) func(s *dlvShop, d app.DeliveryTask, spare app.Order) error {
		return func(s *dlvShop, d app.DeliveryTask, spare app.Order) error {
			_, err := s.svc.ChangeDeliveryStatus(ctx, d.ID, to, reason)
			return err
		}
	}
	cases := []struct {
		name, table, when string
		// from is the status the task is brought to before the failure is set.
		from string
		do   func(s *dlvShop, d app.DeliveryTask, spare app.Order) error
	}{
		{"create (its audit row last)", "audit_logs", `new.action = 'delivery.create'`, app.DeliveryAssigned, func(s *dlvShop, d app.DeliveryTask, spare app.Order) error {
			_, err := s.svc.CreateDelivery(ctx, spare.ID, commerce.NewDelivery{})
			return err
		}},
		{"start (delivery_started last)", "events", `new.type = 'delivery_started'`, app.DeliveryAssigned, move(app.DeliveryInTransit, "")},
		{"deliver (delivery_completed last)", "events", `new.type = 'delivery_completed'`, app.DeliveryInTransit, move(app.DeliveryDone, "")},
		{"fail (delivery_completed last)", "events", `new.type = 'delivery_completed'`, app.DeliveryInTransit, move(app.DeliveryFailed, "Gate locked")},
		{"cancel (its audit row last)", "audit_logs", `new.action = 'delivery.status'`, app.DeliveryAssigned, move(app.DeliveryCancelled, "")},
		{"edit (its audit row last)", "audit_logs", `new.action = 'delivery.update'`, app.DeliveryAssigned, func(s *dlvShop, d app.DeliveryTask, spare app.Order) error {
			notes := "Ring twice"
			_, err := s.svc.UpdateDelivery(ctx, d.ID, commerce.DeliveryChange{Notes: &notes})
			return err
		}},
		{"courier link (its audit row last)", "audit_logs", `new.action = 'delivery.link'`, app.DeliveryAssigned, func(s *dlvShop, d app.DeliveryTask, spare app.Order) error {
			_, err := s.svc.CourierLink(ctx, d.ID)
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newDlvShop(t)
			d := s.task(c.from)
			spare := s.order(app.FulfilmentDelivery, app.OrderReady)
			before := tableDigest(t, s.db)
			failAt(t, s.db, c.table, c.when)
			if err := c.do(s, d, spare); err == nil || !strings.Contains(err.Error(), "the last statement failed") {
				t.Fatalf("err %v, want the trigger's", err)
			}
			if after := tableDigest(t, s.db); after != before {
				t.Errorf("a failed change left rows behind:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// tableDigest sums up what a change writes: tasks, orders and their
// steps, events, audit rows and jobs.
func tableDigest(t *testing.T, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`select count(*) || ':' || coalesce(group_concat(status || coalesce(courier_token_hash, '') || notes, ','), '') from delivery_tasks`,
		`select coalesce(group_concat(status, ','), '') from orders`,
		`select count(*) from order_steps`,
		`select count(*) from events`,
		`select count(*) from audit_logs`,
		`select count(*) from goqite`,
	} {
		var v string
		if err := db.R.QueryRow(q).Scan(&v); err != nil {
			t.Fatal(err)
		}
		b.WriteString(v + " | ")
	}
	return b.String()
}

func TestCancellingAnOrderCallsOffItsDelivery(t *testing.T) {
	s := newDlvShop(t)
	ctx := context.Background()
	o := s.order(app.FulfilmentDelivery, app.OrderPreparing)
	d, err := s.svc.CreateDelivery(ctx, o.ID, commerce.NewDelivery{Assignee: app.Assignee{Name: "Tendai"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.ChangeStatus(ctx, o.ID, app.OrderCancelled); err != nil {
		t.Fatal(err)
	}
	got, err := s.db.Delivery(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.DeliveryCancelled || !strings.Contains(got.Notes, "the order was cancelled") {
		t.Fatalf("the delivery of a cancelled order: %s, notes %q; want cancelled, saying why", got.Status, got.Notes)
	}
}
