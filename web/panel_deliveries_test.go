package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/commerce"
)

// plannedDelivery is a ready delivery order's task, unassigned.
func plannedDelivery(t *testing.T, ts *testServer) (app.Order, app.DeliveryTask) {
	t.Helper()
	o := ts.deliveryOrder(app.FulfilmentDelivery, app.OrderReady)
	d, err := ts.commerce.CreateDelivery(context.Background(), o.ID, commerce.NewDelivery{})
	if err != nil {
		t.Fatal(err)
	}
	return o, d
}

func TestADeliveryIsAssignedAndMovedFromTheDeliveriesPage(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	o, d := plannedDelivery(t, ts)

	// Unscheduled, it waits on today's page.
	_, page := ts.do(req{method: "GET", path: "/deliveries", cookie: op})
	if card := between(string(page), "deliveries-pending"); !strings.Contains(card, `id="delivery-`+d.ID+`"`) || !strings.Contains(card, "Waiting for a courier") {
		t.Fatalf("today's page does not show the new task as waiting:\n%.2000s", between(string(page), "deliveries"))
	}
	_, vpage := ts.do(req{method: "GET", path: "/deliveries", cookie: viewer})
	if !strings.Contains(string(vpage), o.Number) || strings.Contains(string(vpage), "/deliveries/"+d.ID+"/") {
		t.Error("a viewer does not see the task, or is offered its forms")
	}

	day := time.Now().UTC().Format(time.DateOnly) // the test shop's zone is UTC
	res, body := postForm(ts, "/deliveries/"+d.ID+"/assign", op, url.Values{"date": {day}, "courier_name": {"Tendai"},
		"courier_phone": {"+263772000111"}, "scheduled_for": {day + "T15:30"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/deliveries?date="+day {
		t.Fatalf("assign: %d to %q\n%.400s", res.StatusCode, res.Header.Get("Location"), body)
	}
	got, _ := ts.db.Delivery(context.Background(), d.ID)
	if got.Status != app.DeliveryAssigned || got.Assignee.Name != "Tendai" || got.ScheduledFor == nil || got.ScheduledFor.Format("15:04") != "15:30" {
		t.Fatalf("after assigning: %+v", got)
	}
	// A bad phone is refused on the page, with what was typed.
	res, body = postForm(ts, "/deliveries/"+d.ID+"/assign", op, url.Values{"date": {day}, "courier_name": {"Farai"}, "courier_phone": {"0772"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `value="Farai"`) || !strings.Contains(string(body), "Not saved") {
		t.Errorf("a bad phone: %d", res.StatusCode)
	}

	_, page = ts.do(req{method: "GET", path: "/deliveries?date=" + day, cookie: op})
	for _, want := range []string{"15:30", "Tendai"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the card lacks %s", want)
		}
	}
	// Only the legal moves of an assigned task are offered.
	moves := string(page)[strings.Index(string(page), `id="deliveries-assigned"`):]
	moves = moves[:strings.Index(moves, "</section>")]
	if !strings.Contains(moves, `value="in_transit"`) || !strings.Contains(moves, `value="cancelled"`) || strings.Contains(moves, `value="delivered"`) {
		t.Errorf("the moves of an assigned task:\n%s", moves)
	}

	for _, to := range []string{app.DeliveryInTransit, app.DeliveryDone} {
		if res, body := postForm(ts, "/deliveries/"+d.ID+"/status", op, url.Values{"date": {day}, "status": {to}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("move to %s: %d %.300s", to, res.StatusCode, body)
		}
	}
	if o, _ := ts.db.Order(context.Background(), o.ID); o.Status != app.OrderDelivered {
		t.Errorf("the order is %s after its delivery", o.Status)
	}
	// A move the task cannot make is refused, naming the allowed ones.
	res, body = postForm(ts, "/deliveries/"+d.ID+"/status", op, url.Values{"date": {day}, "status": {app.DeliveryInTransit}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(string(body), "banner-error") {
		t.Errorf("an illegal move: %d", res.StatusCode)
	}
}

func TestACourierLinkIsShownOnceOnTheDeliveriesPage(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	_, d := plannedDelivery(t, ts)
	res, _ := postForm(ts, "/deliveries/"+d.ID+"/courier-link", op, url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("link: %d", res.StatusCode)
	}
	fc := flashCookie(t, res)
	_, page := ts.do(req{method: "GET", path: res.Header.Get("Location"), header: cookies(op, fc)})
	link := between(string(page), "courier-link-url")
	if !strings.Contains(link, "/courier/") {
		t.Fatalf("no courier link shown:\n%s", link)
	}
	_, page = ts.do(req{method: "GET", path: res.Header.Get("Location"), header: cookies(op, fc)})
	if strings.Contains(string(page), "/courier/") {
		t.Error("the link is shown again")
	}
}

func TestTheRunSheetListsTheDaysStopsInTimeOrderWithCashToCollect(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	ctx := context.Background()
	day := time.Now().UTC().AddDate(0, 0, 1)
	at := func(h int) *time.Time {
		t := time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, time.UTC)
		return &t
	}
	late, lateTask := plannedDelivery(t, ts)
	early, earlyTask := plannedDelivery(t, ts)
	other, otherTask := plannedDelivery(t, ts)
	for _, a := range []struct {
		id      string
		h       int
		courier string
	}{{lateTask.ID, 16, "Tendai"}, {earlyTask.ID, 9, "Tendai"}, {otherTask.ID, 11, "Farai"}} {
		if _, err := ts.commerce.UpdateDelivery(ctx, a.id, commerce.DeliveryChange{Assignee: &app.Assignee{Name: a.courier}, ScheduledFor: at(a.h)}); err != nil {
			t.Fatal(err)
		}
	}
	// The early order is half paid: 6.50 of its 13.00 is left.
	if _, _, err := ts.commerce.RecordPayment(ctx, commerce.NewPayment{Order: early.ID, Amount: 650, Currency: "USD", Method: app.PayMobileMoney}); err != nil {
		t.Fatal(err)
	}
	res, page := ts.do(req{method: "GET", path: "/deliveries/run-sheet?date=" + day.Format(time.DateOnly) + "&courier=tendai", cookie: op})
	html := string(page)
	if res.StatusCode != http.StatusOK || strings.Contains(html, `class="topbar"`) {
		t.Fatalf("run sheet: %d, or it has the panel's bar", res.StatusCode)
	}
	stops := strings.Split(html, `<li class="sheet-stop">`)[1:]
	if len(stops) != 2 || !strings.Contains(stops[0], early.Number) || !strings.Contains(stops[1], late.Number) || strings.Contains(html, other.Number) {
		t.Fatalf("want the 09:00 stop then the 16:00 one, and not the other courier's; got %d stops:\n%s", len(stops), html)
	}
	for _, want := range []string{">09:00<", "Tariro", "+263771234567", "12 Baines Ave, Harare", "2 × Sadza &amp; stew", "Cash to collect: <strong>USD 6.50</strong>", "No onions", "signature"} {
		if !strings.Contains(stops[0], want) {
			t.Errorf("the 09:00 stop lacks %s:\n%s", want, stops[0])
		}
	}
	if !strings.Contains(stops[1], ">16:00<") || !strings.Contains(stops[1], "USD 13.00") || !strings.Contains(html, `id="sheet-total">USD 19.50<`) {
		t.Error("the 16:00 stop's cash, or the day's total, is wrong")
	}
}
