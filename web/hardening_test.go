package web_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"smartbot/app"
)

func TestABodyDeclaredLargerThanTheRoutesCapIsRefusedBeforeItIsSent(t *testing.T) {
	ts := newTestServer(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A guard against a hang, not a timing assertion: a server that waited
	// for the body would never answer.
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST /api/products HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		ts.keys[app.RoleOwner], 16<<20)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d %q, want 413 problem", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if n := countRows(t, ts, `select count(*) from products`); n != 0 {
		t.Errorf("%d products", n)
	}
}

func TestABodyLargerThanTheCapWithoutALengthIsRefusedToo(t *testing.T) {
	ts := newTestServer(t)
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `","price":1,"currency":"USD"}`
	hr, _ := http.NewRequest("POST", ts.url+"/api/products", strings.NewReader(big))
	hr.ContentLength = -1 // chunked: the size is only known by reading
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+ts.keys[app.RoleOwner])
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", res.StatusCode)
	}
}

func TestAKeyNeverActsAboveItsUsersCurrentRole(t *testing.T) {
	ts := newTestServer(t)
	boss := ts.addUser("boss@shop.test", app.RoleOwner)
	key := ts.addKey("boss-key", app.RoleOwner, boss.ID)
	owner := ts.keys[app.RoleOwner]
	newOwner := func() int {
		res, _ := ts.do(req{method: "POST", path: "/api/users", key: key,
			body: `{"email":"` + app.NewID("x") + `@shop.test","role":"owner","password":"` + password + `"}`})
		return res.StatusCode
	}
	if got := newOwner(); got != http.StatusCreated {
		t.Fatalf("an owner's key could not add an owner: %d", got)
	}
	res, body := ts.do(req{method: "PATCH", path: "/api/users/" + boss.ID, key: owner, body: `{"role":"viewer"}`})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("demote: %d %s", res.StatusCode, body)
	}
	if got := newOwner(); got != http.StatusForbidden {
		t.Errorf("after its user was made viewer, the key still added an owner: %d", got)
	}
	if res, body := ts.do(req{method: "GET", path: "/api/me", key: key}); res.StatusCode != 200 || !strings.Contains(string(body), `"role":"viewer"`) {
		t.Errorf("me: %d %s, want role viewer", res.StatusCode, body)
	}
	if res, _ := ts.do(req{method: "DELETE", path: "/api/users/" + boss.ID, key: owner}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if res, _ := ts.do(req{method: "GET", path: "/api/me", key: key}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the deleted user's key still works: %d", res.StatusCode)
	}
}

func TestAReplayedProblemIsStillAProblemDocument(t *testing.T) {
	ts := newTestServer(t)
	post := func(ct string) (*http.Response, []byte) {
		return ts.do(req{method: "POST", path: "/api/products", key: ts.keys[app.RoleOwner], contentType: ct,
			body: `{"name":"Tea","currency":"USD"}`, header: map[string]string{"Idempotency-Key": "p-1"}})
	}
	r1, b1 := post("")
	r2, b2 := post("")
	if r1.StatusCode != http.StatusUnprocessableEntity || r2.StatusCode != r1.StatusCode || string(b1) != string(b2) {
		t.Fatalf("first %d, replay %d", r1.StatusCode, r2.StatusCode)
	}
	problemOf(t, r2, b2)
	if r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("the replay is not marked")
	}
	// The same key and body with another content type is another request.
	r3, b3 := post("application/merge-patch+json")
	if r3.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b3), "different request") {
		t.Errorf("another Content-Type with the same key: %d %s", r3.StatusCode, b3)
	}
}

func TestAFailedCreateKeepsNothingButItsAnswer(t *testing.T) {
	ts := newTestServer(t)
	before := countRows(t, ts, `select count(*) from audit_logs`)
	res, body := ts.do(req{method: "POST", path: "/api/products", key: ts.keys[app.RoleOwner],
		body: `{"name":"Tea","price":1,"currency":"USD","sku":"A"}`, header: map[string]string{"Idempotency-Key": "a"}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	res, _ = ts.do(req{method: "POST", path: "/api/products", key: ts.keys[app.RoleOwner],
		body: `{"name":"Tea again","price":1,"currency":"USD","sku":"A"}`, header: map[string]string{"Idempotency-Key": "b"}})
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("taken SKU: %d", res.StatusCode)
	}
	if got := countRows(t, ts, `select count(*) from audit_logs`); got != before+1 {
		t.Errorf("audit rows grew by %d, want 1 (the failed create left a trace)", got-before)
	}
	if got := countRows(t, ts, `select count(*) from idempotency_keys`); got != 2 {
		t.Errorf("%d kept answers, want 2", got)
	}
}

func TestControlCharactersAreRefusedByValidationNamingTheField(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.keys[app.RoleOwner]
	for _, c := range []struct{ path, body, field string }{
		{"/api/products", `{"name":"Te\u0000a","price":1,"currency":"USD"}`, "name"},
		{"/api/products", `{"name":"Tea","sku":"A\u001bB","price":1,"currency":"USD"}`, "sku"},
		{"/api/products", `{"name":"Tea","category":"Drinks\n","price":1,"currency":"USD"}`, "category"},
		{"/api/users", `{"email":"nul@shop.test","name":"Ta\u0000riro","role":"viewer","password":"` + password + `"}`, "name"},
		{"/api/api-keys", `{"name":"sync\u0007","role":"viewer"}`, "name"},
	} {
		res, body := ts.do(req{method: "POST", path: c.path, key: owner, body: c.body})
		p := problemOf(t, res, body)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(p["errors"]), "field:"+c.field) {
			t.Errorf("%s %s: %d %s, want 422 naming %s", c.path, c.body, res.StatusCode, body, c.field)
		}
	}
	// Newlines and tabs are fine in long text.
	res, body := ts.do(req{method: "POST", path: "/api/products", key: owner, body: `{"name":"Tea","description":"Line one\nline\ttwo","price":1,"currency":"USD"}`})
	if res.StatusCode != http.StatusCreated {
		t.Errorf("a description with a newline: %d %s", res.StatusCode, body)
	}
}

func countRows(t *testing.T, ts *testServer, query string) int {
	t.Helper()
	var n int
	if err := ts.db.R.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestASlowCreateBodyDoesNotHoldUpOtherWrites(t *testing.T) {
	ts := newTestServer(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	slowKey := ts.addKey("slow", app.RoleOwner, ts.users[app.RoleOwner].ID)
	body := `{"name":"Slow tea","price":1,"currency":"USD"}`
	fmt.Fprintf(conn, "POST /api/products HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		slowKey, len(body), body[:10])
	// The slow request is past its guard once its fresh key shows as used
	// (the guard records that before the route runs). Only then does the
	// other create start, and it must go through while the body waits.
	for i := 0; countRows(t, ts, `select count(*) from api_keys where name = 'slow' and last_used_at is not null`) == 0; i++ {
		if i == 3000 {
			t.Fatal("the slow request never reached its route")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan int, 1)
	go func() {
		res, _ := ts.do(req{method: "POST", path: "/api/products", key: ts.keys[app.RoleOperator], body: `{"name":"Quick tea","price":1,"currency":"USD"}`})
		done <- res.StatusCode
	}()
	select {
	case status := <-done:
		if status != http.StatusCreated {
			t.Fatalf("the other create: %d", status)
		}
	case <-time.After(30 * time.Second): // a guard against a hang, not a timing assertion
		t.Fatal("another create waited for the slow client's body")
	}
	conn.Write([]byte(body[10:]))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("the slow create: %v %v", res, err)
	}
}

func TestTwoRequestsWithOneKeyAtOnceMakeOneChangeAndOneAnswer(t *testing.T) {
	ts := newTestServer(t)
	type result struct {
		status   int
		replayed bool
		body     string
	}
	results := make(chan result, 8)
	start := make(chan struct{})
	for range 8 {
		go func() {
			<-start
			res, body := ts.do(req{method: "POST", path: "/api/products", key: ts.keys[app.RoleOperator],
				body: `{"name":"Tea","price":1,"currency":"USD"}`, header: map[string]string{"Idempotency-Key": "same"}})
			results <- result{res.StatusCode, res.Header.Get("Idempotent-Replayed") == "true", string(body)}
		}()
	}
	close(start)
	var first string
	fresh := 0
	for range 8 {
		r := <-results
		if r.status != http.StatusCreated {
			t.Fatalf("a request with a key in use: %d %s (never a 409 to wait out)", r.status, r.body)
		}
		if !r.replayed {
			fresh++
		}
		if first == "" {
			first = r.body
		} else if r.body != first {
			t.Errorf("answers differ:\n%s\n%s", r.body, first)
		}
	}
	if fresh != 1 || countRows(t, ts, `select count(*) from products`) != 1 {
		t.Errorf("%d fresh answers, %d products; want 1 and 1", fresh, countRows(t, ts, `select count(*) from products`))
	}
}
