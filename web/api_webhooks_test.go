package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"smartbot/app"
	"smartbot/store"
	"smartbot/store/storetest"
)

// delivery is one request a loopback receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// hookReceiver is a loopback endpoint answering 200 that hands over what it gets.
func hookReceiver(t *testing.T) (string, <-chan delivery) {
	t.Helper()
	got := make(chan delivery, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), b}
		w.Write([]byte("thanks"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/in", got
}

func waitDelivery(t *testing.T, got <-chan delivery) delivery {
	t.Helper()
	select {
	case d := <-got:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery came")
		return delivery{}
	}
}

func TestAnOwnerSetsUpAWebhookThatReceivesTheShopsEventsSigned(t *testing.T) {
	ts := newTestServer(t)
	owner, op, viewer := ts.keys[app.RoleOwner], ts.keys[app.RoleOperator], ts.keys[app.RoleViewer]
	url, got := hookReceiver(t)

	// Loopback is refused until private targets are allowed.
	res, body := ts.do(req{method: "POST", path: "/api/webhooks", key: owner, body: fmt.Sprintf(`{"url":%q}`, url)})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "loopback") {
		t.Fatalf("a loopback URL: %d %s", res.StatusCode, body)
	}
	if err := ts.webhooks.SetAllowPrivate(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	res, body = ts.do(req{method: "POST", path: "/api/webhooks", key: owner,
		body: fmt.Sprintf(`{"url":%q,"description":"accounting","events":["product_updated","order_created"]}`, url)})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var hook app.Webhook
	json.Unmarshal(body, &hook)
	if !strings.HasPrefix(hook.Secret, "whsec_") || res.Header.Get("Location") != "/api/webhooks/"+hook.ID {
		t.Fatalf("created %s", body)
	}
	_, body = ts.do(req{method: "GET", path: "/api/webhooks/" + hook.ID, key: viewer})
	if strings.Contains(string(body), "whsec_") {
		t.Errorf("a read shows the secret: %s", body)
	}

	res, body = ts.do(req{method: "POST", path: "/api/products", key: op, body: `{"name":"Bread","price":150,"currency":"USD"}`})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("product: %d %s", res.StatusCode, body)
	}
	d := waitDelivery(t, got)
	v, _ := standardwebhooks.NewWebhook(hook.Secret)
	if err := v.Verify(d.body, d.header); err != nil {
		t.Fatalf("the verifier refused the delivery: %v", err)
	}
	eventID := d.header.Get("webhook-id")
	res, body = ts.do(req{method: "GET", path: "/api/events/" + eventID, key: viewer})
	if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != string(d.body) {
		t.Errorf("GET /api/events/%s: %d %s; the delivery was %s", eventID, res.StatusCode, body, d.body)
	}

	// The attempt is in the log once its row commits, just after the answer.
	var logs struct{ Data []store.WebhookLog }
	for range 200 {
		_, body = ts.do(req{method: "GET", path: "/api/webhooks/" + hook.ID + "/logs?outcome=delivered", key: viewer})
		if json.Unmarshal(body, &logs); len(logs.Data) > 0 {
			break
		}
	}
	if len(logs.Data) != 1 || logs.Data[0].EventID != eventID || logs.Data[0].ResponseBody != "thanks" {
		t.Fatalf("logs: %s", body)
	}

	// A ping, answered live.
	res, body = ts.do(req{method: "POST", path: "/api/webhooks/" + hook.ID + "/test", key: op})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"outcome":"delivered"`) {
		t.Fatalf("test: %d %s", res.StatusCode, body)
	}
	if ping := waitDelivery(t, got); v.Verify(ping.body, ping.header) != nil || !strings.Contains(string(ping.body), `"type":"ping"`) {
		t.Errorf("the ping: %s", ping.body)
	}

	// Redeliver the event: same webhook-id, same body.
	res, body = ts.do(req{method: "POST", path: "/api/webhooks/" + hook.ID + "/redeliver", key: op, body: fmt.Sprintf(`{"event_id":%q}`, eventID)})
	if res.StatusCode != http.StatusAccepted || !strings.Contains(string(body), `"queued":1`) {
		t.Fatalf("redeliver: %d %s", res.StatusCode, body)
	}
	if again := waitDelivery(t, got); again.header.Get("webhook-id") != eventID || string(again.body) != string(d.body) {
		t.Errorf("the redelivery differs: %s %s", again.header.Get("webhook-id"), again.body)
	}

	// Rotate: the new secret once; the old one still verifies for now.
	res, body = ts.do(req{method: "POST", path: "/api/webhooks/" + hook.ID + "/rotate-secret", key: owner})
	var rotated app.Webhook
	json.Unmarshal(body, &rotated)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == hook.Secret || rotated.PreviousSecretExpiresAt == nil {
		t.Fatalf("rotate: %d %s", res.StatusCode, body)
	}
	ts.do(req{method: "POST", path: "/api/webhooks/" + hook.ID + "/test", key: op})
	ping := waitDelivery(t, got)
	nv, _ := standardwebhooks.NewWebhook(rotated.Secret)
	if v.Verify(ping.body, ping.header) != nil || nv.Verify(ping.body, ping.header) != nil {
		t.Errorf("after rotation both secrets should verify: %q", ping.header.Get("webhook-signature"))
	}

	// Off and on again; then gone.
	res, body = ts.do(req{method: "PATCH", path: "/api/webhooks/" + hook.ID, key: owner, body: `{"active":false}`})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"active":false`) {
		t.Fatalf("turn off: %d %s", res.StatusCode, body)
	}
	res, _ = ts.do(req{method: "POST", path: "/api/webhooks/" + hook.ID + "/redeliver", key: op, body: fmt.Sprintf(`{"event_id":%q}`, eventID)})
	if res.StatusCode != http.StatusConflict {
		t.Errorf("redelivering to a turned-off webhook: %d", res.StatusCode)
	}
	res, body = ts.do(req{method: "PATCH", path: "/api/webhooks/" + hook.ID, key: owner, body: `{"active":true,"redeliver_failed":true}`})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"active":true`) {
		t.Fatalf("turn on: %d %s", res.StatusCode, body)
	}
	if res, _ := ts.do(req{method: "PATCH", path: "/api/webhooks/" + hook.ID, key: op, body: `{"active":false}`}); res.StatusCode != http.StatusForbidden {
		t.Errorf("an operator changed a webhook: %d", res.StatusCode)
	}
	if res, _ := ts.do(req{method: "DELETE", path: "/api/webhooks/" + hook.ID, key: owner}); res.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d", res.StatusCode)
	}
	if res, _ := ts.do(req{method: "GET", path: "/api/webhooks/" + hook.ID, key: viewer}); res.StatusCode != http.StatusNotFound {
		t.Errorf("a deleted webhook: %d", res.StatusCode)
	}
	if n := storetest.Count(t, ts.db, `select count(*) from audit_logs where coalesce(after, '') like '%whsec_%' or coalesce(before, '') like '%whsec_%'`); n != 0 {
		t.Errorf("%d audit rows hold a secret", n)
	}
}

func TestWebhookInputMistakesAreExplained(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.keys[app.RoleOwner]
	for _, tc := range []struct{ body, field string }{
		{`{"url":"ftp://example.com/x"}`, "url"},
		{`{"url":"http://169.254.169.254/latest"}`, "url"},
		{`{"url":"http://10.0.0.1/"}`, "url"},
		{`{"url":"http://[::1]/"}`, "url"},
		{`{"url":"https://127.0.0.1/","events":["order_made"]}`, "url"},
		{`{"url":""}`, "url"},
	} {
		res, body := ts.do(req{method: "POST", path: "/api/webhooks", key: owner, body: tc.body})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s", tc.body, res.StatusCode, body)
		}
	}
	ts.webhooks.SetAllowPrivate(context.Background(), true)
	res, body := ts.do(req{method: "POST", path: "/api/webhooks", key: owner, body: `{"url":"http://127.0.0.1:9/","events":["order_made"]}`})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"field":"events"`) {
		t.Errorf("an unknown event type: %d %s", res.StatusCode, body)
	}
	res, body = ts.do(req{method: "GET", path: "/api/webhooks/" + app.NewID(app.PrefixWebhook) + "/logs?outcome=maybe", key: owner})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a bad outcome filter: %d %s", res.StatusCode, body)
	}
}
