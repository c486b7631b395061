package web_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store/storetest"
)

type orderJSON struct {
	ID            string `json:"id"`
	Number        string `json:"number"`
	CustomerID    string `json:"customer_id"`
	Status        string `json:"status"`
	Total         int64  `json:"total"`
	StockReserved bool   `json:"stock_reserved"`
	Problem       string `json:"problem"`
	Items         []struct {
		Name     string `json:"name"`
		Quantity int64  `json:"quantity"`
	} `json:"items"`
}

// placeOrder places an order through the API as an operator.
func (ts *testServer) placeOrder(body string) orderJSON {
	ts.t.Helper()
	res, b := ts.do(req{method: http.MethodPost, path: "/api/orders", key: ts.keys[app.RoleOperator], body: body})
	return decodeAs[orderJSON](ts.t, res, b, http.StatusCreated)
}

// moveOrder moves an order through the API and returns the status code
// and body.
func (ts *testServer) moveOrder(ref, status string) (int, string) {
	ts.t.Helper()
	res, b := ts.do(req{method: http.MethodPost, path: "/api/orders/" + ref + "/status", key: ts.keys[app.RoleOperator],
		body: `{"status": "` + status + `"}`})
	return res.StatusCode, string(b)
}

// inbox waits until the simulator's customer phone has n messages and
// returns their texts.
func (ts *testServer) inbox(phone string, n int) []string {
	ts.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a guard against a hang only
	defer cancel()
	in, err := ts.sim.WaitInbox(ctx, phone, n)
	if err != nil {
		ts.t.Fatalf("inbox of %s: %v (has %d, want %d)", phone, err, len(ts.sim.Inbox(phone)), n)
	}
	var texts []string
	for _, m := range in {
		texts = append(texts, m.Message.Text)
	}
	return texts
}

func TestAnOrderForASimulatedCustomerIsConfirmedInItsInboxAndEachStatusNotifiesOnce(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	ctx := context.Background()
	if err := ts.commerce.SeedTemplates(ctx); err != nil {
		t.Fatal(err)
	}
	const phone = "+15550100777"
	cus := ts.testCustomer(phone, "Rudo")
	p := ts.createProduct(ts.keys[app.RoleOperator], `{"name": "Rooibos", "price": 1250, "currency": "USD", "stock": 5}`)
	o := ts.placeOrder(fmt.Sprintf(`{"customer_id": %q, "items": [{"product_id": %q, "quantity": 2}], "delivery_address": "12 Samora Machel Ave"}`, cus, p.ID))
	texts := ts.inbox(phone, 1)
	if !strings.Contains(texts[0], "Hi Rudo") || !strings.Contains(texts[0], o.Number) || !strings.Contains(texts[0], "2 × Rooibos") ||
		!strings.Contains(texts[0], "25.00") {
		t.Errorf("confirmation %q", texts[0])
	}
	sent := func() int {
		return storetest.Count(t, ts.db, `select count(*) from messages where customer_id = ? and direction = 'out'`, cus)
	}
	// Confirming an order already confirmed to its customer sends nothing
	// new; each later notice goes once.
	for _, step := range []struct {
		status string
		want   int
		text   string
	}{
		{"confirmed", 1, ""}, {"preparing", 1, ""}, {"ready", 1, ""},
		{"out_for_delivery", 2, "is on its way to 12 Samora Machel Ave"}, {"delivered", 3, "was delivered"},
	} {
		if code, b := ts.moveOrder(o.ID, step.status); code != http.StatusOK {
			t.Fatalf("%s: %d %s", step.status, code, b)
		}
		if step.text != "" {
			if texts = ts.inbox(phone, step.want); !strings.Contains(texts[step.want-1], step.text) {
				t.Errorf("%s notice %q", step.status, texts[step.want-1])
			}
		}
	}
	// The runner ran each job; running them again, as after a crash,
	// sends nothing more.
	for _, body := range []string{`{"order_id":%q,"step":"reserve"}`, `{"order_id":%q,"notice":"confirmation"}`,
		`{"order_id":%q,"notice":"out_for_delivery"}`, `{"order_id":%q,"notice":"delivered"}`} {
		for range 2 {
			if err := ts.commerce.ProcessOrder(ctx, queue.Job{ID: "again", Body: fmt.Appendf(nil, body, o.ID)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := sent(); n != 3 {
		t.Errorf("%d messages sent to the customer, want 3", n)
	}
	if n := storetest.Count(t, ts.db, `select count(*) from order_notices where order_id = ? and message_id is not null`, o.ID); n != 3 {
		t.Errorf("%d notices recorded", n)
	}
	res, b := ts.do(req{method: http.MethodGet, path: "/api/orders/" + o.Number + "/timeline", key: ts.keys[app.RoleViewer]})
	tl := decodeAs[struct {
		Data []struct {
			Kind, Status, Notice, By string
		}
	}](t, res, b, http.StatusOK)
	var kinds []string
	for _, e := range tl.Data {
		kinds = append(kinds, e.Kind+":"+e.Status+e.Notice)
	}
	for _, want := range []string{"status:pending", "notice:confirmation", "status:delivered", "notice:delivered"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("timeline %v lacks %s", kinds, want)
		}
	}
}

func TestOrdersOverTheAPI(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	p := ts.createProduct(op, `{"name": "Tea", "price": 300, "currency": "USD", "stock": 1}`)
	zar := ts.createProduct(op, `{"name": "Rusks", "price": 300, "currency": "ZAR"}`)
	a := ts.placeOrder(fmt.Sprintf(`{"customer": {"phone": "+263771234567", "name": "Tariro"}, "items": [{"product_id": %q, "quantity": 1}]}`, p.ID))
	b := ts.placeOrder(fmt.Sprintf(`{"customer": {"phone": "+263771234568"}, "items": [{"product_id": %q, "quantity": 1}], "fulfilment": "delivery", "delivery_address": "Harare"}`, p.ID))
	c := ts.placeOrder(fmt.Sprintf(`{"customer": {"phone": "+263771234567"}, "items": [{"product_id": %q, "quantity": 1}]}`, p.ID))
	if a.Number != "SB-000001" || c.Number != "SB-000003" || a.CustomerID != c.CustomerID || a.Total != 300 {
		t.Errorf("orders %+v %+v", a, c)
	}

	t.Run("bad input is a 422 naming the field and stores nothing", func(t *testing.T) {
		before := storetest.Count(t, ts.db, `select count(*) from orders`)
		for body, field := range map[string]string{
			fmt.Sprintf(`{"customer_id": %q, "items": [{"product_id": %q, "quantity": 1}, {"product_id": %q, "quantity": 0}]}`, a.CustomerID, p.ID, p.ID):   "items[1].quantity",
			fmt.Sprintf(`{"customer_id": %q, "items": [{"product_id": %q, "quantity": 1}, {"product_id": %q, "quantity": 1}]}`, a.CustomerID, p.ID, zar.ID): "items[1].product_id",
			fmt.Sprintf(`{"customer_id": %q, "items": [{"product_id": %q, "quantity": 1}], "fulfilment": "delivery"}`, a.CustomerID, p.ID):                  "delivery_address",
			`{"customer": {"phone": "12"}, "items": []}`: "customer.phone",
		} {
			res, body := ts.do(req{method: http.MethodPost, path: "/api/orders", key: op, body: body})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"field":"`+field+`"`) {
				t.Errorf("%d %s, want 422 naming %s", res.StatusCode, body, field)
			}
		}
		if after := storetest.Count(t, ts.db, `select count(*) from orders`); after != before {
			t.Errorf("%d orders stored by bad requests", after-before)
		}
	})

	t.Run("a viewer cannot place or move orders", func(t *testing.T) {
		res, _ := ts.do(req{method: http.MethodPost, path: "/api/orders/" + a.ID + "/status", key: ts.keys[app.RoleViewer], body: `{"status": "confirmed"}`})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("viewer moved an order: %d", res.StatusCode)
		}
	})

	t.Run("an illegal move is a 409 naming the allowed ones", func(t *testing.T) {
		code, body := ts.moveOrder(a.Number, "delivered")
		if code != http.StatusConflict || !strings.Contains(body, "confirmed or cancelled") {
			t.Errorf("%d %s", code, body)
		}
		if code, body := ts.moveOrder(a.ID, "shipped"); code != http.StatusUnprocessableEntity {
			t.Errorf("unknown status: %d %s", code, body)
		}
		if code, _ := ts.moveOrder("SB-999999", "confirmed"); code != http.StatusNotFound {
			t.Errorf("unknown order: %d", code)
		}
	})

	t.Run("lists page newest first and filter", func(t *testing.T) {
		// Orders placed in one millisecond may come in either order; the
		// pages of two must still give what one page gives, each once.
		res, body := ts.do(req{method: http.MethodGet, path: "/api/orders", key: ts.keys[app.RoleViewer]})
		var whole []string
		for _, o := range decodeAs[struct{ Data []orderJSON }](t, res, body, http.StatusOK).Data {
			whole = append(whole, o.ID)
		}
		if ids := ts.walk("/api/orders"); !slices.Equal(ids, whole) || !sameSet(ids, []string{a.ID, b.ID, c.ID}) {
			t.Errorf("walked %v, one page %v", ids, whole)
		}
		if code, body := ts.moveOrder(b.ID, "confirmed"); code != http.StatusOK {
			t.Fatalf("%d %s", code, body)
		}
		for query, want := range map[string][]string{
			"status=confirmed":       {b.ID},
			"fulfilment=pickup":      {c.ID, a.ID},
			"search=%2B263771234567": {c.ID, a.ID},
			"search=SB-000002":       {b.ID},
			"search=3":               {c.ID},
			"customer_id=" + a.CustomerID + "&status=pending": {c.ID, a.ID},
			"payment_status=paid":                             {},
			"to=2000-01-01T00:00:00Z":                         {},
		} {
			res, body := ts.do(req{method: http.MethodGet, path: "/api/orders?" + query, key: ts.keys[app.RoleViewer]})
			page := decodeAs[struct{ Data []orderJSON }](t, res, body, http.StatusOK)
			var got []string
			for _, o := range page.Data {
				got = append(got, o.ID)
			}
			if !sameSet(got, want) {
				t.Errorf("%s: %v, want %v", query, got, want)
			}
		}
		for _, query := range []string{"status=lost", "from=yesterday", "customer_id=bob", "cursor=bm9wZQ"} {
			if res, body := ts.do(req{method: http.MethodGet, path: "/api/orders?" + query, key: ts.keys[app.RoleViewer]}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %s", query, res.StatusCode, body)
			}
		}
	})
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
