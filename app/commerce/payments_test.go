package commerce_test

import (
	"context"
	"errors"
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

// payShop is the commerce service on a fresh database with a hand-moved
// clock, and no runner: the jobs it enqueues stay in the queue to count.
type payShop struct {
	t     *testing.T
	db    *store.DB
	svc   *commerce.Service
	clock *storetest.Clock
}

func newPayShop(t *testing.T) *payShop {
	t.Helper()
	clock := storetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	db := storetest.OpenAt(t, t.TempDir(), clock.Now)
	qs := queue.New(db)
	em := event.NewEmitter(qs, event.NewBroker(), clock.Now)
	return &payShop{t: t, db: db, clock: clock, svc: commerce.New(commerce.Options{DB: db, Queues: qs, Emitter: em})}
}

// order places an order of total (USD minor units) for a new customer.
func (s *payShop) order(total int64) app.Order {
	s.t.Helper()
	ctx := context.Background()
	p := app.Product{ID: app.NewID(app.PrefixProduct), Name: "Bread", Price: total, Currency: "USD", Active: true}
	if err := s.db.Write(ctx, func(tx *store.Tx) error { return tx.CreateProduct(ctx, &p) }); err != nil {
		s.t.Fatal(err)
	}
	o, err := s.svc.CreateOrder(ctx, commerce.NewOrder{Customer: &commerce.NewCustomer{Phone: "+263771234567", Name: "Tariro"},
		Items: []commerce.NewItem{{ProductID: p.ID, Quantity: 1}}, Fulfilment: app.FulfilmentPickup})
	if err != nil {
		s.t.Fatal(err)
	}
	return o
}

// get reads order id as stored.
func (s *payShop) get(id string) app.Order {
	s.t.Helper()
	o, err := s.db.Order(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return o
}

// count runs a count query.
func (s *payShop) count(q string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.R.QueryRow(q, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// tally is what payments left behind: rows, events, notice jobs, audit rows.
type tally struct{ payments, events, notices, audits int }

func (s *payShop) tally() tally {
	return tally{
		payments: s.count(`select count(*) from payments`),
		events:   s.count(`select count(*) from events where type = 'payment_received'`),
		notices:  s.count(`select count(*) from goqite where queue = 'order_processing' and cast(body as text) like '%payment_received%'`),
		audits:   s.count(`select count(*) from audit_logs where action in ('payment.record', 'payment.refund', 'order.payment')`),
	}
}

func TestPartialThenFullPaymentMovesThePaymentStatus(t *testing.T) {
	s := newPayShop(t)
	ctx := app.WithActor(context.Background(), app.Actor{Type: app.ActorUser, ID: "usr_cashier", Name: "cashier@shop.test"})
	o := s.order(1000)
	steps := []struct {
		amount int64
		status string
		paid   int64
	}{{400, app.PaymentPartiallyPaid, 400}, {600, app.PaymentPaid, 1000}}
	for i, st := range steps {
		p, created, err := s.svc.RecordPayment(ctx, commerce.NewPayment{Order: o.Number, Amount: st.amount, Currency: "usd", Method: app.PayCash})
		if err != nil || !created {
			t.Fatalf("payment %d: %v (created %v)", i, err, created)
		}
		if p.RecordedBy != "user:usr_cashier" || p.Provider != app.PayCash || p.Reference != p.ID || p.Currency != "USD" {
			t.Fatalf("a cash payment without a reference: %+v", p)
		}
		got := s.get(o.ID)
		if got.PaymentStatus != st.status || got.Paid != st.paid {
			t.Fatalf("after paying %d: %s with %d paid, want %s with %d", st.amount, got.PaymentStatus, got.Paid, st.status, st.paid)
		}
		// Each payment: its row, one event, one notice job, and the audit
		// rows of the payment and of the order's new status.
		if want := (tally{payments: i + 1, events: i + 1, notices: i + 1, audits: 2 * (i + 1)}); s.tally() != want {
			t.Fatalf("after payment %d: %+v, want %+v", i, s.tally(), want)
		}
	}
	evs, err := s.db.ListEvents(ctx, store.EventFilter{Type: app.PaymentReceived})
	if err != nil || len(evs) != 2 || !strings.Contains(string(evs[0].Data), `"amount":600`) || !strings.Contains(string(evs[0].Data), `"order_number":"`+o.Number+`"`) {
		t.Fatalf("payment_received events: %+v, %v", evs, err)
	}
}

func TestRefundsMoveTheStatusBackAndNeverExceedWhatWasPaid(t *testing.T) {
	s := newPayShop(t)
	ctx := context.Background()
	o := s.order(1000)
	if _, _, err := s.svc.RecordPayment(ctx, commerce.NewPayment{Order: o.ID, Amount: 1000, Currency: "USD", Method: app.PayMobileMoney,
		Provider: "ecocash", Reference: "MP1"}); err != nil {
		t.Fatal(err)
	}
	before := s.tally()

	r, err := s.svc.Refund(ctx, o.Number, 300, "one loaf was stale")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Refund || r.Method != app.PayMobileMoney || r.Reason != "one loaf was stale" {
		t.Fatalf("refund %+v: want a refund by the way the money came, with its reason", r)
	}
	if got := s.get(o.ID); got.PaymentStatus != app.PaymentPartiallyPaid || got.Paid != 700 {
		t.Fatalf("after refunding 300 of 1000: %s, %d paid", got.PaymentStatus, got.Paid)
	}
	after := s.tally()
	if after.payments != before.payments+1 || after.events != before.events || after.notices != before.notices || after.audits != before.audits+2 {
		t.Fatalf("a refund left %+v after %+v: want one row, no event, no notice, two audit rows", after, before)
	}

	for _, c := range []struct {
		amount int64
		reason string
		field  string
	}{{701, "too much", "amount"}, {0, "nothing", "amount"}, {100, "  ", "reason"}} {
		_, err := s.svc.Refund(ctx, o.ID, c.amount, c.reason)
		if !hasField(err, c.field) {
			t.Fatalf("refund %d %q: %v, want refused on %s", c.amount, c.reason, err, c.field)
		}
	}
	if s.tally() != after {
		t.Fatalf("refused refunds changed something: %+v", s.tally())
	}
	if _, err := s.svc.Refund(ctx, o.ID, 700, "order cancelled"); err != nil {
		t.Fatal(err)
	}
	if got := s.get(o.ID); got.PaymentStatus != app.PaymentRefunded || got.Paid != 0 {
		t.Fatalf("after refunding everything: %s, %d paid", got.PaymentStatus, got.Paid)
	}
	if _, err := s.svc.Refund(ctx, o.ID, 1, "again"); !hasField(err, "amount") {
		t.Fatalf("a refund of a fully refunded order: %v", err)
	}
}

func TestAPaymentRecordedTwiceWithOneReferenceIsRecordedOnce(t *testing.T) {
	s := newPayShop(t)
	ctx := context.Background()
	o := s.order(1000)
	in := commerce.NewPayment{Order: o.Number, Amount: 500, Currency: "USD", Method: app.PayBankTransfer, Provider: "cbz", Reference: "FT123"}
	first, created, err := s.svc.RecordPayment(ctx, in)
	if err != nil || !created {
		t.Fatal(err, created)
	}
	once := s.tally()
	again, created, err := s.svc.RecordPayment(ctx, in)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("the same payment again: %+v created %v, %v; want the first, %s", again, created, err, first.ID)
	}
	if s.tally() != once {
		t.Fatalf("the repeat recorded something: %+v, want %+v", s.tally(), once)
	}
	other := in
	other.Amount = 499
	if _, _, err := s.svc.RecordPayment(ctx, other); app.ErrorCode(err) != app.ECONFLICT || !hasField(err, "reference") {
		t.Fatalf("the reference with another amount: %v, want a conflict on reference", err)
	}
	if got := s.get(o.ID); got.Paid != 500 {
		t.Fatalf("paid %d after one payment of 500", got.Paid)
	}
}

func TestPaymentsTheOrderCannotTakeAreRefused(t *testing.T) {
	s := newPayShop(t)
	ctx := context.Background()
	o := s.order(1000)
	future := s.clock.Now().Add(time.Hour)
	cases := []struct {
		name  string
		in    commerce.NewPayment
		code  string
		field string
	}{
		{"another currency", commerce.NewPayment{Order: o.ID, Amount: 100, Currency: "ZAR", Method: app.PayCash}, app.EINVALID, "currency"},
		{"no amount", commerce.NewPayment{Order: o.ID, Currency: "USD", Method: app.PayCash}, app.EINVALID, "amount"},
		{"an unknown method", commerce.NewPayment{Order: o.ID, Amount: 100, Currency: "USD", Method: "cheque"}, app.EINVALID, "method"},
		{"paid next hour", commerce.NewPayment{Order: o.ID, Amount: 100, Currency: "USD", Method: app.PayCash, PaidAt: &future}, app.EINVALID, "paid_at"},
		{"an unknown order", commerce.NewPayment{Order: "SB-999999", Amount: 100, Currency: "USD", Method: app.PayCash}, app.ENOTFOUND, ""},
	}
	for _, c := range cases {
		_, _, err := s.svc.RecordPayment(ctx, c.in)
		if app.ErrorCode(err) != c.code || (c.field != "" && !hasField(err, c.field)) {
			t.Errorf("%s: %v, want %s on %q", c.name, err, c.code, c.field)
		}
	}
	if _, err := s.svc.ChangeStatus(ctx, o.ID, app.OrderCancelled); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.svc.RecordPayment(ctx, commerce.NewPayment{Order: o.ID, Amount: 100, Currency: "USD", Method: app.PayCash})
	if app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(app.ErrorMessage(err), "cancelled") {
		t.Fatalf("a payment of a cancelled order: %v, want a conflict saying it is cancelled", err)
	}
	if got := s.tally(); got != (tally{}) {
		t.Fatalf("refused payments left %+v", got)
	}
}

// Failing the transaction at its last statement: the payment, its audit
// rows, its event and its notice job are one commit, so none survives.
func TestAPaymentAndARefundRollBackWhole(t *testing.T) {
	s := newPayShop(t)
	ctx := context.Background()
	o := s.order(1000)
	boom := errors.New("the caller's next step failed")
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if _, _, err := s.svc.RecordPaymentTx(ctx, tx, commerce.NewPayment{Order: o.ID, Amount: 1000, Currency: "USD", Method: app.PayCard, Provider: "stripe", Reference: "ch_1"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := s.tally(); got != (tally{}) || s.get(o.ID).PaymentStatus != app.PaymentUnpaid {
		t.Fatalf("a rolled-back payment left %+v, order %s", got, s.get(o.ID).PaymentStatus)
	}

	if _, _, err := s.svc.RecordPayment(ctx, commerce.NewPayment{Order: o.ID, Amount: 1000, Currency: "USD", Method: app.PayCard, Provider: "stripe", Reference: "ch_1"}); err != nil {
		t.Fatal(err)
	}
	paid := s.tally()
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := s.svc.RefundTx(ctx, tx, o.ID, 1000, "returned"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := s.tally(); got != paid || s.get(o.ID).PaymentStatus != app.PaymentPaid {
		t.Fatalf("a rolled-back refund left %+v (want %+v), order %s", got, paid, s.get(o.ID).PaymentStatus)
	}
}

func TestAnOrdersPaymentsAddUp(t *testing.T) {
	s := newPayShop(t)
	ctx := context.Background()
	o := s.order(1000)
	for _, amount := range []int64{300, 900} {
		if _, _, err := s.svc.RecordPayment(ctx, commerce.NewPayment{Order: o.ID, Amount: amount, Currency: "USD", Method: app.PayCash}); err != nil {
			t.Fatal(err)
		}
		s.clock.Add(time.Minute)
	}
	if _, err := s.svc.Refund(ctx, o.ID, 200, "change given"); err != nil {
		t.Fatal(err)
	}
	sum, err := s.svc.OrderPayments(ctx, strings.ToLower(o.Number))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Paid != 1200 || sum.Refunded != 200 || sum.Balance != 0 || sum.PaymentStatus != app.PaymentPaid || len(sum.Data) != 3 || !sum.Data[0].Refund {
		t.Fatalf("summary %+v", sum)
	}
}

// hasField reports whether err is an application error naming field.
func hasField(err error, field string) bool {
	var ae *app.Error
	if !errors.As(err, &ae) {
		return false
	}
	for _, f := range ae.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
