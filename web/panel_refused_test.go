package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"smartbot/app"
)

func TestARefusedPageSaysWhoIsSignedInAndWhichRoleItNeeds(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		role         app.Role
		method, path string
		need         string
	}{
		{app.RoleOperator, "GET", "/keys", "owner"},
		{app.RoleViewer, "GET", "/keys", "owner"},
		{app.RoleViewer, "POST", "/users", "owner"},
		{app.RoleViewer, "GET", "/queues/dead/m_0123456789abcdef0123456789abcdef/discard", "operator"},
	} {
		session := ts.session(ts.users[tc.role], time.Hour)
		r := req{method: tc.method, path: tc.path, cookie: session}
		if tc.method == "POST" {
			r.body, r.contentType = url.Values{"email": {"x@shop.test"}}.Encode(), "application/x-www-form-urlencoded"
		}
		res, body := ts.do(r)
		html := string(body)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s by %s: %d, want 403", tc.method, tc.path, tc.role, res.StatusCode)
			continue
		}
		for _, want := range []string{
			`id="refused-who">` + string(tc.role) + `@shop.test</strong>`,
			`id="refused-role">` + string(tc.role) + `</span>`,
			`id="refused-need">` + tc.need + `</span>`,
			`href="/" id="way-back">Back to the dashboard</a>`,
		} {
			if !strings.Contains(html, want) {
				t.Errorf("%s %s by %s: the refusal lacks %s", tc.method, tc.path, tc.role, want)
			}
		}
		if strings.Contains(html, `id="login-form"`) {
			t.Errorf("%s %s by %s: the refusal is the sign-in form", tc.method, tc.path, tc.role)
		}
	}
}

func TestAUsedSetupLinkOpenedBySomeoneSignedInGoesToTheDashboardWithANote(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	res, body := ts.do(req{method: "GET", path: "/setup?token=sbsetup_used", cookie: owner})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("GET /setup signed in: %d to %q, want 303 to /\n%.300s", res.StatusCode, res.Header.Get("Location"), body)
	}
	_, body = ts.do(req{method: "GET", path: "/", header: cookies(owner, flashCookie(t, res))})
	if !strings.Contains(string(body), `id="flash">Your shop is already set up.</div>`) {
		t.Errorf("the dashboard after a used setup link does not say the shop is set up:\n%s", body)
	}
	// Signed out, the link still says what is wrong, on the sign-in page.
	res, body = ts.do(req{method: "GET", path: "/setup?token=sbsetup_used"})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "This setup link is used, expired or no longer needed") {
		t.Errorf("GET /setup signed out: %d\n%.500s", res.StatusCode, body)
	}
}
