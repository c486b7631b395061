package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"smartbot/app"
)

func TestAnUnknownPageGetsTheBrandedNotFoundPageWithAWayBack(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	for _, c := range []struct {
		name         string
		method, path string
		cookie       string
		status       int
		contentType  string
		want         []string // parts of the body
		allow        []string // methods the Allow header must name
	}{
		{"signed out", "GET", "/no-such-page", "", 404, "text/html", []string{"Smartbot", "<title>Page not found · Smartbot</title>", `href="/login"`}, nil},
		{"signed in", "GET", "/no-such-page", viewer, 404, "text/html", []string{"Smartbot", "Page not found", `href="/"`, "Back to the dashboard", "viewer@shop.test"}, nil},
		{"deep and signed out", "GET", "/users/usr_x/edit/more", "", 404, "text/html", []string{"Page not found", `href="/login"`}, nil},
		{"a form posted nowhere", "POST", "/no-such-form", "", 404, "text/html", []string{"Page not found"}, nil},
		{"a HEAD", "HEAD", "/no-such-page", "", 404, "text/html", nil, nil},
		{"a known page under another method", "DELETE", "/users", viewer, 405, "", nil, []string{"GET", "POST"}},
		{"the API keeps its problem documents", "GET", "/api/no-such", "", 404, "application/problem+json", []string{`"status":404`}, nil},
		{"and its 405", "DELETE", "/api/me", "", 405, "application/problem+json", nil, []string{"GET"}},
		// Routes that exist answer as before.
		{"the dashboard signed out", "GET", "/", "", 303, "", nil, nil},
		{"the sign-in page", "GET", "/login", "", 200, "text/html", []string{"Sign in"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, body := ts.do(req{method: c.method, path: c.path, cookie: c.cookie})
			if res.StatusCode != c.status {
				t.Fatalf("%d, want %d\n%.300s", res.StatusCode, c.status, body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.contentType) {
				t.Errorf("content type %q, want %q", ct, c.contentType)
			}
			for _, w := range c.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("the page lacks %q\n%.1500s", w, body)
				}
			}
			for _, m := range c.allow {
				if !strings.Contains(strings.Join(res.Header.Values("Allow"), ", "), m) {
					t.Errorf("Allow %q does not name %s", res.Header.Values("Allow"), m)
				}
			}
			if res.StatusCode == http.StatusNotFound && strings.Contains(string(body), "404 page not found") {
				t.Errorf("Go's plain 404 text showed")
			}
		})
	}
}
