package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/store"
)

type customerJSON struct {
	ID              string `json:"id"`
	Phone           string `json:"phone"`
	Name            string `json:"name"`
	Notes           string `json:"notes"`
	MarketingOptOut bool   `json:"marketing_opt_out"`
	Simulated       bool   `json:"simulated"`
}

// whatsAppCustomer adds a customer as a first WhatsApp message would, last
// active at lastActive (or never, when it is empty: then created then).
func (ts *testServer) whatsAppCustomer(phone, name, lastActive string) string {
	ts.t.Helper()
	ctx := context.Background()
	var c app.Customer
	err := ts.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.CustomerForPeer(ctx, app.Peer{Phone: phone, Chat: app.UserJID(phone), Name: name}, false, true)
		return err
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	// The fixture's times: when the customer wrote, or was added.
	q := `update customers set last_message_at = ?, last_inbound_at = ? where id = ?`
	args := []any{lastActive, lastActive, c.ID}
	if lastActive == "" {
		q, args = `update customers set last_message_at = null, last_inbound_at = null, created_at = '2026-01-02T00:00:00.000Z' where id = ?`, []any{c.ID}
	}
	if _, err := ts.db.W.Exec(q, args...); err != nil {
		ts.t.Fatal(err)
	}
	return c.ID
}

// listCustomers lists the customers a query finds, following every page.
func (ts *testServer) listCustomers(query string) []string {
	ts.t.Helper()
	var names []string
	cursor := ""
	for {
		path := "/api/customers?limit=1&" + query
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		res, b := ts.do(req{method: http.MethodGet, path: path, key: ts.keys[app.RoleViewer]})
		p := decodeAs[struct {
			Data       []customerJSON `json:"data"`
			NextCursor *string        `json:"next_cursor"`
		}](ts.t, res, b, http.StatusOK)
		for _, c := range p.Data {
			names = append(names, c.Name)
		}
		if p.NextCursor == nil {
			return names
		}
		cursor = *p.NextCursor
	}
}

func TestCustomersAreListedByLastActivityAndFoundByNameOrPhone(t *testing.T) {
	ts := newTestServer(t)
	ts.whatsAppCustomer("+263771234567", "Tariro Moyo", "2026-01-03T10:00:00.000Z")
	ts.whatsAppCustomer("+263772000111", "Farai", "2026-01-01T10:00:00.000Z")
	ts.whatsAppCustomer("+27821234567", "Thandi", "") // added on the 2nd, never wrote
	ts.connect()
	ts.testCustomer("+15550100123", "Test Tom") // added now
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"Test Tom", "Tariro Moyo", "Thandi", "Farai"}},
		{"q=TARI", []string{"Tariro Moyo"}},
		{"q=0771+234", []string{"Tariro Moyo"}}, // a national number, spaced
		{"q=%2B263+772", []string{"Farai"}},
		{"q=2638", nil},
		{"q=moyo&simulated=false", []string{"Tariro Moyo"}},
		{"simulated=true", []string{"Test Tom"}},
	}
	for _, c := range cases {
		if got := ts.listCustomers(c.query); !slices.Equal(got, c.want) {
			t.Errorf("?%s: %q, want %q", c.query, got, c.want)
		}
	}
	for _, bad := range []struct{ query, field string }{
		{"simulated=yes", "simulated"}, {"cursor=" + url.QueryEscape("bm90LWFuLWlk"), "cursor"}, {"limit=0", "limit"}, {"q=a%00b", "q"},
	} {
		res, b := ts.do(req{method: http.MethodGet, path: "/api/customers?" + bad.query, key: ts.keys[app.RoleViewer]})
		if res.StatusCode != http.StatusUnprocessableEntity || !slices.Equal(fieldsOf(t, res, b), []string{bad.field}) {
			t.Errorf("?%s: %d %s, want 422 on %s", bad.query, res.StatusCode, b, bad.field)
		}
	}
}

func TestACustomerIsShownWithTheirOrdersAndMessagesByIdOrPhone(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	id := ts.whatsAppCustomer("+263771234567", "Tariro", "2026-01-03T10:00:00.000Z")
	other := ts.whatsAppCustomer("+263772000111", "Farai", "2026-01-03T10:00:00.000Z")
	p := ts.createProduct(op, `{"name":"Rooibos","price":1250,"currency":"ZAR"}`)
	ctx := context.Background()
	var numbers []string
	for _, c := range []string{id, id, other} {
		o, err := ts.commerce.CreateOrder(ctx, commerce.NewOrder{CustomerID: c, Items: []commerce.NewItem{{ProductID: p.ID, Quantity: 1}}, Fulfilment: app.FulfilmentPickup})
		if err != nil {
			t.Fatal(err)
		}
		if c == id {
			numbers = append([]string{o.Number}, numbers...) // newest first
		}
	}
	res, b := ts.do(req{method: http.MethodPost, path: "/api/messages", key: op, body: `{"to":"+263771234567","text":"Your tea is ready"}`})
	if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusAccepted {
		t.Fatalf("send: %d %s", res.StatusCode, b)
	}
	type detail struct {
		Customer customerJSON `json:"customer"`
		Orders   []struct {
			Number string `json:"number"`
			Total  int64  `json:"total"`
		} `json:"orders"`
		Messages []struct {
			Text string `json:"text"`
		} `json:"messages"`
	}
	for _, ref := range []string{id, "%2B263771234567", "+263771234567"} {
		res, b := ts.do(req{method: http.MethodGet, path: "/api/customers/" + ref, key: ts.keys[app.RoleViewer]})
		d := decodeAs[detail](t, res, b, http.StatusOK)
		var got []string
		for _, o := range d.Orders {
			got = append(got, o.Number)
		}
		if d.Customer.ID != id || !slices.Equal(got, numbers) || len(d.Messages) != 1 || d.Messages[0].Text != "Your tea is ready" {
			t.Errorf("%s: %s", ref, b)
		}
	}
	for _, ref := range []string{app.NewID(app.PrefixCustomer), "%2B263779999999", "someone"} {
		if res, b := ts.do(req{method: http.MethodGet, path: "/api/customers/" + ref, key: ts.keys[app.RoleViewer]}); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d %s, want 404", ref, res.StatusCode, b)
		}
	}
}

func TestStaffChangeACustomersNameNotesAndOptOutAudited(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	id := ts.whatsAppCustomer("+263771234567", "tariro", "2026-01-03T10:00:00.000Z")
	res, b := ts.do(req{method: http.MethodPatch, path: "/api/customers/%2B263771234567", key: op,
		body: `{"name":" Tariro Moyo ","notes":"Prefers pickup.\nPays by EcoCash.","marketing_opt_out":true}`})
	c := decodeAs[customerJSON](t, res, b, http.StatusOK)
	if c.ID != id || c.Name != "Tariro Moyo" || c.Notes != "Prefers pickup.\nPays by EcoCash." || !c.MarketingOptOut {
		t.Errorf("patched: %s", b)
	}
	// Only what is sent changes.
	res, b = ts.do(req{method: http.MethodPatch, path: "/api/customers/" + id, key: op, body: `{"marketing_opt_out":false}`})
	if c := decodeAs[customerJSON](t, res, b, http.StatusOK); c.MarketingOptOut || c.Name != "Tariro Moyo" || c.Notes == "" {
		t.Errorf("patched: %s", b)
	}
	if n := countRows(t, ts, `select count(*) from audit_logs where action = 'customer.update' and entity_id = '`+id+`'
		and json_extract(before, '$.name') = 'tariro' and json_extract(after, '$.name') = 'Tariro Moyo'`); n != 1 {
		t.Errorf("%d audit rows of the first change with before and after", n)
	}
	if n := countRows(t, ts, `select count(*) from audit_logs where action = 'customer.update'`); n != 2 {
		t.Errorf("%d audit rows, want one per change", n)
	}

	ts.useKeys(op)
	before := digest(t, ts.db)
	for _, bad := range []struct {
		body   string
		fields []string
	}{
		{`{"notes":"` + strings.Repeat("n", 4001) + `"}`, []string{"notes"}},
		{`{"name":"Tariro\nMoyo","notes":"a\u0000b"}`, []string{"name", "notes"}},
		{`{"name":"` + strings.Repeat("x", 201) + `"}`, []string{"name"}},
		{`{"marketing_opt_out":"yes"}`, []string{"marketing_opt_out"}},
		{`{"phone":"+263770000000"}`, []string{"phone"}},
	} {
		res, b := ts.do(req{method: http.MethodPatch, path: "/api/customers/" + id, key: op, body: bad.body})
		if res.StatusCode != http.StatusUnprocessableEntity || !slices.Equal(fieldsOf(t, res, b), bad.fields) {
			t.Errorf("%.60s: %d %s, want 422 on %v", bad.body, res.StatusCode, b, bad.fields)
		}
	}
	if res, b := ts.do(req{method: http.MethodPatch, path: "/api/customers/" + app.NewID(app.PrefixCustomer), key: op, body: `{"notes":"x"}`}); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown customer: %d %s", res.StatusCode, b)
	}
	if digest(t, ts.db) != before {
		t.Error("a refused change changed the database")
	}
}
