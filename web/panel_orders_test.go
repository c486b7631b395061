package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"smartbot/app"
)

// Tests of the orders pages: the board offers only legal moves and only to
// operators, moves post in place or plain, the board's and an order's
// streams show changes made elsewhere, payments and refunds are typed as
// decimals, and refused forms keep what was typed. They wait on streams,
// never on time.

// orderStatus reads an order's status from the store.
func orderStatus(t *testing.T, ts *testServer, id string) string {
	t.Helper()
	o, err := ts.db.Order(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status
}

// waitOrderLine reads the stream until a line has every one of parts.
func waitOrderLine(t *testing.T, lines <-chan string, what string, parts ...string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended before %s", what)
			}
			all := true
			for _, p := range parts {
				all = all && strings.Contains(l, p)
			}
			if all {
				return
			}
		case <-deadline:
			t.Fatalf("the stream never showed %s", what)
		}
	}
}

func TestTheBoardOffersOnlyTheLegalMovesAndOnlyToThoseWhoMayMove(t *testing.T) {
	ts := newTestServer(t)
	id, number := ts.payOrder(1250)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)

	page := inboxGet(t, ts, "/orders", op)
	card := page[strings.Index(page, `id="order-`+id+`"`):]
	card = card[:strings.Index(card, "</article>")]
	for _, want := range []string{number, "Tariro", "USD 12.50", "Unpaid", `data-move="confirmed"`, `href="/orders/` + id + `/cancel"`} {
		if !strings.Contains(card, want) {
			t.Errorf("the pending card lacks %q:\n%s", want, card)
		}
	}
	for _, illegal := range []string{`data-move="preparing"`, `data-move="ready"`, `data-move="completed"`, `data-move="out_for_delivery"`} {
		if strings.Contains(card, illegal) {
			t.Errorf("a pending order offers %s", illegal)
		}
	}
	if code, body := ts.moveOrder(id, "confirmed"); code != http.StatusOK {
		t.Fatal(code, body)
	}
	page = inboxGet(t, ts, "/orders", op)
	if !strings.Contains(page, `data-move="preparing"`) || strings.Contains(page, `data-move="confirmed"`) {
		t.Error("a confirmed order should offer preparing, and no longer confirm")
	}
	if page = inboxGet(t, ts, "/orders", viewer); strings.Contains(page, "data-move=") || !strings.Contains(page, number) {
		t.Error("a viewer sees the card but no move")
	}
}

func TestAMoveChangesTheStatusInPlaceOrPlainAndAViewerOrAnotherSiteCannot(t *testing.T) {
	ts := newTestServer(t)
	id, number := ts.payOrder(1250)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	move := url.Values{"status": {"confirmed"}}

	if res, _ := postForm(ts, "/orders/"+id+"/status", viewer, move); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's move: %d, want 403", res.StatusCode)
	}
	res, _ := ts.do(req{method: "POST", path: "/orders/" + id + "/status", body: move.Encode(), contentType: "application/x-www-form-urlencoded",
		cookie: op, header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site move: %d, want 403", res.StatusCode)
	}
	if got := orderStatus(t, ts, id); got != app.OrderPending {
		t.Fatalf("after refused moves the order is %s", got)
	}

	// Without JavaScript: a plain post that comes back to the board.
	res, _ = ts.do(req{method: "POST", path: "/orders/" + id + "/status", body: move.Encode(), contentType: "application/x-www-form-urlencoded",
		cookie: op, header: map[string]string{"Referer": ts.url + "/orders"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/orders" || orderStatus(t, ts, id) != app.OrderConfirmed {
		t.Fatalf("a plain move: %d to %q, order %s", res.StatusCode, res.Header.Get("Location"), orderStatus(t, ts, id))
	}
	// With Datastar: in place; an illegal move (a second tab's stale
	// button) is said in #orders-notice and changes nothing.
	code, body := postDatastar(t, ts, "/orders/"+id+"/status", op, url.Values{"status": {"completed"}})
	if code != http.StatusOK || !strings.Contains(body, "orders-notice") || !strings.Contains(body, number) || !strings.Contains(body, "cannot become") {
		t.Errorf("an illegal move in place: %d\n%s", code, body)
	}
	if code, body = postDatastar(t, ts, "/orders/"+id+"/status", op, url.Values{"status": {"cancelled"}}); !strings.Contains(body, "asks first") {
		t.Errorf("cancelling without its confirmation: %d\n%s", code, body)
	}
	if code, _ = postDatastar(t, ts, "/orders/"+id+"/status", op, url.Values{"status": {"preparing"}}); code != http.StatusOK || orderStatus(t, ts, id) != app.OrderPreparing {
		t.Errorf("a move in place: %d, order %s", code, orderStatus(t, ts, id))
	}
	// Cancelling asks on a page of its own.
	if page := inboxGet(t, ts, "/orders/"+id+"/cancel", op); !strings.Contains(page, "Cancel order "+number) {
		t.Error("the cancel confirmation does not name the order")
	}
	if res, _ := postForm(ts, "/orders/"+id+"/cancel", op, nil); res.StatusCode != http.StatusSeeOther || orderStatus(t, ts, id) != app.OrderCancelled {
		t.Errorf("confirmed cancel: %d, order %s", res.StatusCode, orderStatus(t, ts, id))
	}
}

func TestTheBoardStreamShowsANewOrderAndAMoveMadeElsewhere(t *testing.T) {
	ts := newTestServer(t)
	lines := openStream(t, ts.url+"/orders/stream", ts.session(ts.users[app.RoleViewer], time.Hour))
	waitOrderLine(t, lines, "the empty pending column", `id="orders-col-pending"`)

	id, number := ts.payOrder(900)
	waitOrderLine(t, lines, "the new order in the pending column", `id="orders-col-pending"`, number)
	if code, body := ts.moveOrder(id, "confirmed"); code != http.StatusOK {
		t.Fatal(code, body)
	}
	// Both columns change; they are patched in the board's order.
	waitOrderLine(t, lines, "the pending column without it", `id="orders-col-pending"`, `board-empty`)
	waitOrderLine(t, lines, "the order in the confirmed column", `id="orders-col-confirmed"`, number)
}

func TestAnOrderPageShowsAPaymentRecordedElsewhereLive(t *testing.T) {
	ts := newTestServer(t)
	id, _ := ts.payOrder(1000)
	lines := openStream(t, ts.url+"/orders/"+id+"/stream", ts.session(ts.users[app.RoleViewer], time.Hour))
	waitOrderLine(t, lines, "the order", `id="order-view"`, "Unpaid")
	res, body := ts.do(req{method: "POST", path: "/api/orders/" + id + "/payments", key: ts.keys[app.RoleOperator],
		body: `{"amount":1000,"currency":"USD","method":"cash"}`})
	if res.StatusCode != http.StatusCreated {
		t.Fatal(res.StatusCode, string(body))
	}
	waitOrderLine(t, lines, "the payment", `id="order-view"`, `id="order-payment">Paid`)
}

func TestPaymentsAndRefundsAreTypedAsDecimalsAndARefusalKeepsWhatWasTyped(t *testing.T) {
	ts := newTestServer(t)
	id, number := ts.payOrder(1250)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	paid := func() int64 {
		o, err := ts.db.Order(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return o.Paid
	}

	res, body := postForm(ts, "/orders/"+id+"/payments", op, url.Values{"amount": {"5.001"}, "method": {"mobile_money"}, "reference": {"TX-77"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `value="5.001"`) || !strings.Contains(string(body), `value="TX-77"`) ||
		!strings.Contains(string(body), `id="pay-error"`) || paid() != 0 {
		t.Fatalf("a payment with a third decimal: %d, paid %d\n%.3000s", res.StatusCode, paid(), body)
	}
	res, _ = postForm(ts, "/orders/"+id+"/payments", op, url.Values{"amount": {"5.00"}, "method": {"mobile_money"}, "reference": {"TX-77"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/orders/"+number || paid() != 500 {
		t.Fatalf("a payment of 5.00: %d to %q, paid %d", res.StatusCode, res.Header.Get("Location"), paid())
	}
	res, body = postForm(ts, "/orders/"+id+"/refunds", op, url.Values{"amount": {"2"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `id="refund-error"`) || !strings.Contains(string(body), `value="2"`) {
		t.Fatalf("a refund without a reason: %d\n%.3000s", res.StatusCode, body)
	}
	if res, _ = postForm(ts, "/orders/"+id+"/refunds", op, url.Values{"amount": {"2"}, "reason": {"one loaf was stale"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a refund: %d", res.StatusCode)
	}
	page := inboxGet(t, ts, "/orders/"+number, op)
	for _, want := range []string{"USD 12.50", `id="order-paid">USD 5.00`, `id="order-refunded">USD 2.00`, `id="order-balance">USD 9.50`, "TX-77", "one loaf was stale", "Part paid"} {
		if !strings.Contains(page, want) {
			t.Errorf("the order's page lacks %q", want)
		}
	}
	if viewer := inboxGet(t, ts, "/orders/"+number, ts.session(ts.users[app.RoleViewer], time.Hour)); strings.Contains(viewer, `id="pay-form"`) {
		t.Error("a viewer is offered the payment form")
	}
}

func TestANewOrderFromThePanelKeepsWhatWasTypedWhenRefused(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	res, body := ts.do(req{method: "POST", path: "/api/products", key: ts.keys[app.RoleOperator], body: `{"name":"Rye loaf","price":450,"currency":"USD"}`})
	if res.StatusCode != http.StatusCreated {
		t.Fatal(res.StatusCode, string(body))
	}
	productID := strings.Split(strings.Split(string(body), `"id":"`)[1], `"`)[0]
	if page := inboxGet(t, ts, "/orders/new", op); !strings.Contains(page, "Rye loaf · USD 4.50") {
		t.Fatal("the form does not offer the product")
	}
	typed := url.Values{"phone": {"not a phone"}, "name": {"Chipo Moyo"}, "product": {productID, ""}, "quantity": {"3", ""},
		"fulfilment": {"delivery"}, "delivery_address": {"12 Baker St"}, "notes": {"ring twice"}}
	res, body = postForm(ts, "/orders", op, typed)
	page := string(body)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="o-phone-error"`) {
		t.Fatalf("a bad phone: %d\n%.3000s", res.StatusCode, page)
	}
	for _, kept := range []string{`value="not a phone"`, `value="Chipo Moyo"`, `value="3"`, `value="12 Baker St"`, "ring twice", `value="delivery" selected`} {
		if !strings.Contains(page, kept) {
			t.Errorf("the refused form lost %q", kept)
		}
	}
	typed.Set("phone", "+263771000111")
	res, _ = postForm(ts, "/orders", op, typed)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/orders/SB-") {
		t.Fatalf("placing: %d to %q", res.StatusCode, loc)
	}
	o, err := ts.db.OrderByNumber(context.Background(), strings.TrimPrefix(loc, "/orders/"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Source != app.OrderFromPanel || o.Total != 1350 || o.Fulfilment != app.FulfilmentDelivery || o.CustomerName != "Chipo Moyo" {
		t.Errorf("the order placed: %+v", o)
	}
	if res, _ := postForm(ts, "/orders", ts.session(ts.users[app.RoleViewer], time.Hour), typed); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer placing an order: %d", res.StatusCode)
	}
}
