package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/auth"
	"smartbot/store"
)

// fill turns a route pattern into a concrete request path.
func fill(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	switch {
	case strings.Contains(path, "/users/"):
		path = strings.Replace(path, "{id}", app.NewID(app.PrefixUser), 1)
	case strings.Contains(path, "/api-keys/"), strings.Contains(path, "/keys/"):
		path = strings.Replace(path, "{id}", app.NewID(app.PrefixAPIKey), 1)
	case strings.Contains(path, "/orders/"):
		path = strings.Replace(path, "{id}", app.NewID(app.PrefixOrder), 1)
	case strings.Contains(path, "/deliveries/"):
		path = strings.Replace(path, "{id}", app.NewID(app.PrefixDelivery), 1)
	case strings.Contains(path, "/courier/"):
		path = strings.Replace(path, "{token}", strings.Repeat("A", 43), 1)
	case strings.Contains(path, "/products/"):
		path = strings.Replace(path, "{id}", app.NewID(app.PrefixProduct), 1)
	case strings.Contains(path, "/templates/"):
		path = strings.Replace(path, "{id}", app.NewID(app.PrefixTemplate), 1)
		path = strings.Replace(path, "{n}", "1", 1)
	case strings.Contains(path, "/media/"), strings.Contains(path, "/library/"):
		path = strings.Replace(path, "{id}", app.NewID(app.PrefixMedia), 1)
		path = strings.Replace(path, "{variant}", app.VariantThumb, 1)
	case strings.Contains(path, "/webhooks/"):
		path = strings.Replace(path, "{id}", app.NewID(app.PrefixWebhook), 1)
	case strings.Contains(path, "/events/"):
		path = strings.Replace(path, "{id}", app.NewID(app.PrefixEvent), 1)
	case strings.Contains(path, "dead"):
		path = strings.Replace(path, "{id}", "m_0123456789abcdef0123456789abcdef", 1)
	}
	path = strings.Replace(path, "{queue}", "order_processing", 1)
	if strings.HasPrefix(path, "/api/messages/") {
		path = strings.Replace(path, "{id}", app.NewID(app.PrefixMessage), 1)
	}
	path = strings.Replace(path, "{customer}", app.NewID(app.PrefixCustomer), 1)
	path = strings.Replace(path, "{phone}", "%2B15550100123", 1)
	path = strings.Replace(path, "{$}", "", 1)
	if strings.HasSuffix(path, "/static/") {
		path += "app.css"
	}
	return method, path
}

// requestFor builds a request for a route with the credentials given; the
// body is a harmless one of the right kind.
func requestFor(pattern string, panel bool) req {
	method, path := fill(pattern)
	r := req{method: method, path: path}
	if method == http.MethodPost || method == http.MethodPatch {
		if panel {
			r.body, r.contentType = "x=1", "application/x-www-form-urlencoded"
		} else {
			r.body = "{}"
		}
	}
	return r
}

// refused reports how the server refused a request, or "" if it let it through.
func refused(res *http.Response, panel bool) string {
	switch {
	case res.StatusCode == http.StatusUnauthorized:
		return "unauthenticated"
	case res.StatusCode == http.StatusForbidden:
		return "forbidden"
	case panel && res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login"):
		return "unauthenticated"
	}
	return ""
}

func TestEveryRouteAnswersEachKindOfCallerAsItsRoleRuleSays(t *testing.T) {
	ts := newTestServer(t)
	expired := ts.session(ts.users[app.RoleOwner], -time.Minute)
	revoked := ts.addKey("revoked", app.RoleOwner, ts.users[app.RoleOwner].ID)
	ctx := context.Background()
	k, err := ts.db.APIKeyByHash(ctx, auth.HashToken(revoked))
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.db.Write(ctx, func(tx *store.Tx) error { _, err := tx.RevokeAPIKey(ctx, k.ID); return err }); err != nil {
		t.Fatal(err)
	}

	routes := ts.server.Routes()
	if len(routes) < 40 {
		t.Fatalf("only %d routes: the table is not being walked", len(routes))
	}
	for _, rt := range routes {
		if rt.Need != "" && !rt.Need.Valid() {
			t.Errorf("%s declares no valid role (%q): every route needs a rule", rt.Pattern, rt.Need)
			continue
		}
		callers := []struct {
			name string
			set  func(*req)
			role app.Role // "" for no valid credentials
		}{
			{"no credentials", func(*req) {}, ""},
			{"an expired session", func(r *req) { r.cookie = expired }, ""},
			{"a revoked key", func(r *req) { r.key = revoked }, ""},
		}
		for _, role := range app.Roles {
			role := role
			callers = append(callers,
				struct {
					name string
					set  func(*req)
					role app.Role
				}{"a " + string(role) + " session", func(r *req) { r.cookie = ts.session(ts.users[role], time.Hour) }, role},
				struct {
					name string
					set  func(*req)
					role app.Role
				}{"a " + string(role) + " key", func(r *req) { r.key = ts.keys[role] }, role})
		}
		for _, c := range callers {
			r := requestFor(rt.Pattern, rt.Panel)
			c.set(&r)
			res, body := ts.do(r)
			got := refused(res, rt.Panel)
			var want string
			switch {
			case rt.Need == "":
				// Public: the handler may refuse what it is sent (a wrong
				// password, a used setup link), never the guard.
				got = ""
			case c.role == "":
				want = "unauthenticated"
			case !c.role.Allows(rt.Need):
				want = "forbidden"
			case rt.SessionOnly && r.key != "":
				want = "forbidden"
			}
			if got != want {
				t.Errorf("%s by %s: %d (%s), want %s\n%.300s", rt.Pattern, c.name, res.StatusCode, orAllowed(got), orAllowed(want), body)
			}
			if res.StatusCode >= 500 {
				t.Errorf("%s by %s: %d\n%.300s", rt.Pattern, c.name, res.StatusCode, body)
			}
			if !rt.Panel && (got == "unauthenticated" || got == "forbidden") {
				problemOf(t, res, body)
			}
		}
	}
}

func orAllowed(s string) string {
	if s == "" {
		return "allowed"
	}
	return s
}

func TestAViewerCannotChangeAnything(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	creds := map[string]func(*req){
		"key":     func(r *req) { r.key = ts.keys[app.RoleViewer] },
		"session": func(r *req) { r.cookie = viewer },
	}
	// Sign-in bookkeeping aside (a key's first use stamps its last-used
	// time), nothing a viewer sends may change data: use each credential
	// once, then take the digest every refused request is held to.
	for _, cred := range creds {
		r := req{method: "GET", path: "/api/me"}
		cred(&r)
		if res, body := ts.do(r); res.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/me: %d %.200s", res.StatusCode, body)
		}
	}
	before := digest(t, ts.db)
	tried := 0
	for _, rt := range ts.server.Routes() {
		method, _ := fill(rt.Pattern)
		if method == http.MethodGet || rt.Need == "" || rt.Need == app.RoleViewer {
			continue
		}
		tried++
		for name, cred := range creds {
			r := requestFor(rt.Pattern, rt.Panel)
			cred(&r)
			if res, body := ts.do(r); res.StatusCode != http.StatusForbidden {
				t.Errorf("viewer %s %s: %d, want 403\n%.200s", name, rt.Pattern, res.StatusCode, body)
			}
			if after := digest(t, ts.db); after != before {
				t.Fatalf("viewer %s %s was refused but changed the database", name, rt.Pattern)
			}
		}
	}
	if tried < 10 {
		t.Fatalf("only %d routes a viewer may not use: the table is not being walked", tried)
	}
}

func TestAnAPIKeyOfADeletedUserStopsWorking(t *testing.T) {
	ts := newTestServer(t)
	u := ts.addUser("temp@shop.test", app.RoleOperator)
	key := ts.addKey("temp-key", app.RoleOperator, u.ID)
	if res, body := ts.do(req{method: "GET", path: "/api/me", key: key}); res.StatusCode != 200 {
		t.Fatalf("before: %d %s", res.StatusCode, body)
	}
	res, body := ts.do(req{method: "DELETE", path: "/api/users/" + u.ID, key: ts.keys[app.RoleOwner]})
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete user: %d %s", res.StatusCode, body)
	}
	res, body = ts.do(req{method: "GET", path: "/api/me", key: key})
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the deleted user's key still works: %d %s", res.StatusCode, body)
	}
	problemOf(t, res, body)
}

// metric reads one unlabelled value from /metrics.
func metric(t *testing.T, ts *testServer, name string) float64 {
	t.Helper()
	_, body := ts.do(req{method: "GET", path: "/metrics", key: ts.keys[app.RoleViewer]})
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("metric %s not found", name)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func login(ts *testServer, email, pw, ip string) (*http.Response, []byte) {
	form := url.Values{"email": {email}, "password": {pw}}
	return ts.do(req{method: "POST", path: "/login", body: form.Encode(), contentType: "application/x-www-form-urlencoded",
		header: map[string]string{"X-Test-Client": ip}})
}

func TestTheEleventhWrongPasswordInAMinuteIsRefusedWithoutCheckingTheHash(t *testing.T) {
	ts := newTestServer(t)
	email := ts.users[app.RoleOwner].Email
	for i := 1; i <= 10; i++ {
		res, body := login(ts, email, "wrong password number "+strconv.Itoa(i), "")
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(strings.ToLower(string(body)), "wrong email or password") {
			t.Fatalf("attempt %d: %d, want 401 with a message\n%.300s", i, res.StatusCode, body)
		}
	}
	checks := metric(t, ts, "smartbot_login_password_checks_total")
	if checks != 10 {
		t.Fatalf("%v password checks after 10 attempts", checks)
	}
	// The 11th, even with the right password, is refused unchecked.
	res, body := login(ts, email, password, "")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt: %d, want 429 with Retry-After\n%.300s", res.StatusCode, body)
	}
	if got := metric(t, ts, "smartbot_login_password_checks_total"); got != checks {
		t.Fatalf("the refused attempt checked a hash (%v → %v)", checks, got)
	}
	if got := metric(t, ts, "smartbot_login_refused_total"); got != 1 {
		t.Fatalf("refused counter %v, want 1", got)
	}
	// Another account from the same address is not locked out by it.
	res, _ = login(ts, ts.users[app.RoleViewer].Email, password, "")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("another account's sign-in: %d, want 303", res.StatusCode)
	}
}

func TestSignInSetsAHardenedCookieAndSignOutEndsTheSession(t *testing.T) {
	ts := newTestServer(t)
	res, body := login(ts, ts.users[app.RoleOperator].Email, password, "")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("sign in: %d %s %.200s", res.StatusCode, res.Header.Get("Location"), body)
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "smartbot_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" {
		t.Fatalf("session cookie = %+v", cookie)
	}
	// The database keeps only the token's hash: a stolen copy holds no
	// usable session.
	var ids []string
	rows, err := ts.db.R.Query(`select id from sessions where user_id = ?`, ts.users[app.RoleOperator].ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if want := auth.HashToken(cookie.Value); len(ids) != 1 || ids[0] != want {
		t.Fatalf("stored session ids %q, want just %q, the hash of the cookie's token", ids, want)
	}
	if res, _ := ts.do(req{method: "GET", path: "/api/me", cookie: cookie.Value}); res.StatusCode != 200 {
		t.Fatalf("session does not work: %d", res.StatusCode)
	}
	ts.do(req{method: "POST", path: "/logout", cookie: cookie.Value})
	if res, _ := ts.do(req{method: "GET", path: "/api/me", cookie: cookie.Value}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("session still works after sign-out: %d", res.StatusCode)
	}
	// A redirect after sign-in stays on this site.
	form := url.Values{"email": {ts.users[app.RoleOperator].Email}, "password": {password}, "next": {"//evil.example/x"}}
	res, _ = ts.do(req{method: "POST", path: "/login", body: form.Encode(), contentType: "application/x-www-form-urlencoded"})
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Fatalf("next=//evil.example redirected to %q", loc)
	}
}

func TestSignOutEverywhereEndsEverySessionOfTheUser(t *testing.T) {
	ts := newTestServer(t)
	u := ts.users[app.RoleViewer]
	a, b := ts.session(u, time.Hour), ts.session(u, time.Hour)
	res, body := ts.do(req{method: "DELETE", path: "/api/me/sessions", cookie: a})
	if res.StatusCode != 200 || !strings.Contains(string(body), `"sessions_ended":2`) {
		t.Fatalf("sign out everywhere: %d %s", res.StatusCode, body)
	}
	for _, c := range []string{a, b} {
		if res, _ := ts.do(req{method: "GET", path: "/api/me", cookie: c}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a session survived: %d", res.StatusCode)
		}
	}
}

func TestTheFirstRunSetupLinkCreatesTheOwnerOnce(t *testing.T) {
	ts := newTestServerWithoutUsers(t)
	token := auth.NewToken(auth.SetupTokenPrefix)
	ctx := context.Background()
	if err := ts.db.Write(ctx, func(tx *store.Tx) error {
		return tx.CreateSetupToken(ctx, token, auth.HashToken(token), time.Now().Add(time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	if res, _ := ts.do(req{method: "GET", path: "/setup?token=" + token}); res.StatusCode != 200 {
		t.Fatalf("setup page: %d", res.StatusCode)
	}
	if res, _ := ts.do(req{method: "GET", path: "/setup?token=sbsetup_wrong"}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("setup page with a wrong token: %d", res.StatusCode)
	}
	post := func(pw2 string) *http.Response {
		form := url.Values{"token": {token}, "email": {"Owner@Shop.test"}, "name": {"Tariro"}, "password": {password}, "password_confirm": {pw2}}
		res, _ := ts.do(req{method: "POST", path: "/setup", body: form.Encode(), contentType: "application/x-www-form-urlencoded"})
		return res
	}
	if res := post("a different password"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("mismatched passwords: %d", res.StatusCode)
	}
	res := post(password)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: %d", res.StatusCode)
	}
	u, err := ts.db.UserByEmail(ctx, "owner@shop.test")
	if err != nil || u.Role != app.RoleOwner {
		t.Fatalf("owner = %+v, %v", u, err)
	}
	if res := post(password); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the link worked twice: %d", res.StatusCode)
	}
	if n, _ := ts.db.CountUsers(ctx); n != 1 {
		t.Fatalf("%d users after setup", n)
	}
}
