package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/store"
)

// hostile lists malformed and hostile requests, each of which must get a
// 4xx problem document and change nothing.
func hostile(ts *testServer) []req {
	owner, viewer := ts.keys[app.RoleOwner], ts.keys[app.RoleViewer]
	var rs []req
	add := func(r req) { rs = append(rs, r) }

	badJSON := []string{`{`, `}`, `{"email":}`, `[1,2`, `nul`, `{"email":"a@b.c",}`, `{'email':'x'}`, `"just a string`, `{"a":1}{"b":2}`, "{\"email\":\"a\x00\"", `{"email":"a@b.c"} trailing`, ` `, `{"email": "\ud800"`}
	wrongTypes := []string{`{"email":1,"role":"viewer","password":"x"}`, `{"email":"a@b.c","role":["owner"],"password":"correct horse battery"}`, `{"email":"a@b.c","role":"viewer","password":12345678901234}`, `{"email":null,"role":{},"password":"p"}`, `{"email":true}`, `[]`, `123`, `"text"`, `null`}
	unknown := []string{`{"email":"new@shop.test","role":"viewer","password":"correct horse battery","admin":true}`, `{"emial":"x@y.z"}`, `{"Email ":"x"}`, `{"role":"owner","is_owner":true}`}
	invalid := []string{`{}`, `{"email":"not-an-email","role":"viewer","password":"correct horse battery"}`, `{"email":"ok@shop.test","role":"god","password":"correct horse battery"}`, `{"email":"ok@shop.test","role":"viewer","password":"short"}`, `{"email":"` + strings.Repeat("a", 300) + `@x.y","role":"viewer","password":"correct horse battery"}`, `{"email":"owner@shop.test","role":"viewer","password":"correct horse battery"}`}
	for _, path := range []string{"/api/users", "/api/api-keys"} {
		for _, b := range append(append(append(badJSON, wrongTypes...), unknown...), invalid...) {
			add(req{method: "POST", path: path, body: b, key: owner})
		}
	}
	patchBodies := []string{`{"role":"superuser"}`, `{"role":1}`, `{"name":["x"]}`, `{"nickname":"x"}`, `{`, `{"name":"` + strings.Repeat("n", 201) + `"}`}
	for _, b := range patchBodies {
		add(req{method: "PATCH", path: "/api/users/" + ts.users[app.RoleViewer].ID, body: b, key: owner})
	}
	for _, b := range []string{`{"password":"short"}`, `{"password":1}`, `{"pass":"correct horse battery"}`, `{`} {
		add(req{method: "POST", path: "/api/users/" + ts.users[app.RoleViewer].ID + "/password", body: b, key: owner})
	}
	for _, b := range []string{`{"name":"k","role":"viewer","expires_at":"2001-01-01T00:00:00Z"}`, `{"name":"k","role":"viewer","expires_at":"tomorrow"}`, `{"name":"","role":"viewer"}`, `{"name":"<script>","role":"viewer"}`, `{"name":"ok","role":"root"}`} {
		add(req{method: "POST", path: "/api/api-keys", body: b, key: owner})
	}
	// Huge bodies.
	huge := `{"email":"` + strings.Repeat("x", 2<<20) + `"}`
	add(req{method: "POST", path: "/api/users", body: huge, key: owner})
	add(req{method: "POST", path: "/api/api-keys", body: huge, key: owner})
	add(req{method: "PATCH", path: "/api/users/" + ts.users[app.RoleViewer].ID, body: huge, key: owner})
	add(req{method: "POST", path: "/api/me/password", body: huge, cookie: ts.session(ts.users[app.RoleViewer], 3600e9)})
	// Wrong content types.
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/html; charset=utf-8", "garbage/;;;"} {
		add(req{method: "POST", path: "/api/users", body: `{"email":"ct@shop.test","role":"viewer","password":"correct horse battery"}`, contentType: ct, key: owner})
		add(req{method: "POST", path: "/api/api-keys", body: `{"name":"ct","role":"viewer"}`, contentType: ct, key: owner})
	}
	// Path traversal and hostile ids.
	ids := []string{"..%2F..%2Fetc%2Fpasswd", "usr_..%2f..", "%2e%2e", "usr_" + strings.Repeat("z", 26), "usr_%00", "usr_' or 1=1 --", "usr_" + strings.Repeat("a", 5000), "key_%2F", "%252e%252e%252f", "usr_0000000000000000000000000%0a"}
	for _, id := range ids {
		add(req{method: "GET", path: "/api/users/" + id, key: viewer})
		add(req{method: "DELETE", path: "/api/users/" + id, key: owner})
		add(req{method: "DELETE", path: "/api/api-keys/" + id, key: owner})
		add(req{method: "POST", path: "/api/dead-letters/" + id + "/retry", key: owner})
		add(req{method: "DELETE", path: "/api/dead-letters/" + id, key: owner})
	}
	for _, q := range []string{"nope", "..%2Fgoqite", "order_processing%00", strings.Repeat("q", 300)} {
		add(req{method: "GET", path: "/api/queues/" + q + "/dead-letters", key: viewer})
	}
	// Bad query parameters.
	for _, q := range []string{"limit=0", "limit=-1", "limit=201", "limit=abc", "limit=1e3", "cursor=!!!", "cursor=" + strings.Repeat("A", 400), "since=yesterday", "until=2026-13-45", "action=%27%3B%20drop%20table%20users", "entity_id=" + strings.Repeat("x", 101)} {
		add(req{method: "GET", path: "/api/audit?" + q, key: viewer})
	}
	for _, q := range []string{"type=order_exploded", "cursor=abc", "limit=9999"} {
		add(req{method: "GET", path: "/api/events?" + q, key: viewer})
	}
	// Missing or broken credentials.
	for _, path := range []string{"/api/users", "/api/api-keys", "/api/audit", "/api/events", "/api/queues", "/api/me", "/metrics"} {
		add(req{method: "GET", path: path})
		add(req{method: "GET", path: path, header: map[string]string{"Authorization": "Bearer sb_notarealkeyatallnotarealkeyatal"}})
		add(req{method: "GET", path: path, header: map[string]string{"Authorization": "Basic b3duZXI6cGFzcw=="}})
		add(req{method: "GET", path: path, cookie: "sbs_forgedsessiontokenforgedsessiont"})
	}
	add(req{method: "GET", path: "/api/me", header: map[string]string{"Authorization": "Bearer " + strings.Repeat("sb_", 1000)}})
	add(req{method: "POST", path: "/api/users", body: `{"email":"x@shop.test","role":"owner","password":"correct horse battery"}`})
	// Cross-origin state changes from a browser, with a valid session.
	owners := ts.session(ts.users[app.RoleOwner], 3600e9)
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
		{"Origin": "null", "Sec-Fetch-Site": "cross-site"},
	} {
		add(req{method: "POST", path: "/api/users", body: `{"email":"csrf@shop.test","role":"owner","password":"correct horse battery"}`, cookie: owners, header: h})
		add(req{method: "DELETE", path: "/api/users/" + ts.users[app.RoleViewer].ID, cookie: owners, header: h})
		add(req{method: "POST", path: "/api/api-keys", body: `{"name":"csrf","role":"owner"}`, cookie: owners, header: h})
		add(req{method: "POST", path: "/users", body: "email=csrf%40shop.test&role=owner&password=correct+horse+battery", contentType: "application/x-www-form-urlencoded", cookie: owners, header: h})
		add(req{method: "POST", path: "/keys", body: "name=csrf&role=owner", contentType: "application/x-www-form-urlencoded", cookie: owners, header: h})
		add(req{method: "POST", path: "/logout", cookie: owners, header: h})
	}
	// Wrong methods and unknown endpoints.
	for _, r := range []req{{method: "PUT", path: "/api/users"}, {method: "DELETE", path: "/api/audit"}, {method: "PATCH", path: "/api/api-keys"}, {method: "GET", path: "/api/nothing-here"}, {method: "POST", path: "/api/../../etc/passwd"}, {method: "GET", path: "/api/users/"}} {
		r.key = owner
		add(r)
	}
	// Deleting the last owner, and demoting them, are conflicts.
	add(req{method: "DELETE", path: "/api/users/" + ts.users[app.RoleOwner].ID, key: owner})
	add(req{method: "PATCH", path: "/api/users/" + ts.users[app.RoleOwner].ID, body: `{"role":"viewer"}`, key: owner})
	// Idempotency keys out of shape.
	add(req{method: "POST", path: "/api/api-keys", body: `{"name":"idem","role":"viewer"}`, key: owner, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}})
	return rs
}

func TestHostileRequestsGetAProblemAndChangeNothing(t *testing.T) {
	ts := newTestServer(t)
	// Every credential's first use stamps its last-used time; do that first.
	for _, k := range ts.keys {
		ts.do(req{method: "GET", path: "/api/me", key: k})
	}
	cases := hostile(ts)
	if len(cases) < 200 {
		t.Fatalf("only %d hostile requests; the acceptance asks for 200", len(cases))
	}
	before := digest(t, ts.db)
	statuses := map[int]int{}
	for _, r := range cases {
		res, body := ts.do(r)
		statuses[res.StatusCode]++
		name := fmt.Sprintf("%s %.80s %.60q", r.method, r.path, r.body)
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("%s: %d, want a 4xx\n%.300s", name, res.StatusCode, body)
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: %d with %q, want a problem document\n%.300s", name, res.StatusCode, ct, body)
			continue
		}
		problemOf(t, res, body)
	}
	if after := digest(t, ts.db); after != before {
		t.Fatal("hostile requests changed the database")
	}
	t.Logf("%d hostile requests; statuses %v", len(cases), statuses)
	for _, want := range []int{400, 401, 403, 404, 405, 409, 413, 415, 422} {
		if statuses[want] == 0 {
			t.Errorf("no hostile request got %d: the list misses a kind", want)
		}
	}
}

func TestUnknownFieldsAndWrongTypesNameTheField(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct{ body, field string }{
		{`{"email":"a@shop.test","role":"viewer","password":"correct horse battery","admin":true}`, "admin"},
		{`{"email":5,"role":"viewer","password":"correct horse battery"}`, "email"},
		{`{"email":"a@shop.test","role":"viewer","password":"short"}`, "password"},
		{`{"email":"nope","role":"viewer","password":"correct horse battery"}`, "email"},
	} {
		res, body := ts.do(req{method: "POST", path: "/api/users", body: c.body, key: ts.keys[app.RoleOwner]})
		p := problemOf(t, res, body)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", c.body, res.StatusCode)
		}
		errs, _ := p["errors"].([]any)
		if len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
			t.Errorf("%s: errors %v do not name %q", c.body, p["errors"], c.field)
		}
	}
}

func TestUsersAndKeysThroughTheAPI(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.keys[app.RoleOwner]
	res, body := ts.do(req{method: "POST", path: "/api/users", body: `{"email":"New@Shop.test","name":"Rudo","role":"operator","password":"correct horse battery"}`, key: owner})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var u app.User
	json.Unmarshal(body, &u)
	if u.Email != "new@shop.test" || u.Role != app.RoleOperator || strings.Contains(string(body), "argon2") {
		t.Fatalf("created %s", body)
	}
	if res, body := ts.do(req{method: "PATCH", path: "/api/users/" + u.ID, body: `{"role":"viewer"}`, key: owner}); res.StatusCode != 200 || !strings.Contains(string(body), `"role":"viewer"`) {
		t.Fatalf("patch: %d %s", res.StatusCode, body)
	}
	res, body = ts.do(req{method: "POST", path: "/api/api-keys", body: `{"name":"accounting sync","role":"viewer"}`, key: owner})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create key: %d %s", res.StatusCode, body)
	}
	var k struct {
		ID, Key, Prefix string
	}
	json.Unmarshal(body, &k)
	if !strings.HasPrefix(k.Key, k.Prefix) || len(k.Key) < 30 {
		t.Fatalf("key %q with prefix %q", k.Key, k.Prefix)
	}
	if res, _ := ts.do(req{method: "GET", path: "/api/me", key: k.Key}); res.StatusCode != 200 {
		t.Fatalf("new key does not work: %d", res.StatusCode)
	}
	_, body = ts.do(req{method: "GET", path: "/api/api-keys", key: owner})
	if strings.Contains(string(body), k.Key) {
		t.Fatal("the key list shows a whole key")
	}
	if res, _ := ts.do(req{method: "DELETE", path: "/api/api-keys/" + k.ID, key: owner}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if res, _ := ts.do(req{method: "GET", path: "/api/me", key: k.Key}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked key works: %d", res.StatusCode)
	}
	// Every change above is in the audit log, with the acting key.
	_, body = ts.do(req{method: "GET", path: "/api/audit?actor_type=api_key&limit=10", key: owner})
	for _, action := range []string{"user.create", "user.update", "api_key.create", "api_key.revoke"} {
		if !strings.Contains(string(body), `"action":"`+action+`"`) {
			t.Errorf("audit log lacks %s", action)
		}
	}
}

func TestListsPageWithCursors(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	for i := range 7 {
		err := ts.db.Write(ctx, func(tx *store.Tx) error {
			_, err := ts.emitter.Emit(ctx, tx, app.BotConnectedData{JID: fmt.Sprintf("%d@s.whatsapp.net", i), Phone: fmt.Sprintf("+26377000000%d", i)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	path := "/api/events?limit=3"
	pages := 0
	for path != "" {
		res, body := ts.do(req{method: "GET", path: path, key: ts.keys[app.RoleViewer]})
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		var page struct {
			Data       []struct{ ID string }
			NextCursor *string `json:"next_cursor"`
		}
		json.Unmarshal(body, &page)
		for _, e := range page.Data {
			if seen[e.ID] {
				t.Fatalf("event %s on two pages", e.ID)
			}
			seen[e.ID] = true
		}
		pages++
		path = ""
		if page.NextCursor != nil {
			path = "/api/events?limit=3&cursor=" + *page.NextCursor
		}
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("%d events over %d pages, want 7 over 3", len(seen), pages)
	}
}

func TestAnIdempotencyKeyMakesACreateHappenOnce(t *testing.T) {
	ts := newTestServer(t)
	post := func(key, body string) (*http.Response, []byte) {
		return ts.do(req{method: "POST", path: "/api/api-keys", body: body, key: ts.keys[app.RoleOwner], header: map[string]string{"Idempotency-Key": key}})
	}
	body := `{"name":"pos terminal","role":"operator"}`
	r1, b1 := post("k-1", body)
	r2, b2 := post("k-1", body)
	if r1.StatusCode != http.StatusCreated || r2.StatusCode != http.StatusCreated || !bytes.Equal(b1, b2) {
		t.Fatalf("first %d, repeat %d; bodies equal: %v", r1.StatusCode, r2.StatusCode, bytes.Equal(b1, b2))
	}
	if r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("the repeat was not marked as replayed")
	}
	_, list := ts.do(req{method: "GET", path: "/api/api-keys", key: ts.keys[app.RoleOwner]})
	if n := strings.Count(string(list), `"name":"pos terminal"`); n != 1 {
		t.Fatalf("%d keys made, want 1", n)
	}
	r3, b3 := post("k-1", `{"name":"another","role":"operator"}`)
	if r3.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("same key, other body: %d %s", r3.StatusCode, b3)
	}
	problemOf(t, r3, b3)
	// Another caller's same key is their own.
	r4, _ := ts.do(req{method: "POST", path: "/api/api-keys", body: body, key: ts.addKey("other-owner", app.RoleOwner, ""), header: map[string]string{"Idempotency-Key": "k-1"}})
	if r4.StatusCode != http.StatusCreated || r4.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("another caller's key-1 replayed the first caller's answer: %d", r4.StatusCode)
	}
}

func TestTheConformanceCheckFailsOnAResponseThatDoesNotMatch(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://127.0.0.1/api/users/usr_0123456789abcdefghjkmnpqrs", nil)
	res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(nil)}
	// A user without its required fields, and a status the document does not list.
	if err := checkResponse(r, nil, res, []byte(`{"id":"usr_x","email":5}`)); err == nil {
		t.Fatal("a malformed user passed the OpenAPI check")
	}
	res.StatusCode = http.StatusTeapot
	if err := checkResponse(r, nil, res, []byte(`{}`)); err == nil {
		t.Fatal("an undocumented status passed the OpenAPI check")
	}
	good := `{"id":"usr_x","email":"a@b.c","name":"","role":"viewer","created_at":"2026-11-25T00:00:00.000Z","updated_at":"2026-11-25T00:00:00.000Z","last_login_at":null}`
	res.StatusCode = 200
	if err := checkResponse(r, nil, res, []byte(good)); err != nil {
		t.Fatalf("a good user failed the check: %v", err)
	}
}

func TestResponsesCarryTheSecurityHeaders(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{"/login", "/api/me", "/healthz"} {
		res, _ := ts.do(req{method: "GET", path: path})
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if res.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no request id", path)
		}
	}
}

func TestCreatingAProductEmitsProductUpdatedAndShowsInTheHistory(t *testing.T) {
	ts := newTestServer(t)
	res, body := ts.do(req{method: "POST", path: "/api/products", body: `{"name":"Blue tulips","sku":"TUL-BLUE","price":1250,"currency":"usd","stock":40}`, key: ts.keys[app.RoleOperator]})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var p app.Product
	json.Unmarshal(body, &p)
	if p.Currency != "USD" || p.Price != 1250 || p.Stock == nil || *p.Stock != 40 || !p.Active {
		t.Fatalf("created %s", body)
	}
	if res, body := ts.do(req{method: "GET", path: "/api/products/" + p.ID, key: ts.keys[app.RoleViewer]}); res.StatusCode != 200 || !strings.Contains(string(body), "Blue tulips") {
		t.Fatalf("get: %d %s", res.StatusCode, body)
	}
	_, body = ts.do(req{method: "GET", path: "/api/events?type=product_updated", key: ts.keys[app.RoleViewer]})
	if !strings.Contains(string(body), `"product_id":"`+p.ID+`"`) || !strings.Contains(string(body), `"change":"created"`) {
		t.Fatalf("no product_updated event: %s", body)
	}
	// The same SKU again is a conflict naming the field; a viewer may not create.
	res, body = ts.do(req{method: "POST", path: "/api/products", body: `{"name":"Tulips again","sku":"TUL-BLUE","price":1,"currency":"USD"}`, key: ts.keys[app.RoleOperator]})
	if res.StatusCode != http.StatusConflict || !strings.Contains(string(body), `"field":"sku"`) {
		t.Fatalf("duplicate sku: %d %s", res.StatusCode, body)
	}
	if res, _ := ts.do(req{method: "POST", path: "/api/products", body: `{"name":"x","price":1,"currency":"USD"}`, key: ts.keys[app.RoleViewer]}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer create: %d", res.StatusCode)
	}
	if res, body := ts.do(req{method: "POST", path: "/api/products", body: `{"name":"No price","currency":"USD"}`, key: ts.keys[app.RoleOperator]}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"field":"price"`) {
		t.Fatalf("missing price: %d %s", res.StatusCode, body)
	}
}

func TestTheNavigationOffersAPIKeysToOwnersOnly(t *testing.T) {
	ts := newTestServer(t)
	for role, want := range map[app.Role]bool{app.RoleOwner: true, app.RoleOperator: false, app.RoleViewer: false} {
		res, body := ts.do(req{method: "GET", path: "/", cookie: ts.session(ts.users[role], time.Hour)})
		if res.StatusCode != 200 {
			t.Fatalf("%s dashboard: %d", role, res.StatusCode)
		}
		if got := strings.Contains(string(body), `href="/keys"`); got != want {
			t.Errorf("%s sees the API keys link: %v, want %v", role, got, want)
		}
	}
}
