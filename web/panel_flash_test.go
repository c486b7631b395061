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
)

// cookies joins a session token and any other cookies into one Cookie header.
func cookies(session string, more ...*http.Cookie) map[string]string {
	parts := []string{"smartbot_session=" + session}
	for _, c := range more {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return map[string]string{"Cookie": strings.Join(parts, "; ")}
}

func flashCookie(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == "smartbot_flash" && c.Value != "" {
			return c
		}
	}
	t.Fatalf("%s %s set no flash cookie", res.Request.Method, res.Request.URL.Path)
	return nil
}

var shownKey = regexp.MustCompile(`<textarea id="new-key-value"[^>]*>(sb_[^<]+)</textarea>`)

func postForm(ts *testServer, path, session string, form url.Values) (*http.Response, []byte) {
	return ts.do(req{method: "POST", path: path, body: form.Encode(), contentType: "application/x-www-form-urlencoded", cookie: session})
}

func TestANewAPIKeyComesThroughTheRedirectAndIsShownOnce(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	before, err := ts.db.APIKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	res, body := postForm(ts, "/keys", owner, url.Values{"name": {"phone-app"}, "role": {"viewer"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/keys" {
		t.Fatalf("POST /keys: %d to %q, want 303 to /keys\n%.300s", res.StatusCode, res.Header.Get("Location"), body)
	}
	if strings.Contains(string(body), "sb_") || strings.Contains(res.Header.Get("Location"), "sb_") {
		t.Fatal("the POST's answer carries the key; it must come only on the page after the redirect")
	}
	fc := flashCookie(t, res)
	if !fc.HttpOnly || strings.Contains(fc.Value, "sb_") {
		t.Errorf("flash cookie %+v: want HttpOnly, holding an id and not the key", fc)
	}

	res, body = ts.do(req{method: "GET", path: "/keys", header: cookies(owner, fc)})
	m := shownKey.FindSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET /keys after the redirect: %d, no new key shown\n%s", res.StatusCode, body)
	}
	if !strings.Contains(string(body), "API key phone-app created.") {
		t.Error("no notice naming the new key")
	}
	if res, body := ts.do(req{method: "GET", path: "/api/me", key: string(m[1])}); res.StatusCode != http.StatusOK {
		t.Errorf("the key shown does not work: %d %s", res.StatusCode, body)
	}

	// Reloading the page (the same cookie sent again) shows the key no more.
	res, body = ts.do(req{method: "GET", path: "/keys", header: cookies(owner, fc)})
	if res.StatusCode != http.StatusOK || shownKey.Match(body) || strings.Contains(string(body), string(m[1])) {
		t.Fatalf("the second GET /keys showed the key again (%d)", res.StatusCode)
	}
	after, err := ts.db.APIKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+1 {
		t.Errorf("%d keys before and %d after one POST and two GETs, want one more", len(before), len(after))
	}
}

func TestAFlashIsShownOnlyToItsUserAndOnlyOnItsPage(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	other := ts.session(ts.addUser("second-owner@shop.test", app.RoleOwner), time.Hour)

	res, _ := postForm(ts, "/keys", owner, url.Values{"name": {"till"}, "role": {"viewer"}})
	fc := flashCookie(t, res)

	// Someone else holding the cookie sees nothing, and does not use it up.
	if _, body := ts.do(req{method: "GET", path: "/keys", header: cookies(other, fc)}); shownKey.Match(body) {
		t.Fatal("another owner with the flash cookie was shown the key")
	}
	// Another page leaves it waiting for its own.
	if _, body := ts.do(req{method: "GET", path: "/users", header: cookies(owner, fc)}); strings.Contains(string(body), "created.") {
		t.Error("the users page took the keys page's flash")
	}
	if _, body := ts.do(req{method: "GET", path: "/keys", header: cookies(owner, fc)}); !shownKey.Match(body) {
		t.Fatal("the owner did not see their key after the other requests")
	}
}

func TestEveryPanelFormRedirectsAfterSuccess(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	victim := ts.addUser("ann@shop.example", app.RoleViewer)
	keys, err := ts.db.APIKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		form   url.Values
		to     string
		notice string
	}{
		{"/users", url.Values{"email": {"bob@shop.example"}, "role": {"viewer"}, "password": {"a long enough password"}}, "/users", "Added bob@shop.example."},
		{"/users/" + victim.ID + "/role", url.Values{"role": {"operator"}}, "/users", "ann@shop.example is now operator."},
		{"/users/" + victim.ID + "/delete", nil, "/users", "Removed ann@shop.example."},
		{"/keys/" + keys[0].ID + "/revoke", nil, "/keys", "API key revoked."},
		{"/account/sessions/revoke", nil, "/users", "You are signed out on every other device."},
	} {
		res, body := postForm(ts, tc.path, owner, tc.form)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.to {
			t.Errorf("POST %s: %d to %q, want 303 to %s\n%.300s", tc.path, res.StatusCode, res.Header.Get("Location"), tc.to, body)
			continue
		}
		fc := flashCookie(t, res)
		if _, body := ts.do(req{method: "GET", path: tc.to, header: cookies(owner, fc)}); !strings.Contains(string(body), tc.notice) {
			t.Errorf("after POST %s, GET %s does not say %q", tc.path, tc.to, tc.notice)
		}
		if _, body := ts.do(req{method: "GET", path: tc.to, header: cookies(owner, fc)}); strings.Contains(string(body), tc.notice) {
			t.Errorf("after POST %s, a second GET %s says %q again", tc.path, tc.to, tc.notice)
		}
	}
}
