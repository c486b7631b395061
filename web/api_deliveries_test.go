package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

// deliveryOrder places an order for Tariro and moves it to status; a
// delivery one goes to 12 Baines Ave. The order jobs (stock, notices) wait
// in their paused queue, so that a test's digest sees only its own changes.
func (ts *testServer) deliveryOrder(fulfilment, status string) app.Order {
	ts.t.Helper()
	ts.runner.Pause(queue.OrderProcessing)
	ctx := context.Background()
	p := app.Product{ID: app.NewID(app.PrefixProduct), Name: "Sadza & stew", Price: 650, Currency: "USD", Active: true}
	if err := ts.db.Write(ctx, func(tx *store.Tx) error { return tx.CreateProduct(ctx, &p) }); err != nil {
		ts.t.Fatal(err)
	}
	in := commerce.NewOrder{Customer: &commerce.NewCustomer{Phone: "+263771234567", Name: "Tariro"}, Notes: "No onions",
		Items: []commerce.NewItem{{ProductID: p.ID, Quantity: 2}}, Fulfilment: fulfilment}
	if fulfilment == app.FulfilmentDelivery {
		in.DeliveryAddress = "12 Baines Ave, Harare"
	}
	o, err := ts.commerce.CreateOrder(ctx, in)
	if err != nil {
		ts.t.Fatal(err)
	}
	for o.Status != status {
		if o, err = ts.commerce.ChangeStatus(ctx, o.ID, app.OrderNext(o.Fulfilment, o.Status)[0]); err != nil {
			ts.t.Fatal(err)
		}
	}
	return o
}

// decodeTask reads a delivery task answer.
func decodeTask(t *testing.T, body []byte) app.DeliveryTask {
	t.Helper()
	var d app.DeliveryTask
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("not a task: %s", body)
	}
	return d
}

func TestADeliveryIsPlannedAssignedAndDrivenThroughTheAPIWithTheOrderAlongside(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	o := ts.deliveryOrder(app.FulfilmentDelivery, app.OrderReady)

	res, body := ts.do(req{method: "POST", path: "/api/orders/" + o.Number + "/delivery", key: op,
		body: `{"assignee": {"name": "Tendai", "phone": "+263772000111"}, "scheduled_for": "2026-05-01T14:00:00+02:00", "notes": "Blue gate"}`})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	d := decodeTask(t, body)
	if d.Status != app.DeliveryAssigned || d.Address != o.DeliveryAddress || d.OrderNumber != o.Number || res.Header.Get("Location") != "/api/deliveries/"+d.ID {
		t.Errorf("created %+v (Location %q)", d, res.Header.Get("Location"))
	}
	if d.ScheduledFor == nil || d.ScheduledFor.UTC().Hour() != 12 {
		t.Errorf("scheduled_for %v, want 12:00 UTC", d.ScheduledFor)
	}

	before := digest(t, ts.db)
	for _, c := range []struct {
		path, body string
		status     int
		fields     string
	}{
		{"/api/orders/" + o.ID + "/delivery", `{}`, http.StatusConflict, ""},
		{"/api/orders/" + o.ID + "/delivery", `{"assignee": {"name": "Rudo", "phone": "0772"}, "scheduled_for": "tomorrow"}`, http.StatusUnprocessableEntity, "scheduled_for"},
		{"/api/orders/" + o.ID + "/delivery", `{"assignee": {"name": "Rudo", "phone": "0772"}}`, http.StatusUnprocessableEntity, "assignee.phone"},
		{"/api/orders/" + o.ID + "/delivery", `{"courier": "Rudo"}`, http.StatusUnprocessableEntity, "courier"},
		{"/api/deliveries/" + d.ID + "/status", `{"status": "delivered"}`, http.StatusConflict, "status"},
		{"/api/deliveries/" + d.ID + "/status", `{"status": "lost"}`, http.StatusUnprocessableEntity, "status"},
		{"/api/deliveries/" + d.ID + "/status", `{"status": "in_transit", "reason": "why not"}`, http.StatusUnprocessableEntity, "reason"},
	} {
		res, body := ts.do(req{method: "POST", path: c.path, key: op, body: c.body})
		if res.StatusCode != c.status {
			t.Errorf("POST %s %s: %d, want %d\n%s", c.path, c.body, res.StatusCode, c.status, body)
			continue
		}
		if fields := strings.Join(fieldsOf(t, res, body), ","); !strings.Contains(fields, c.fields) {
			t.Errorf("POST %s %s: fields %q, want %s", c.path, c.body, fields, c.fields)
		}
		if after := digest(t, ts.db); after != before {
			t.Errorf("POST %s %s was refused but changed the database", c.path, c.body)
		}
	}

	res, body = ts.do(req{method: "PATCH", path: "/api/deliveries/" + d.ID, key: op, body: `{"address": "Gate 3, 12 Baines Ave", "scheduled_for": ""}`})
	if got := decodeTask(t, body); res.StatusCode != http.StatusOK || got.Address != "Gate 3, 12 Baines Ave" || got.ScheduledFor != nil {
		t.Errorf("patch: %d %s", res.StatusCode, body)
	}
	if res, body := ts.do(req{method: "PATCH", path: "/api/deliveries/" + d.ID, key: op, body: `{}`}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("empty patch: %d %s", res.StatusCode, body)
	}

	for _, step := range []struct{ task, order string }{{app.DeliveryInTransit, app.OrderOutForDelivery}, {app.DeliveryDone, app.OrderDelivered}} {
		res, body := ts.do(req{method: "POST", path: "/api/deliveries/" + d.ID + "/status", key: op, body: `{"status": "` + step.task + `"}`})
		if res.StatusCode != http.StatusOK || decodeTask(t, body).Status != step.task {
			t.Fatalf("move to %s: %d %s", step.task, res.StatusCode, body)
		}
		if got, _ := ts.db.Order(context.Background(), o.ID); got.Status != step.order {
			t.Errorf("after %s the order is %s, want %s", step.task, got.Status, step.order)
		}
	}
	res, body = ts.do(req{method: "GET", path: "/api/deliveries/" + d.ID, key: ts.keys[app.RoleViewer]})
	if got := decodeTask(t, body); res.StatusCode != http.StatusOK || got.StartedAt == nil || got.CompletedAt == nil {
		t.Errorf("get: %d %s", res.StatusCode, body)
	}
	for typ, want := range map[string]int{"delivery_started": 1, "delivery_completed": 1} {
		if n := storetest.Count(t, ts.db, `select count(*) from events where type = ?`, typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}
	if res, body := ts.do(req{method: "POST", path: "/api/deliveries/" + d.ID + "/courier-link", key: op}); res.StatusCode != http.StatusConflict {
		t.Errorf("a link for a delivered task: %d %s", res.StatusCode, body)
	}
}

// deliveryOrderID places an order of fulfilment, ready.
func (ts *testServer) deliveryOrderID(fulfilment string) string {
	return ts.deliveryOrder(fulfilment, app.OrderReady).ID
}

func TestAPickupOrderIsRefusedADelivery(t *testing.T) {
	ts := newTestServer(t)
	id := ts.deliveryOrderID(app.FulfilmentPickup)
	ts.useKeys(ts.keys[app.RoleOperator]) // a key's first use stamps it
	before := digest(t, ts.db)
	res, body := ts.do(req{method: "POST", path: "/api/orders/" + id + "/delivery", key: ts.keys[app.RoleOperator], body: `{"address": "Somewhere"}`})
	if res.StatusCode != http.StatusConflict || !strings.Contains(problemOf(t, res, body)["detail"].(string), "no delivery") {
		t.Errorf("pickup: %d %s", res.StatusCode, body)
	}
	if digest(t, ts.db) != before {
		t.Error("the refused delivery changed the database")
	}
}

func TestTheDeliveriesListFiltersByDayInTheShopsTimezoneStatusAndCourier(t *testing.T) {
	ts := newTestServer(t)
	op, viewer := ts.keys[app.RoleOperator], ts.keys[app.RoleViewer]
	if res, body := ts.do(req{method: "GET", path: "/api/deliveries?limit=1", key: viewer}); res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"data":[]`) {
		t.Fatalf("empty list: %d %s", res.StatusCode, body)
	}
	// Harare is UTC+2: 23:30 on 1 May there is 21:30 UTC, and 00:30 on
	// 2 May is 22:30 UTC on 1 May.
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	if res, body := ts.do(req{method: "POST", path: "/settings", cookie: owner, body: "timezone=Africa%2FHarare", contentType: "application/x-www-form-urlencoded"}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set the timezone: %d %.300s", res.StatusCode, body)
	}
	plan := func(at, courier string) string {
		o := ts.deliveryOrder(app.FulfilmentDelivery, app.OrderReady)
		res, body := ts.do(req{method: "POST", path: "/api/orders/" + o.ID + "/delivery", key: op,
			body: `{"scheduled_for": "` + at + `", "assignee": {"name": "C", "phone": "` + courier + `"}}`})
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("plan: %d %s", res.StatusCode, body)
		}
		return decodeTask(t, body).ID
	}
	may1 := plan("2026-05-01T21:30:00Z", "+263772000111")
	may2 := plan("2026-05-01T22:30:00Z", "+263772000222")
	later := plan("2026-05-02T08:00:00Z", "+263772000111")
	list := func(query string) []string {
		t.Helper()
		res, body := ts.do(req{method: "GET", path: "/api/deliveries?" + query, key: viewer})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", query, res.StatusCode, body)
		}
		var p struct {
			Data []app.DeliveryTask `json:"data"`
		}
		json.Unmarshal(body, &p)
		var ids []string
		for _, d := range p.Data {
			ids = append(ids, d.ID)
		}
		return ids
	}
	for query, want := range map[string][]string{
		"date=2026-05-01":                 {may1},
		"date=2026-05-02":                 {may2, later},
		"assignee_phone=%2B263772000111":  {may1, later},
		"assignee_phone=+263772000111":    {may1, later}, // an unescaped plus reads as a space
		"status=assigned&date=2026-05-02": {may2, later},
		"status=delivered":                nil,
	} {
		if got := list(query); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
	for _, query := range []string{"date=1%20May", "status=lost", "assignee_phone=0772", "cursor=bm9wZQ", "order_id=42"} {
		if res, body := ts.do(req{method: "GET", path: "/api/deliveries?" + query, key: viewer}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422\n%s", query, res.StatusCode, body)
		}
	}
}
