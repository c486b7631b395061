package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/store"
	"smartbot/store/storetest"
)

// newOrder stores an order of total 1000 USD for a new customer.
func newOrder(t *testing.T, db *store.DB) app.Order {
	t.Helper()
	ctx := context.Background()
	bread := app.Product{ID: app.NewID(app.PrefixProduct), Name: "Bread", Price: 1000, Currency: "USD", Active: true}
	o := app.Order{ID: app.NewID(app.PrefixOrder), Total: 1000, Currency: "USD", Fulfilment: app.FulfilmentPickup, Source: app.OrderFromAPI,
		Items: []app.OrderItem{{ProductID: bread.ID, Name: "Bread", UnitPrice: 1000, Quantity: 1}}}
	err := db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateProduct(ctx, &bread); err != nil {
			return err
		}
		c, err := tx.CustomerForPeer(ctx, app.Peer{Chat: app.UserJID("+263771234567"), Phone: "+263771234567"}, true, false)
		if err != nil {
			return err
		}
		o.CustomerID = c.ID
		return tx.CreateOrder(ctx, &o, "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestAPaymentIsStoredAuditedAndSummedWithRefunds(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	o := newOrder(t, db)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	pay := func(amount int64, refund bool, method, ref string, paidAt time.Time) app.Payment {
		p := app.Payment{ID: app.NewID(app.PrefixPayment), OrderID: o.ID, Amount: amount, Currency: "USD", Method: method,
			Provider: "ecocash", Reference: ref, Refund: refund, RecordedBy: "usr_x", PaidAt: paidAt}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreatePayment(ctx, &p) }); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := pay(300, false, app.PayCash, "A1", at)
	pay(500, false, app.PayMobileMoney, "A2", at.Add(time.Hour))
	pay(200, true, app.PayMobileMoney, "R1", at.Add(2*time.Hour))

	var totals store.PaymentTotals
	err := db.Write(ctx, func(tx *store.Tx) (err error) {
		totals, err = tx.OrderPaymentTotals(ctx, o.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.PaymentTotals{Paid: 800, Refunded: 200, LastMethod: app.PayMobileMoney}); totals != want {
		t.Fatalf("totals %+v, want %+v", totals, want)
	}

	// The same provider and reference is one payment: a second is refused.
	dup := first
	dup.ID = app.NewID(app.PrefixPayment)
	err = db.Write(ctx, func(tx *store.Tx) error { return tx.CreatePayment(ctx, &dup) })
	if app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a second payment with reference A1: %v, want a conflict", err)
	}
	var found app.Payment
	err = db.Write(ctx, func(tx *store.Tx) (err error) {
		found, err = tx.PaymentByReference(ctx, "ecocash", "A1")
		return err
	})
	if err != nil || found.ID != first.ID || !found.PaidAt.Equal(at) {
		t.Fatalf("by reference: %+v, %v; want %s paid at %s", found, err, first.ID, at)
	}

	audit, err := db.ListAudit(ctx, store.AuditFilter{EntityType: "payment"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if got := strings.Join(actions, " "); got != "payment.refund payment.record payment.record" {
		t.Fatalf("audit actions %q", got)
	}
}

func TestPaymentsListByWhenPaidInPagesAndFilters(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	o := newOrder(t, db)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 5 {
		method := app.PayCash
		if i%2 == 1 {
			method = app.PayCard
		}
		p := app.Payment{ID: app.NewID(app.PrefixPayment), OrderID: o.ID, Amount: 10, Currency: "USD", Method: method,
			Provider: "shop", Reference: "R" + string(rune('0'+i)), PaidAt: at.Add(time.Duration(i) * time.Hour)}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreatePayment(ctx, &p) }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	var got []string
	cursor := ""
	for {
		page, next, err := db.ListPayments(ctx, store.PaymentFilter{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			got = append(got, p.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages gave %v, want latest paid first %v", got, want)
	}

	from, to := at.Add(time.Hour), at.Add(4*time.Hour)
	cards, _, err := db.ListPayments(ctx, store.PaymentFilter{Method: app.PayCard, From: &from, To: &to})
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 2 || cards[0].ID != ids[3] || cards[1].ID != ids[1] {
		t.Fatalf("cards paid in [1h, 4h): %+v", cards)
	}
	if _, _, err := db.ListPayments(ctx, store.PaymentFilter{Cursor: "pay_nope"}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("an unknown cursor: %v", err)
	}
}

func TestTheInboundSecretIsNeverInTheAuditLog(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	if _, err := db.InboundPaymentSecret(ctx); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("no secret yet: %v", err)
	}
	made := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	until := made.Add(24 * time.Hour)
	for _, s := range []store.InboundSecret{
		{Secret: "whpay_first", CreatedAt: made},
		{Secret: "whpay_second", CreatedAt: made, Previous: "whpay_first", PreviousUntil: &until},
	} {
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.SetInboundPaymentSecret(ctx, s) }); err != nil {
			t.Fatal(err)
		}
	}
	s, err := db.InboundPaymentSecret(ctx)
	if err != nil || s.Secret != "whpay_second" || s.Previous != "whpay_first" || !s.PreviousUntil.Equal(until) {
		t.Fatalf("stored %+v, %v", s, err)
	}
	audit, err := db.ListAudit(ctx, store.AuditFilter{Action: "payment.inbound_secret_rotate"})
	if err != nil || len(audit) != 2 {
		t.Fatalf("audit rows %d, %v; want one per rotation", len(audit), err)
	}
	for _, a := range audit {
		if strings.Contains(string(a.Before)+string(a.After), "whpay_") {
			t.Fatalf("the audit row holds a secret: before %s after %s", a.Before, a.After)
		}
	}
	if !strings.Contains(string(audit[0].Before), "2026-03-01") {
		t.Fatalf("the second rotation's audit row does not say when the first secret was made: %s", audit[0].Before)
	}
}
