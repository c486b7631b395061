package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"smartbot/app"
)

func TestCustomersAreListedByLatestActivityWithTestOnesTagged(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	older := ts.whatsAppCustomer("+263771000001", "Rudo", "2026-03-01T10:00:00.000Z")
	newer := ts.whatsAppCustomer("+263771000002", "Tariro", "2026-03-02T10:00:00.000Z")
	ts.connect()
	sim := ts.testCustomer("+15550100123", "Test Tendai")

	_, page := ts.do(req{method: "GET", path: "/customers", cookie: viewer})
	html := string(page)
	iSim, iNew, iOld := strings.Index(html, `id="customer-`+sim+`"`), strings.Index(html, `id="customer-`+newer+`"`), strings.Index(html, `id="customer-`+older+`"`)
	if iNew < 0 || iOld < 0 || iSim < 0 || !(iNew < iOld) {
		t.Fatalf("customers at %d (Tariro), %d (Rudo), %d (test): want each, Tariro before Rudo", iNew, iOld, iSim)
	}
	if row := html[iSim:]; !strings.Contains(row[:strings.Index(row, "</tr>")], `badge-test">test<`) {
		t.Error("the simulated customer is not tagged test")
	}
	if row := html[iNew:]; strings.Contains(row[:strings.Index(row, "</tr>")], `badge-test`) {
		t.Error("a real customer is tagged test")
	}
	// Search by a part of the phone's digits.
	_, page = ts.do(req{method: "GET", path: "/customers?q=" + url.QueryEscape("0771 000 001"), cookie: viewer})
	if !strings.Contains(string(page), older) || strings.Contains(string(page), `id="customer-`+newer+`"`) {
		t.Error("searching Rudo's number does not find Rudo alone")
	}
}

func TestACustomersNotesAreSavedAndAuditedAndAViewerHasNoForm(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	o := ts.deliveryOrder(app.FulfilmentDelivery, app.OrderPending)
	id := o.CustomerID

	_, page := ts.do(req{method: "GET", path: "/customers/" + id, cookie: viewer})
	for _, want := range []string{`href="/orders/` + o.ID + `">` + o.Number + `</a>`, `href="/inbox/` + id + `"`, `<fieldset class="plain" disabled>`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the customer's page lacks %s", want)
		}
	}
	if strings.Contains(string(page), `id="save-customer"`) {
		t.Error("a viewer is offered Save")
	}
	if res, _ := postForm(ts, "/customers/"+id, viewer, url.Values{"notes": {"x"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's save: %d, want 403", res.StatusCode)
	}

	res, body := postForm(ts, "/customers/"+id, op, url.Values{"name": {"Tariro Moyo"}, "notes": {"Gate code 4411.\r\nCall first."}, "opt_out": {"1"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/customers/"+id {
		t.Fatalf("POST: %d to %q\n%.300s", res.StatusCode, res.Header.Get("Location"), body)
	}
	c, err := ts.db.Customer(t.Context(), id)
	if err != nil || c.Name != "Tariro Moyo" || c.Notes != "Gate code 4411.\nCall first." || !c.OptOut {
		t.Fatalf("stored %+v %v", c, err)
	}
	if n := countRows(t, ts, `select count(*) from audit_logs where action = 'customer.update' and entity_id = '`+id+`'
		and actor_id = '`+ts.users[app.RoleOperator].ID+`' and json_extract(after, '$.notes') = 'Gate code 4411.
Call first.'`); n != 1 {
		t.Errorf("%d audit rows of the change by the operator", n)
	}
	// Too long a name is refused beside the field, with the notes kept.
	res, body = postForm(ts, "/customers/"+id, op, url.Values{"name": {strings.Repeat("n", 201)}, "notes": {"Kept"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(between(string(body), "customer-name-error"), "200") ||
		!strings.Contains(string(body), ">Kept</textarea>") {
		t.Errorf("a refused save: %d\n%s", res.StatusCode, between(string(body), "customer-name-error"))
	}
}
