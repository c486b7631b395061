package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/webhook"
	"smartbot/store"
)

var shownSecret = regexp.MustCompile(`<textarea id="new-secret-value"[^>]*>(whsec_[^<]+)</textarea>`)

// panelEndpoint adds an endpoint to url from the panel as owner and
// returns its id and the secret its page showed.
func panelEndpoint(t *testing.T, ts *testServer, owner, to string, events ...string) (string, string) {
	t.Helper()
	res, body := postForm(ts, "/webhooks", owner, url.Values{"url": {to}, "description": {"accounting"}, "events": events})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/webhooks/whk_") {
		t.Fatalf("add endpoint: %d to %q\n%.600s", res.StatusCode, loc, body)
	}
	if strings.Contains(string(body), "whsec_") || strings.Contains(loc, "whsec_") {
		t.Fatal("the POST's answer carries the secret; it must come only on the page after the redirect")
	}
	res, body = ts.do(req{method: "GET", path: loc, header: cookies(owner, flashCookie(t, res))})
	m := shownSecret.FindSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("the endpoint's page after adding it: %d, no secret shown\n%.1500s", res.StatusCode, body)
	}
	return strings.TrimPrefix(loc, "/webhooks/"), string(m[1])
}

func TestAnOwnerAddsAWebhookEndpointSeesItsSecretOncePingsItAndReadsTheLog(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	if err := ts.webhooks.SetAllowPrivate(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	to, got := hookReceiver(t)
	id, secret := panelEndpoint(t, ts, owner, to, "order_created", "product_updated")

	hook, err := ts.db.Webhook(context.Background(), id)
	if err != nil || hook.Secret != secret || hook.URL != to || len(hook.Events) != 2 || hook.Description != "accounting" {
		t.Fatalf("stored %+v (%v); the page showed %s", hook, err, secret)
	}
	_, page := ts.do(req{method: "GET", path: "/webhooks/" + id, cookie: owner})
	if strings.Contains(string(page), "whsec_") {
		t.Error("the secret is shown a second time")
	}
	_, list := ts.do(req{method: "GET", path: "/webhooks", cookie: owner})
	if !strings.Contains(string(list), `id="webhook-`+id+`"`) || !strings.Contains(string(list), "Nothing delivered yet") || strings.Contains(string(list), "whsec_") {
		t.Errorf("the list:\n%.2000s", between(string(list), "webhook-list"))
	}

	// A ping with Datastar answers in place with what the receiver said.
	status, answer := postDatastar(t, ts, "/webhooks/"+id+"/test", owner, url.Values{})
	if status != http.StatusOK || !strings.Contains(answer, "event: datastar-patch-elements") || strings.Contains(answer, "<html") || !strings.Contains(answer, `id="ping-result"`) || !strings.Contains(answer, "200 OK") || !strings.Contains(answer, "thanks") {
		t.Fatalf("ping in place: %d\n%s", status, answer)
	}
	if d := waitDelivery(t, got); !strings.Contains(string(d.body), `"type":"ping"`) {
		t.Errorf("the receiver got %s", d.body)
	}
	// Without JavaScript the page shows the answer.
	res, body := postForm(ts, "/webhooks/"+id+"/test", owner, url.Values{})
	if res.StatusCode != http.StatusOK || !strings.Contains(between(string(body), "ping-result"), "thanks") {
		t.Errorf("a plain ping: %d\n%.500s", res.StatusCode, between(string(body), "ping-result"))
	}
	waitDelivery(t, got)

	// The log lists both attempts, newest first, with request and response.
	_, page = ts.do(req{method: "GET", path: "/webhooks/" + id, cookie: owner})
	log := string(page)[strings.Index(string(page), `id="webhook-log"`):]
	if n := strings.Count(log, `class="attempt"`); n != 2 || !strings.Contains(log, "webhook-id: evt_") || !strings.Contains(log, "thanks") ||
		!strings.Contains(log, "delivered") || strings.Contains(log, "webhook-signature: v1") {
		t.Errorf("the log (%d attempts):\n%.3000s", n, log)
	}
	_, page = ts.do(req{method: "GET", path: "/webhooks/" + id + "?outcome=failed", cookie: owner})
	if strings.Contains(string(page), `class="attempt"`) || !strings.Contains(string(page), "No attempts match") {
		t.Error("the outcome filter shows delivered attempts as failed")
	}
}

func TestARefusedEndpointKeepsWhatWasTypedAndNamesTheField(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	for _, tc := range []struct{ url, why string }{
		{"ftp://example.com/hook", "https"},
		{"http://127.0.0.1:9/hook", "loopback"},
		{"http://10.0.0.1/hook", "private"},
	} {
		res, body := postForm(ts, "/webhooks", owner, url.Values{"url": {tc.url}, "description": {"lan box"}, "events": {"payment_received"}})
		page := string(body)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `value="`+tc.url+`"`) || !strings.Contains(page, `value="lan box"`) {
			t.Errorf("%s: %d, the form does not keep what was typed", tc.url, res.StatusCode)
		}
		if e := between(page, "new-webhook-url-error"); !strings.Contains(strings.ToLower(e), tc.why) {
			t.Errorf("%s: the URL's message %q does not say %s", tc.url, e, tc.why)
		}
		if !regexp.MustCompile(`value="payment_received"\s+checked`).MatchString(page) || !strings.Contains(page, `aria-invalid="true"`) {
			t.Errorf("%s: the ticked type or the field's mark is lost", tc.url)
		}
	}
	if hooks, _ := ts.db.ListWebhooks(context.Background()); len(hooks) != 0 {
		t.Errorf("refused endpoints were saved: %+v", hooks)
	}
}

func TestRedeliverRotateTurnOnAndDeleteFromTheEndpointsPage(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	ts.webhooks.SetAllowPrivate(ctx, true)
	to, got := hookReceiver(t)
	id, _ := panelEndpoint(t, ts, owner, to)

	res, body := ts.do(req{method: "POST", path: "/api/products", key: ts.keys[app.RoleOperator], body: `{"name":"Bread","price":150,"currency":"USD"}`})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("product: %d %s", res.StatusCode, body)
	}
	first := waitDelivery(t, got)
	evt := first.header.Get("webhook-id")

	// An operator sends one event again: the same id arrives.
	res, body = postForm(ts, "/webhooks/"+id+"/redeliver", op, url.Values{"event_id": {evt}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("redeliver: %d %.400s", res.StatusCode, body)
	}
	if again := waitDelivery(t, got); again.header.Get("webhook-id") != evt {
		t.Errorf("redelivered %s, want %s", again.header.Get("webhook-id"), evt)
	}
	res, body = postForm(ts, "/webhooks/"+id+"/redeliver", op, url.Values{"since": {"yesterday"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "Nothing was sent again") {
		t.Errorf("a bad since: %d", res.StatusCode)
	}

	// Rotating asks first, then shows the new secret once and says the old one lasts 24 hours.
	_, ask := ts.do(req{method: "GET", path: "/webhooks/" + id + "/rotate", cookie: owner})
	if !strings.Contains(string(ask), `id="confirm-form"`) || !strings.Contains(string(ask), "24 hours") {
		t.Errorf("rotate does not ask first:\n%.800s", ask)
	}
	before, _ := ts.db.Webhook(ctx, id)
	res, _ = postForm(ts, "/webhooks/"+id+"/rotate", owner, url.Values{})
	_, page := ts.do(req{method: "GET", path: "/webhooks/" + id, header: cookies(owner, flashCookie(t, res))})
	after, _ := ts.db.Webhook(ctx, id)
	if m := shownSecret.FindSubmatch(page); m == nil || string(m[1]) != after.Secret || after.Secret == before.Secret ||
		!strings.Contains(string(page), "old secret keeps working for 24 hours") {
		t.Errorf("after rotating:\n%.1500s", page)
	}

	// A turned-off endpoint shows why, and the owner turns it on again.
	off := false
	if _, err := ts.webhooks.Update(ctx, id, webhook.Change{Active: &off}); err != nil {
		t.Fatal(err)
	}
	_, page = ts.do(req{method: "GET", path: "/webhooks/" + id, cookie: owner})
	if b := between(string(page), "disabled-banner"); !strings.Contains(string(page), `id="disabled-banner"`) || !strings.Contains(string(page), "turned off by") {
		t.Errorf("no banner for a turned-off endpoint: %s", b)
	}
	res, _ = postForm(ts, "/webhooks/"+id+"/enable", owner, url.Values{"redeliver": {"1"}})
	if h, _ := ts.db.Webhook(ctx, id); res.StatusCode != http.StatusSeeOther || !h.Active {
		t.Errorf("turn on: %d, active %v", res.StatusCode, h.Active)
	}

	// Deleting asks first.
	_, ask = ts.do(req{method: "GET", path: "/webhooks/" + id + "/delete", cookie: owner})
	if !strings.Contains(string(ask), `id="confirm-form"`) {
		t.Error("delete does not ask first")
	}
	res, _ = postForm(ts, "/webhooks/"+id+"/delete", owner, url.Values{})
	if _, err := ts.db.Webhook(ctx, id); res.StatusCode != http.StatusSeeOther || app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("delete: %d, %v", res.StatusCode, err)
	}
}

func TestViewersSeeEndpointsWithoutFormsAndCrossSiteFormsAreRefused(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	ts.webhooks.SetAllowPrivate(ctx, true)
	to, _ := hookReceiver(t)
	id, _ := panelEndpoint(t, ts, owner, to)

	for _, path := range []string{"/webhooks", "/webhooks/" + id} {
		res, body := ts.do(req{method: "GET", path: path, cookie: viewer})
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), to) {
			t.Errorf("a viewer's %s: %d", path, res.StatusCode)
		}
		if strings.Contains(string(body), `method="post" action="/webhooks`) || strings.Contains(string(body), "whsec_") {
			t.Errorf("a viewer is offered a form on %s", path)
		}
	}
	for _, path := range []string{"/webhooks", "/webhooks/" + id, "/webhooks/" + id + "/test", "/webhooks/" + id + "/rotate", "/webhooks/" + id + "/delete"} {
		if res, _ := postForm(ts, path, viewer, url.Values{"url": {to}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("a viewer's POST %s: %d, want 403", path, res.StatusCode)
		}
	}
	before := digest(t, ts.db)
	for _, path := range []string{"/webhooks", "/webhooks/" + id, "/webhooks/" + id + "/rotate", "/webhooks/" + id + "/delete", "/webhooks/" + id + "/enable"} {
		status, body := postDatastar(t, ts, path, owner, url.Values{"url": {to}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403\n%.300s", path, status, body)
		}
	}
	if digest(t, ts.db) != before {
		t.Error("a refused cross-site request changed something")
	}
}

func TestTheEventsPageListsEventsWithTheirPayloadEscapedAndLive(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	lines := openStream(t, ts.url+"/events/stream", viewer)

	res, body := ts.do(req{method: "POST", path: "/api/products", key: ts.keys[app.RoleOperator], body: `{"name":"<b>Tea</b> & \"scones\"","price":150,"currency":"USD"}`})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("product: %d %s", res.StatusCode, body)
	}
	events, err := ts.db.ListEvents(context.Background(), store.EventFilter{Limit: 1})
	if err != nil || len(events) == 0 {
		t.Fatalf("no event: %v", err)
	}
	evt := events[0].ID
	// The open page hears of it without a reload.
	deadline := time.After(10 * time.Second)
	for heard := false; !heard; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			heard = strings.Contains(l, `id="evt-`+evt+`"`)
		case <-deadline:
			t.Fatal("the live events page did not show the new event")
		}
	}

	_, page := ts.do(req{method: "GET", path: "/events", cookie: viewer})
	row := string(page)[strings.Index(string(page), `id="evt-`+evt+`"`):]
	row = row[:strings.Index(row, "</li>")]
	if !strings.Contains(row, `&#34;product_updated&#34;`) && !strings.Contains(row, `&quot;product_updated&quot;`) {
		t.Errorf("the row lacks its pretty-printed payload:\n%s", row)
	}
	if strings.Contains(row, "<b>Tea") || !strings.Contains(row, "&lt;b&gt;Tea") || !strings.Contains(row, "\n  ") {
		t.Errorf("the payload is not escaped or not indented:\n%s", row)
	}
	_, page = ts.do(req{method: "GET", path: "/events?type=order_created", cookie: viewer})
	if strings.Contains(string(page), evt) || !strings.Contains(string(page), "No events match") {
		t.Error("the type filter shows another type's event")
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	_, page = ts.do(req{method: "GET", path: "/events?since=" + tomorrow, cookie: viewer})
	if strings.Contains(string(page), evt) {
		t.Error("the since filter shows an event of today")
	}
	_, page = ts.do(req{method: "GET", path: "/events?until=" + time.Now().UTC().Format(time.DateOnly), cookie: viewer})
	if !strings.Contains(string(page), evt) {
		t.Error("the until filter hides an event of that day")
	}
}
