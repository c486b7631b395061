package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/store"
)

// payOrder places an order of one product at price USD through the API
// and returns its id and number.
func (ts *testServer) payOrder(price int64) (id, number string) {
	ts.t.Helper()
	op := ts.keys[app.RoleOperator]
	res, body := ts.do(req{method: "POST", path: "/api/products", key: op, body: fmt.Sprintf(`{"name":"Bread","price":%d,"currency":"USD"}`, price)})
	if res.StatusCode != http.StatusCreated {
		ts.t.Fatalf("product: %d %s", res.StatusCode, body)
	}
	var p struct{ ID string }
	json.Unmarshal(body, &p)
	res, body = ts.do(req{method: "POST", path: "/api/orders", key: op,
		body: `{"customer":{"phone":"+263771234567","name":"Tariro"},"items":[{"product_id":"` + p.ID + `","quantity":1}],"fulfilment":"pickup"}`})
	if res.StatusCode != http.StatusCreated {
		ts.t.Fatalf("order: %d %s", res.StatusCode, body)
	}
	var o struct{ ID, Number string }
	json.Unmarshal(body, &o)
	return o.ID, o.Number
}

// payCount runs a count query.
func (ts *testServer) payCount(q string, args ...any) int {
	ts.t.Helper()
	var n int
	if err := ts.db.R.QueryRow(q, args...).Scan(&n); err != nil {
		ts.t.Fatal(err)
	}
	return n
}

// rotateSecret makes a new inbound secret as the owner and returns it.
func (ts *testServer) rotateSecret(query string) string {
	ts.t.Helper()
	res, body := ts.do(req{method: "POST", path: "/api/settings/inbound-payments/secret" + query, key: ts.keys[app.RoleOwner]})
	var out struct{ Secret string }
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || !strings.HasPrefix(out.Secret, "whpay_") {
		ts.t.Fatalf("rotate: %d %s", res.StatusCode, body)
	}
	return out.Secret
}

// inbound posts body to the inbound endpoint signed with secret at now+skew.
func (ts *testServer) inbound(secret string, skew time.Duration, body string) (*http.Response, []byte) {
	at := time.Now().Add(skew).Unix()
	return ts.do(req{method: "POST", path: "/api/inbound/payments", body: body, header: map[string]string{
		"X-Smartbot-Timestamp": strconv.FormatInt(at, 10), "X-Smartbot-Signature": commerce.SignInbound(secret, at, []byte(body))}})
}

func TestInboundPaymentsOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	id, number := ts.payOrder(1000)
	body := `{"order_number":"` + number + `","amount":400,"currency":"USD","provider":"ecocash","reference":"MP-1"}`
	recorded := func() (payments, events int) {
		return ts.payCount(`select count(*) from payments`), ts.payCount(`select count(*) from events where type = 'payment_received'`)
	}
	refusals := func() int {
		return ts.payCount(`select count(*) from audit_logs where action = 'payment.inbound_refused'`)
	}

	res, b := ts.inbound("whpay_none", 0, body)
	if p := problemOf(t, res, b); res.StatusCode != http.StatusForbidden || !strings.Contains(p["detail"].(string), "owner") {
		t.Fatalf("before a secret: %d %s", res.StatusCode, b)
	}
	for _, role := range []app.Role{app.RoleViewer, app.RoleOperator} {
		if res, b := ts.do(req{method: "POST", path: "/api/settings/inbound-payments/secret", key: ts.keys[role]}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("%s rotates the secret: %d %s", role, res.StatusCode, b)
		}
	}
	secret := ts.rotateSecret("")
	res, b = ts.do(req{method: "GET", path: "/api/settings/inbound-payments", key: ts.keys[app.RoleOwner]})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"set":true`) || strings.Contains(string(b), "whpay_") {
		t.Fatalf("settings: %d %s", res.StatusCode, b)
	}

	// A refusal: its status, the field to fix, nothing recorded, one audit
	// row with the sender's address.
	refused := []struct {
		name   string
		send   func() (*http.Response, []byte)
		status int
		field  string
	}{
		{"tampered body", func() (*http.Response, []byte) {
			at := time.Now().Unix()
			return ts.do(req{method: "POST", path: "/api/inbound/payments", body: strings.Replace(body, "400", "900", 1), header: map[string]string{
				"X-Smartbot-Timestamp": strconv.FormatInt(at, 10), "X-Smartbot-Signature": commerce.SignInbound(secret, at, []byte(body))}})
		}, http.StatusUnauthorized, "X-Smartbot-Signature"},
		{"no headers", func() (*http.Response, []byte) {
			return ts.do(req{method: "POST", path: "/api/inbound/payments", body: body})
		}, http.StatusUnauthorized, "X-Smartbot-Timestamp"},
		{"stale", func() (*http.Response, []byte) { return ts.inbound(secret, -10*time.Minute, body) }, http.StatusUnauthorized, "X-Smartbot-Timestamp"},
		{"from the future", func() (*http.Response, []byte) { return ts.inbound(secret, 10*time.Minute, body) }, http.StatusUnauthorized, "X-Smartbot-Timestamp"},
		{"unknown order", func() (*http.Response, []byte) {
			return ts.inbound(secret, 0, strings.Replace(body, number, "SB-999999", 1))
		}, http.StatusUnprocessableEntity, "order_number"},
		{"wrong currency", func() (*http.Response, []byte) { return ts.inbound(secret, 0, strings.Replace(body, "USD", "ZAR", 1)) }, http.StatusUnprocessableEntity, "currency"},
		{"not JSON", func() (*http.Response, []byte) { return ts.inbound(secret, 0, "amount=400") }, http.StatusBadRequest, ""},
	}
	for i, c := range refused {
		res, b := c.send()
		p := problemOf(t, res, b)
		if res.StatusCode != c.status || (c.field != "" && !strings.Contains(fmt.Sprint(p["errors"]), "field:"+c.field)) {
			t.Errorf("%s: %d %s, want %d naming %q", c.name, res.StatusCode, b, c.status, c.field)
		}
		if p, e := recorded(); p != 0 || e != 0 {
			t.Fatalf("%s recorded %d payments, %d events", c.name, p, e)
		}
		if n := refusals(); n != i+2 {
			t.Fatalf("%s: %d refusals audited, want %d", c.name, n, i+2)
		}
	}
	rows, err := ts.db.ListAudit(context.Background(), store.AuditFilter{Action: "payment.inbound_refused", Limit: 1})
	if err != nil || rows[0].RemoteAddr != "127.0.0.1" || !strings.Contains(string(rows[0].After), `"remote_addr":"127.0.0.1"`) ||
		strings.Contains(string(rows[0].After), secret) {
		t.Fatalf("a refusal's audit row: %+v, %v", rows, err)
	}

	res, first := ts.inbound(secret, 0, body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("a valid notification: %d %s", res.StatusCode, first)
	}
	if p, e := recorded(); p != 1 || e != 1 {
		t.Fatalf("a valid notification recorded %d payments, %d events; want one of each", p, e)
	}
	res, again := ts.inbound(secret, 0, body)
	if res.StatusCode != http.StatusOK || string(again) != string(first) || res.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a replay: %d %s, want 200 and the first body %s", res.StatusCode, again, first)
	}
	if p, e := recorded(); p != 1 || e != 1 {
		t.Fatalf("a replay recorded something: %d payments, %d events", p, e)
	}
	res, b = ts.do(req{method: "GET", path: "/api/orders/" + id, key: ts.keys[app.RoleViewer]})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"payment_status":"partially_paid"`) || !strings.Contains(string(b), `"paid":400`) {
		t.Fatalf("the order after 400 of 1000: %s", b)
	}
}

func TestStaffRecordPaymentsAndRefundsOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	_, number := ts.payOrder(1000)
	op, viewer := ts.keys[app.RoleOperator], ts.keys[app.RoleViewer]
	path := "/api/orders/" + strings.ToLower(number)
	pay := `{"amount":600,"currency":"USD","method":"bank_transfer","provider":"cbz","reference":"FT1","paid_at":"2026-03-01T09:00:00Z"}`

	if res, b := ts.do(req{method: "POST", path: path + "/payments", key: viewer, body: pay}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a viewer records a payment: %d %s", res.StatusCode, b)
	}
	res, first := ts.do(req{method: "POST", path: path + "/payments", key: op, body: pay})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("record: %d %s", res.StatusCode, first)
	}
	res, again := ts.do(req{method: "POST", path: path + "/payments", key: op, body: pay})
	if res.StatusCode != http.StatusOK || string(again) != string(first) {
		t.Fatalf("the same reference again: %d %s, want 200 and %s", res.StatusCode, again, first)
	}
	for _, c := range []struct {
		path, body, field string
		status            int
	}{
		{"/payments", `{"amount":100,"currency":"EUR","method":"cash"}`, "currency", http.StatusUnprocessableEntity},
		{"/payments", `{"amount":1.5,"currency":"USD","method":"cash"}`, "amount", http.StatusUnprocessableEntity},
		{"/payments", `{"amount":100,"currency":"USD","method":"cheque"}`, "method", http.StatusUnprocessableEntity},
		{"/refunds", `{"amount":601,"reason":"too much"}`, "amount", http.StatusUnprocessableEntity},
		{"/refunds", `{"amount":100}`, "reason", http.StatusUnprocessableEntity},
	} {
		res, b := ts.do(req{method: "POST", path: path + c.path, key: op, body: c.body})
		p := problemOf(t, res, b)
		if res.StatusCode != c.status || !strings.Contains(fmt.Sprint(p["errors"]), "field:"+c.field) {
			t.Errorf("%s %s: %d %s, want %d on %s", c.path, c.body, res.StatusCode, b, c.status, c.field)
		}
	}
	if res, b := ts.do(req{method: "POST", path: "/api/orders/nope/payments", key: op, body: pay}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown order: %d %s", res.StatusCode, b)
	}
	res, b := ts.do(req{method: "POST", path: path + "/refunds", key: op, body: `{"amount":200,"reason":"a loaf was stale"}`})
	if res.StatusCode != http.StatusCreated || !strings.Contains(string(b), `"refund":true`) {
		t.Fatalf("refund: %d %s", res.StatusCode, b)
	}
	res, b = ts.do(req{method: "GET", path: path + "/payments", key: viewer})
	var sum commerce.PaymentSummary
	if res.StatusCode != http.StatusOK || json.Unmarshal(b, &sum) != nil || sum.Paid != 600 || sum.Refunded != 200 || sum.Balance != 600 ||
		sum.PaymentStatus != app.PaymentPartiallyPaid || len(sum.Data) != 2 {
		t.Fatalf("the order's payments: %d %s", res.StatusCode, b)
	}

	// All payments, filtered and paged.
	for range 2 {
		if res, b := ts.do(req{method: "POST", path: path + "/payments", key: op, body: `{"amount":10,"currency":"USD","method":"cash"}`}); res.StatusCode != http.StatusCreated {
			t.Fatalf("cash: %d %s", res.StatusCode, b)
		}
	}
	var seen []string
	next := "/api/payments?limit=2"
	for next != "" {
		res, b := ts.do(req{method: "GET", path: next, key: viewer})
		var pg struct {
			Data       []app.Payment
			NextCursor *string `json:"next_cursor"`
		}
		if res.StatusCode != http.StatusOK || json.Unmarshal(b, &pg) != nil {
			t.Fatalf("page: %d %s", res.StatusCode, b)
		}
		for _, p := range pg.Data {
			seen = append(seen, p.ID)
		}
		next = ""
		if pg.NextCursor != nil {
			next = "/api/payments?limit=2&cursor=" + *pg.NextCursor
		}
	}
	if len(seen) != 4 {
		t.Fatalf("pages gave %d payments, want 4: %v", len(seen), seen)
	}
	res, b = ts.do(req{method: "GET", path: "/api/payments?method=bank_transfer&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z", key: viewer})
	if res.StatusCode != http.StatusOK || strings.Count(string(b), `"id":"pay_`) != 1 || !strings.Contains(string(b), `"reference":"FT1"`) {
		t.Fatalf("bank transfers on 1 March: %d %s", res.StatusCode, b)
	}
	res, b = ts.do(req{method: "GET", path: "/api/payments?method=cash", key: viewer})
	if res.StatusCode != http.StatusOK || strings.Count(string(b), `"id":"pay_`) != 2 || strings.Contains(string(b), "bank_transfer") {
		t.Fatalf("cash payments: %d %s", res.StatusCode, b)
	}
	for _, q := range []string{"method=cheque", "from=yesterday", "order_id=SB-1", "cursor=" + "bm9wZQ"} {
		if res, b := ts.do(req{method: "GET", path: "/api/payments?" + q, key: viewer}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("?%s: %d %s", q, res.StatusCode, b)
		}
	}
}

// fenced returns the body of the first ```lang block of markdown.
func fenced(t *testing.T, markdown, lang string) string {
	t.Helper()
	m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindStringSubmatch(markdown)
	if m == nil {
		t.Fatalf("docs/payments.md has no %s example", lang)
	}
	return m[1]
}

// The examples of docs/payments.md, run as they are written (with the
// order number of this test's order) against a real server.
func TestTheDocsSigningExamplesAreAccepted(t *testing.T) {
	doc, err := os.ReadFile("../docs/payments.md")
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t)
	_, number := ts.payOrder(5000)
	secret := ts.rotateSecret("")
	env := append(os.Environ(), "SMARTBOT_URL="+ts.url, "SMARTBOT_INBOUND_SECRET="+secret)
	examples := []struct {
		lang, reference string
		tools           []string
		run             func(script string) *exec.Cmd
	}{
		{"sh", "MP240301.1234.A56789", []string{"sh", "openssl", "curl", "awk"}, func(s string) *exec.Cmd { return exec.Command("sh", "-c", s) }},
		{"python", "MP240301.1234.A56790", []string{"python3"}, func(s string) *exec.Cmd { return exec.Command("python3", "-c", s) }},
	}
	for _, ex := range examples {
		t.Run(ex.lang, func(t *testing.T) {
			for _, tool := range ex.tools {
				if _, err := exec.LookPath(tool); err != nil {
					t.Skipf("%s is not on the PATH, so the %s example cannot run here", tool, ex.lang)
				}
			}
			script := strings.ReplaceAll(fenced(t, string(doc), ex.lang), "SB-000123", number)
			cmd := ex.run(script)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the %s example failed: %v\n%s", ex.lang, err, out)
			}
			if n := ts.payCount(`select count(*) from payments where reference = ?`, ex.reference); n != 1 || !strings.Contains(string(out), "200") {
				t.Fatalf("the %s example recorded %d payments; it printed:\n%s", ex.lang, n, out)
			}
		})
	}
}

func TestAnAddressSendingRefusedPaymentReportsIsSlowedBeforeItFillsTheAuditLog(t *testing.T) {
	ts := newTestServer(t)
	ts.rotateSecret("")
	refusals := func() int {
		return ts.payCount(`select count(*) from audit_logs where action = 'payment.inbound_refused'`)
	}
	for i := range 60 {
		if res, b := ts.do(req{method: "POST", path: "/api/inbound/payments", body: `{}`}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unsigned report %d: %d %s", i, res.StatusCode, b)
		}
	}
	res, b := ts.do(req{method: "POST", path: "/api/inbound/payments", body: `{}`})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the 61st unsigned report in a minute: %d %s, want 429", res.StatusCode, b)
	}
	if n := refusals(); n != 60 {
		t.Fatalf("%d refusals audited, want the first 60 only", n)
	}
}
