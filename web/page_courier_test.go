package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/media/mediatest"
	"smartbot/store/storetest"
)

// courierTask plans the delivery of a ready order, assigned to Tendai,
// and makes its courier link through the API.
func (ts *testServer) courierTask(orderStatus string) (app.DeliveryTask, string) {
	ts.t.Helper()
	op := ts.keys[app.RoleOperator]
	o := ts.deliveryOrder(app.FulfilmentDelivery, orderStatus)
	res, body := ts.do(req{method: "POST", path: "/api/orders/" + o.ID + "/delivery", key: op,
		body: `{"assignee": {"name": "Tendai", "phone": "+263772000111"}, "notes": "Blue gate, dog is friendly"}`})
	if res.StatusCode != http.StatusCreated {
		ts.t.Fatalf("plan: %d %s", res.StatusCode, body)
	}
	d := decodeTask(ts.t, body)
	return d, ts.courierLink(d.ID)
}

func (ts *testServer) courierLink(id string) string {
	ts.t.Helper()
	res, body := ts.do(req{method: "POST", path: "/api/deliveries/" + id + "/courier-link", key: ts.keys[app.RoleOperator]})
	var link struct{ URL string }
	if res.StatusCode != http.StatusCreated || json.Unmarshal(body, &link) != nil || !strings.HasPrefix(link.URL, "/courier/") {
		ts.t.Fatalf("courier link: %d %s", res.StatusCode, body)
	}
	return link.URL
}

// sameSite is what a browser sends with a form posted from the page itself.
var sameSite = map[string]string{"Sec-Fetch-Site": "same-origin"}

// report posts the courier's plain form.
func (ts *testServer) report(link, form string, header map[string]string) (*http.Response, string) {
	ts.t.Helper()
	res, body := ts.do(req{method: "POST", path: link, body: form, contentType: "application/x-www-form-urlencoded", header: header})
	return res, string(body)
}

// photoForm is the Delivered form with a file under photo.
func photoForm(t *testing.T, name string, file []byte) (body, contentType string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("status", "delivered")
	part, err := w.CreateFormFile("photo", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(file)
	w.Close()
	return b.String(), w.FormDataContentType()
}

func TestACourierOpensTheLinkSetsOffAndDeliversWithAPhotoAndTheOrderFollows(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	d, link := ts.courierTask(app.OrderReady)

	res, page := ts.do(req{method: "GET", path: link})
	html := string(page)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("open: %d %.300s", res.StatusCode, html)
	}
	for _, want := range []string{d.OrderNumber, "Tariro", `href="tel:+263771234567"`, "12 Baines Ave, Harare", "2 ×", "Sadza &amp; stew",
		"Blue gate, dog is friendly", "No onions", "Picked up — on my way", `name="viewport"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"<script", "topbar", `id="courier-deliver"`} {
		if strings.Contains(html, unwanted) {
			t.Errorf("the page has %q: no scripts, no panel chrome, no Delivered before setting off", unwanted)
		}
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q: a customer's address must not be cached", cc)
	}

	res, html = ts.report(link, "status=in_transit", sameSite)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != link {
		t.Fatalf("set off: %d %.300s", res.StatusCode, html)
	}
	if o, _ := ts.db.Order(ctx, d.OrderID); o.Status != app.OrderOutForDelivery {
		t.Errorf("the order is %s after setting off", o.Status)
	}
	courier := "courier:" + d.ID
	if n := storetest.Count(t, ts.db, `select count(*) from audit_logs where actor_type = 'system' and actor_id = ? and entity_id in (?, ?)`, courier, d.ID, d.OrderID); n != 2 {
		t.Errorf("%d audit rows by %s, want the task's and the order's", n, courier)
	}
	if n := storetest.Count(t, ts.db, `select count(*) from order_steps where order_id = ? and status = 'out_for_delivery' and by = ?`, d.OrderID, "system:"+courier); n != 1 {
		t.Errorf("the order's step does not say the courier moved it")
	}
	_, page = ts.do(req{method: "GET", path: link})
	if !strings.Contains(string(page), `id="courier-deliver"`) || !strings.Contains(string(page), "Could not deliver") {
		t.Errorf("on the way, the page offers no Delivered and Could not deliver:\n%.500s", page)
	}

	body, ct := photoForm(t, "doorstep.png", mediatest.PNG(64, 48))
	res, page = ts.do(req{method: "POST", path: link, body: body, contentType: ct, header: sameSite})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deliver: %d %.300s", res.StatusCode, page)
	}
	got, _ := ts.db.Delivery(ctx, d.ID)
	if got.Status != app.DeliveryDone || got.ProofMediaID == "" || got.CompletedAt == nil {
		t.Errorf("after delivering: %+v", got)
	}
	ts.waitProcessed(got.ProofMediaID) // the library makes its sizes, as for any upload
	if m, err := ts.db.Media(ctx, got.ProofMediaID); err != nil || m.Kind != app.MediaImage || m.Status != app.MediaReady {
		t.Errorf("proof %s: %+v %v", got.ProofMediaID, m, err)
	}
	if o, _ := ts.db.Order(ctx, d.OrderID); o.Status != app.OrderDelivered {
		t.Errorf("the order is %s after delivering", o.Status)
	}
	for typ, want := range map[string]int{"delivery_started": 1, "delivery_completed": 1, "order_status_changed": 5} {
		if n := storetest.Count(t, ts.db, `select count(*) from events where type = ?`, typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}

	// The link has done its work: the page says so and shows no customer.
	res, page = ts.do(req{method: "GET", path: link})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "This delivery is finished") || !strings.Contains(string(page), ">Delivered.<") ||
		strings.Contains(string(page), "+263771234567") {
		t.Errorf("after the end: %d\n%.500s", res.StatusCode, page)
	}
	// What a report would write (the media job's row may still be leaving
	// the queue, so no whole-database digest here).
	written := `select (select count(*) from audit_logs) || '/' || (select count(*) from events) || '/' ||
		(select status || notes || updated_at || coalesce(proof_media_id, '') from delivery_tasks where id = ?)`
	var before, after string
	ts.db.R.QueryRow(written, d.ID).Scan(&before)
	for _, form := range []string{"status=failed&reason=late", "status=in_transit"} {
		if res, html := ts.report(link, form, sameSite); res.StatusCode != http.StatusConflict || !strings.Contains(html, "the link no longer changes anything") {
			t.Errorf("%s after the end: %d %.300s", form, res.StatusCode, html)
		}
	}
	if ts.db.R.QueryRow(written, d.ID).Scan(&after); after != before {
		t.Errorf("a report after the end changed the database: %s, before %s", after, before)
	}
}

func TestUnknownLinksAreAPlain404AndANewLinkReplacesTheOld(t *testing.T) {
	ts := newTestServer(t)
	d, old := ts.courierTask(app.OrderReady)
	fresh := ts.courierLink(d.ID)
	ts.useKeys(ts.keys[app.RoleOperator])
	before := digest(t, ts.db)
	wrong := "/courier/" + strings.Repeat("x", 43)
	for _, path := range []string{old, wrong, "/courier/short", "/courier/" + strings.Repeat("%21", 43)} {
		res, page := ts.do(req{method: "GET", path: path})
		if res.StatusCode != http.StatusNotFound || !strings.Contains(string(page), "Link not found") || strings.Contains(string(page), d.OrderNumber) {
			t.Errorf("GET %s: %d %.300s", path, res.StatusCode, page)
		}
		if res, html := ts.report(path, "status=in_transit", sameSite); res.StatusCode != http.StatusNotFound || strings.Contains(html, d.OrderNumber) {
			t.Errorf("POST %s: %d %.300s", path, res.StatusCode, html)
		}
	}
	if digest(t, ts.db) != before {
		t.Error("unknown links changed the database")
	}
	if res, _ := ts.do(req{method: "GET", path: fresh}); res.StatusCode != http.StatusOK {
		t.Errorf("the new link: %d", res.StatusCode)
	}
	if n := storetest.Count(t, ts.db, `select count(*) from delivery_tasks where courier_token_hash like ?`, "%"+strings.TrimPrefix(fresh, "/courier/")+"%"); n != 0 {
		t.Error("the link's secret is stored as it is")
	}
}

func TestACrossSitePostToACourierLinkIsRefused(t *testing.T) {
	ts := newTestServer(t)
	_, link := ts.courierTask(app.OrderReady)
	ts.useKeys(ts.keys[app.RoleOperator])
	before := digest(t, ts.db)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Origin": "https://evil.example"},
	} {
		if res, body := ts.report(link, "status=in_transit", h); res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site %v: %d %.300s", h, res.StatusCode, body)
		}
	}
	if digest(t, ts.db) != before {
		t.Error("a cross-site post changed the database")
	}
}

func TestACouriersRefusedReportsSayWhyOnThePageAndChangeNothing(t *testing.T) {
	ts := newTestServer(t)
	_, early := ts.courierTask(app.OrderPreparing)
	_, link := ts.courierTask(app.OrderReady)
	ts.useKeys(ts.keys[app.RoleOperator])
	if res, html := ts.report(link, "status=in_transit", sameSite); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set off: %d %.300s", res.StatusCode, html)
	}
	pdf, pdfType := photoForm(t, "note.pdf", mediatest.PDF())
	huge, hugeType := photoForm(t, "huge.png", append(mediatest.PNG(64, 48), make([]byte, 6<<20)...))
	before := digest(t, ts.db)
	for _, c := range []struct {
		name, link, body, contentType string
		status                        int
		says                          string
	}{
		{"the order is not ready", early, "status=in_transit", "", http.StatusConflict, "mark it ready"},
		{"a status a courier does not report", link, "status=cancelled", "", http.StatusUnprocessableEntity, "a courier reports"},
		{"delivered before setting off", early, "status=delivered", "", http.StatusConflict, "cannot become delivered"},
		{"a document as proof", link, pdf, pdfType, http.StatusUnsupportedMediaType, "must be a photo"},
		{"a photo over the cap for pictures", link, huge, hugeType, http.StatusRequestEntityTooLarge, "too large: send one of up to 5 MiB"},
	} {
		ct := c.contentType
		if ct == "" {
			ct = "application/x-www-form-urlencoded"
		}
		res, body := ts.do(req{method: "POST", path: c.link, body: c.body, contentType: ct, header: sameSite})
		if res.StatusCode != c.status || !strings.Contains(string(body), c.says) || !strings.Contains(string(body), `role="alert"`) {
			t.Errorf("%s: %d, want %d saying %q\n%.600s", c.name, res.StatusCode, c.status, c.says, body)
		}
		if digest(t, ts.db) != before {
			t.Errorf("%s changed the database", c.name)
		}
	}
}
