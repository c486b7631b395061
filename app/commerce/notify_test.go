package commerce_test

import (
	"context"
	"testing"

	"smartbot/app"
	"smartbot/app/commerce"
)

func TestEveryPaymentIsAcknowledgedOnceEvenWhenItsJobRunsTwice(t *testing.T) {
	sh := newShop(t)
	p := sh.product("Bread", 1000, "USD", nil)
	o := sh.order(app.FulfilmentPickup, commerce.NewItem{ProductID: p.ID, Quantity: 1})
	sh.runJobs()
	for _, amount := range []int64{400, 600} {
		if _, _, err := sh.s.RecordPayment(context.Background(), commerce.NewPayment{Order: o.ID, Amount: amount, Currency: "USD", Method: app.PayCash}); err != nil {
			t.Fatal(err)
		}
	}
	jobs := sh.jobs()
	sh.runJobs()
	for _, j := range jobs { // a crash made every job run again
		if err := sh.s.ProcessOrder(context.Background(), j); err != nil {
			t.Fatal(err)
		}
	}
	if n := sh.count(`select count(*) from order_notices where order_id = ? and notice = 'payment_received'`, o.ID); n != 2 {
		t.Fatalf("%d payment acknowledgements handled for two payments, want 2", n)
	}
}
