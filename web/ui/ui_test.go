package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"smartbot/static"
	"smartbot/web/ui"
)

// Sample data, realistic enough to judge the layout by: a long email, a very
// long error, and a hostile string in every free-text field that reaches the
// page.
const (
	longEmail = "margaretha.vandenberghe-oosterhuis.accounts@groothandel-de-zonnebloem.example"
	hostile   = `<script>alert("x")</script>`
	longError = "deliver webhook https://hooks.example.com/orders/very/long/path?token=abc: " +
		"Post \"https://hooks.example.com/orders\": dial tcp 203.0.113.7:443: i/o timeout " +
		"after 30s; upstream said 502 Bad Gateway <html><body>nginx</body></html> " +
		"(attempt 5 of 5, giving up and moving the job to dead letters)"
)

func layout(nav, role string) ui.Layout {
	return ui.Layout{
		Title: map[string]string{
			"dashboard": "Dashboard", "users": "Users", "keys": "API keys",
			"audit": "Audit log", "queues": "Queues",
		}[nav],
		Nav:  nav,
		User: ui.CurrentUser{Email: longEmail, Name: "Margaretha", Role: role},
	}
}

var queues = []ui.QueueRow{
	{Name: "message_sending", Label: "Outgoing messages", Depth: 12, Scheduled: 3, InFlight: 1, Dead: 2, Processed: 18234, Failed: 17},
	{Name: "webhook_delivery", Label: "Webhook deliveries", Depth: 0, Scheduled: 0, InFlight: 0, Dead: 1, Processed: 942, Failed: 4},
	{Name: "media_processing", Label: "Pictures and files", Depth: 1, Scheduled: 0, InFlight: 1, Dead: 0, Processed: 310, Failed: 0},
}

func dashboard(role string) ui.DashboardPage {
	return ui.DashboardPage{
		Layout: layout("dashboard", role),
		Counters: []ui.Counter{
			{ID: "messages-today", Label: "Messages today", Value: "1,284"},
			{ID: "orders-open", Label: "Open orders", Value: "37"},
			{ID: "conversations", Label: "Live conversations", Value: "9"},
			{ID: "events-today", Label: "Events today", Value: "4,102"},
		},
		Queues: queues,
		Events: []ui.EventRow{
			{ID: "e3", Type: "order.status", Time: "2025-11-25 14:02:11", Summary: "SB-000123 · pending → confirmed"},
			{ID: "e2", Type: "message.in", Time: "2025-11-25 14:01:57", Summary: "+31 6 1234 5678: Do you still have the blue tulips in size L? " + hostile},
			{ID: "e1", Type: "webhook.failed", Time: "2025-11-25 13:59:02", Summary: "hooks.example.com/orders · 502 Bad Gateway"},
		},
	}
}

func users(role string) ui.UsersPage {
	return ui.UsersPage{
		Layout: layout("users", role),
		Users: []ui.UserRow{
			{ID: "1", Email: longEmail, Name: "Margaretha", Role: "owner", CreatedAt: "2025-10-01 09:12", LastLoginAt: "2025-11-25 13:40", IsSelf: true},
			{ID: "2", Email: "sam@shop.test", Name: "Sam " + hostile, Role: "operator", CreatedAt: "2025-10-03 17:45", LastLoginAt: "2025-11-24 08:02"},
			{ID: "3", Email: "accountant@shop.test", Name: "", Role: "viewer", CreatedAt: "2025-11-20 11:00"},
		},
	}
}

func keys(role, newKey string) ui.KeysPage {
	return ui.KeysPage{
		Layout: layout("keys", role),
		NewKey: newKey,
		Keys: []ui.KeyRow{
			{ID: "k1", Name: "shop-sync", Prefix: "sb_live_ab12", Role: "operator", Owner: longEmail, CreatedAt: "2025-10-02", ExpiresAt: "", LastUsedAt: "2025-11-25 14:00", Status: "active"},
			{ID: "k2", Name: "old-importer " + hostile, Prefix: "sb_live_9f3c", Role: "viewer", Owner: "CLI", CreatedAt: "2025-06-11", ExpiresAt: "2025-09-11", LastUsedAt: "", Status: "expired"},
			{ID: "k3", Name: "leaked-laptop", Prefix: "sb_live_77d0", Role: "owner", Owner: "sam@shop.test", CreatedAt: "2025-08-30", ExpiresAt: "2026-08-30", LastUsedAt: "2025-09-01 10:10", Status: "revoked"},
		},
	}
}

func audit(role string) ui.AuditPage {
	return ui.AuditPage{
		Layout:  layout("audit", role),
		Filter:  ui.AuditFilter{Entity: "order", Since: "2025-11-01"},
		Actions: []ui.AuditAction{{Name: "order.update", Words: "Order changed"}, {Name: "user.create", Words: "User added"}, {Name: "user.role", Words: "Role changed"}},
		Rows: []ui.AuditRow{
			{ID: "a3", Time: "2025-11-25 14:02", Actor: "user " + longEmail, Action: "order.update", Words: "Order changed", Subject: "SB-000123 " + hostile, Entity: "order", EntityID: "SB-000123", RequestID: "req_01JDZ3K8Q4Y6",
				Diff: []ui.DiffLine{{Field: "status", Before: "pending", After: "confirmed"}, {Field: "note", Before: "", After: "Customer asked for gift wrap " + hostile}}},
			{ID: "a2", Time: "2025-11-25 13:10", Actor: "API key shop-sync", Action: "product.update", Words: "Product changed", Subject: "Blue tulips", Entity: "product", EntityID: "p-88", RequestID: "req_01JDZ0AA11",
				Diff: []ui.DiffLine{{Field: "price", Before: "12.50", After: "13.95"}}},
			{ID: "a1", Time: "2025-11-24 22:00", Actor: "system", Action: "session.expire", Words: "session.expire", Entity: "session", EntityID: ""},
		},
		NextURL: "/audit?entity=order&before=a1",
	}
}

func queuesPage(role string) ui.QueuesPage {
	return ui.QueuesPage{
		Layout: layout("queues", role),
		Queues: queues,
		Dead: []ui.DeadRow{
			{ID: "101", Queue: "webhooks", Attempts: 5, Error: longError, FailedAt: "2025-11-25 13:58", Body: `{"event":"order.confirmed","order":"SB-000123","total":"41.90"}`},
			{ID: "102", Queue: "outbound", Attempts: 1, Error: "whatsapp: recipient not on WhatsApp " + hostile, FailedAt: "2025-11-25 12:01", Body: `{"to":"+31612345678","template":"order_ready"}…`},
		},
	}
}

// pages is every page once, as an owner sees it, named for the snapshot files.
func pages() []struct {
	name string
	c    templ.Component
} {
	return []struct {
		name string
		c    templ.Component
	}{
		{"login", ui.Login(ui.LoginPage{Email: longEmail, Error: "Wrong email or password.", Next: "/queues"})},
		{"setup", ui.Setup(ui.SetupPage{Token: "setup-token-123", Email: "owner@shop.test"})},
		{"dashboard", ui.Dashboard(dashboard("owner"))},
		{"dashboard-empty", ui.Dashboard(ui.DashboardPage{Layout: layout("dashboard", "viewer")})},
		{"users", ui.Users(users("owner"))},
		{"users-viewer", ui.Users(users("viewer"))},
		{"keys", ui.Keys(keys("owner", "sb_live_ab12Xq9vL0pW3rT7yU2iO5aS8dF1gH4jK6"))},
		{"audit", ui.Audit(audit("operator"))},
		{"queues", ui.Queues(queuesPage("operator"))},
		{"queues-empty", ui.Queues(ui.QueuesPage{Layout: layout("queues", "viewer")})},
	}
}

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	return buf.String()
}

func TestEveryPageRendersEscapedHTML(t *testing.T) {
	for _, p := range pages() {
		t.Run(p.name, func(t *testing.T) {
			html := render(t, p.c)
			if !strings.HasPrefix(html, "<!doctype html>") && !strings.HasPrefix(html, "<!DOCTYPE html>") {
				t.Errorf("page does not start with a doctype: %.40q", html)
			}
			// The only scripts are the ones the layout links to.
			if n := strings.Count(html, "<script"); n != 2 {
				t.Errorf("%d <script tags, want only the Datastar module and panel.js", n)
			}
			if strings.Contains(html, `alert("x")`) {
				t.Error("unescaped data in the page")
			}
			for _, want := range []string{
				`<meta name="viewport" content="width=device-width, initial-scale=1">`,
				`href="` + static.URL("app.css") + `"`,
				`<script type="module" src="` + static.URL("datastar.js") + `"></script>`,
			} {
				if !strings.Contains(html, want) {
					t.Errorf("missing %s", want)
				}
			}
			if !regexp.MustCompile(`<title>[^<]+ · Smartbot</title>`).MatchString(html) {
				t.Error("title is not \"<page> · Smartbot\"")
			}
		})
	}
}

func TestSignedInPagesShareTheLayout(t *testing.T) {
	html := render(t, ui.Users(users("owner")))
	for _, want := range []string{
		`<a href="/users" aria-current="page">Users</a>`,
		`<a href="/">Dashboard</a>`,
		`<a href="/keys">API keys</a>`,
		`<a href="/audit">Audit log</a>`,
		`<a href="/queues">Queues</a>`,
		longEmail,
		`<form method="post" action="/logout">`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %s", want)
		}
	}
	if n := strings.Count(html, `aria-current="page"`); n != 1 {
		t.Errorf("%d nav items marked current, want 1", n)
	}

	l := layout("users", "owner")
	l.Flash, l.Error = "User added.", "Could not remove: <b>last owner</b>"
	html = render(t, ui.Users(ui.UsersPage{Layout: l}))
	for _, want := range []string{
		`id="flash">User added.</div>`,
		`id="error">Could not remove: &lt;b&gt;last owner&lt;/b&gt;</div>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %s", want)
		}
	}
}

func TestLoginAndSetupPostTheirFields(t *testing.T) {
	login := render(t, ui.Login(ui.LoginPage{Email: "a@shop.test", Error: "Wrong email or password.", Next: "/keys?x=1&y=2"}))
	setup := render(t, ui.Setup(ui.SetupPage{Token: "tok", Error: "Passwords differ."}))
	for _, tc := range []struct {
		page, html string
		want       []string
	}{
		{"login", login, []string{
			`action="/login"`, `name="email"`, `value="a@shop.test"`, `autocomplete="username"`,
			`name="password"`, `autocomplete="current-password"`,
			`<input type="hidden" name="next" value="/keys?x=1&amp;y=2">`,
			`role="alert"`, "Wrong email or password.",
		}},
		{"setup", setup, []string{
			`action="/setup"`, `<input type="hidden" name="token" value="tok">`,
			`name="email"`, `name="name"`, `name="password"`, `name="password_confirm"`,
			`autocomplete="new-password"`, "shop owner's account", "Passwords differ.",
		}},
	} {
		for _, want := range tc.want {
			if !strings.Contains(tc.html, want) {
				t.Errorf("%s: missing %s", tc.page, want)
			}
		}
		if strings.Contains(tc.html, `class="nav"`) {
			t.Errorf("%s: has the navigation of signed-in pages", tc.page)
		}
	}
}

func TestDashboardOpensItsStreamAndHasPatchTargets(t *testing.T) {
	html := render(t, ui.Dashboard(dashboard("viewer")))
	for _, want := range []string{
		`data-live-stream data-init="@get(&#39;/dashboard/stream&#39;, {retry: &#39;always&#39;, retryMaxCount: 1000000})"`, `id="live-status" data-state="off"`,
		`id="counters"`, `id="counter-messages-today"`, `id="counter-events-today"`,
		`id="queues"`, `id="events"`, `id="event-e3"`,
		"SB-000123 · pending → confirmed",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %s", want)
		}
	}
	// The handler orders events newest first; the feed keeps that order.
	if strings.Index(html, `id="event-e3"`) > strings.Index(html, `id="event-e1"`) {
		t.Error("events are not in the order given")
	}

	empty := render(t, ui.Dashboard(ui.DashboardPage{Layout: layout("dashboard", "viewer")}))
	for _, want := range []string{`id="counters"`, `id="queues"`, `id="events"`, "Nothing has happened yet."} {
		if !strings.Contains(empty, want) {
			t.Errorf("empty dashboard: missing %s", want)
		}
	}
}

func TestFragmentsRenderTheirOuterElementWithAStableID(t *testing.T) {
	for _, tc := range []struct {
		id string
		c  templ.Component
	}{
		{"counters", ui.Counters(nil)},
		{"queues", ui.QueuesTable(nil)},
		{"queues", ui.QueuesTable(queues)},
		{"events", ui.EventFeed(nil)},
		{"events", ui.EventFeed(dashboard("owner").Events)},
		{"dead-letters", ui.DeadLetters(nil, true)},
		{"dead-letters", ui.DeadLetters(queuesPage("owner").Dead, true)},
	} {
		html := render(t, tc.c)
		if !regexp.MustCompile(`^<div id="` + tc.id + `"[^>]*>`).MatchString(html) {
			t.Errorf("fragment does not open with its #%s element: %.60q", tc.id, html)
		}
	}
}

func TestUsersPageShowsAdminFormsOnlyToOwners(t *testing.T) {
	adminOnly := []string{
		`action="/users"`, `name="password"`,
		`action="/users/2/role"`, `id="save-role-2"`,
		`href="/users/2/delete" id="remove-2"`,
		`<option value="operator" selected>`,
	}
	owner := render(t, ui.Users(users("owner")))
	for _, want := range adminOnly {
		if !strings.Contains(owner, want) {
			t.Errorf("owner: missing %s", want)
		}
	}
	// Nobody removes or demotes themselves from the list.
	for _, unwanted := range []string{`/users/1/delete"`, `action="/users/1/role"`} {
		if strings.Contains(owner, unwanted) {
			t.Errorf("owner: has %s for their own row", unwanted)
		}
	}
	for _, role := range []string{"operator", "viewer"} {
		html := render(t, ui.Users(users(role)))
		for _, unwanted := range adminOnly {
			if strings.Contains(html, unwanted) {
				t.Errorf("%s: has %s", role, unwanted)
			}
		}
		for _, want := range []string{`action="/account/sessions/revoke"`, `id="user-3"`, ">you</span>", "accountant@shop.test", "never"} {
			if !strings.Contains(html, want) {
				t.Errorf("%s: missing %s", role, want)
			}
		}
	}
}

func TestKeysPageShowsTheNewKeyOnlyWhenSet(t *testing.T) {
	const key = "sb_live_ab12Xq9vL0pW3rT7yU2iO5aS8dF1gH4jK6"
	with := render(t, ui.Keys(keys("owner", key)))
	for _, want := range []string{`id="new-key"`, `readonly`, `>` + key + `</textarea>`, "Copy this key now: it will not be shown again."} {
		if !strings.Contains(with, want) {
			t.Errorf("missing %s", want)
		}
	}
	without := render(t, ui.Keys(keys("owner", "")))
	if strings.Contains(without, `id="new-key"`) || strings.Contains(without, "will not be shown again") {
		t.Error("new key box shown without a new key")
	}

	// Owners revoke active keys only, and make keys.
	for _, want := range []string{`href="/keys/k1/revoke" id="revoke-k1"`, `action="/keys"`, `name="expires_in_days"`, `<code>sb_live_ab12…</code>`} {
		if !strings.Contains(without, want) {
			t.Errorf("owner: missing %s", want)
		}
	}
	for _, unwanted := range []string{`/keys/k2/revoke`, `/keys/k3/revoke`} {
		if strings.Contains(without, unwanted) {
			t.Errorf("owner: revoke offered for an inactive key: %s", unwanted)
		}
	}
	operator := render(t, ui.Keys(keys("operator", "")))
	for _, unwanted := range []string{`/revoke"`, `action="/keys"`} {
		if strings.Contains(operator, unwanted) {
			t.Errorf("operator: has %s", unwanted)
		}
	}
}

func TestAuditPageFiltersAndPages(t *testing.T) {
	html := render(t, ui.Audit(audit("viewer")))
	for _, want := range []string{
		`<form method="get" action="/audit"`,
		`name="entity" type="text" value="order"`, `name="entity_id"`, `name="actor"`,
		`name="action" type="text" value="" list="audit-actions"`, `<option value="user.role">`,
		`name="since" type="date" value="2025-11-01"`, `name="until" type="date"`,
		`href="/audit">Clear</a>`,
		`id="audit-a3"`, "req_01JDZ3K8Q4Y6", "<details>", "2 changes", "1 change",
		`href="/audit?entity=order&amp;before=a1"`, "Older entries",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %s", want)
		}
	}
	empty := render(t, ui.Audit(ui.AuditPage{Layout: layout("audit", "viewer")}))
	if !strings.Contains(empty, "No audit entries yet.") || strings.Contains(empty, "Older entries") {
		t.Error("empty audit page has no empty state, or a link to older entries")
	}
}

func TestQueuesPageOffersRetryAndDiscardToOperators(t *testing.T) {
	html := render(t, ui.Queues(queuesPage("operator")))
	for _, want := range []string{
		`data-live-stream data-init="@get(&#39;/queues/stream&#39;, {retry: &#39;always&#39;, retryMaxCount: 1000000})"`,
		`id="queues"`, `id="dead-letters"`, `id="dead-101"`, `id="dead-102"`,
		`<form method="post" action="/queues/dead/101/retry" data-on:submit="@post(&#39;/queues/dead/101/retry&#39;)">`, `id="retry-101"`,
		`href="/queues/dead/101/discard" id="discard-101"`,
		"5 attempts", "1 attempt",
		"&lt;html&gt;&lt;body&gt;nginx",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %s", want)
		}
	}
	viewer := render(t, ui.Queues(queuesPage("viewer")))
	if strings.Contains(viewer, "@post(") || strings.Contains(viewer, `id="retry-101"`) {
		t.Error("viewer gets retry or discard buttons")
	}
	empty := render(t, ui.Queues(ui.QueuesPage{Layout: layout("queues", "owner")}))
	if !strings.Contains(empty, "No failed jobs.") {
		t.Error("no empty state for failed jobs")
	}
}

func TestIDsCannotBreakOutOfURLsOrExpressions(t *testing.T) {
	html := render(t, ui.DeadLetters([]ui.DeadRow{{ID: `x'/../../y");alert(1)//`, Queue: "q"}}, true))
	exprs := regexp.MustCompile(`data-on:submit="([^"]*)"`).FindAllStringSubmatch(html, -1)
	if len(exprs) != 1 {
		t.Fatalf("%d Datastar submit expressions, want 1:\n%s", len(exprs), html)
	}
	// The id is one path segment, and nothing in it can end the JS string.
	safe := regexp.MustCompile(`^@post\(&#39;/queues/dead/[A-Za-z0-9%._~-]+/(retry|discard)&#39;\)$`)
	for _, e := range exprs {
		if !safe.MatchString(e[1]) {
			t.Errorf("unsafe expression %s", e[1])
		}
	}
	if !strings.Contains(html, `/queues/dead/x%27%2F..%2F..%2Fy%22%29%3Balert%281%29%2F%2F/retry`) || !strings.Contains(html, `href="/queues/dead/x%27%2F..%2F..%2Fy%22%29%3Balert%281%29%2F%2F/discard"`) {
		t.Errorf("id not escaped as one path segment:\n%s", html)
	}
}

// TestEveryPageSnapshotsToAStandaloneFileWhoseAssetsResolve writes every
// page, as phone and desktop screenshots would see it, with the static
// files beside them at the paths the pages link to, and checks that every
// asset a page links to is there. The files go to a temporary directory, or
// to $UI_SNAPSHOT_DIR to keep them; open them in a browser, or screenshot them:
//
//	UI_SNAPSHOT_DIR=/tmp/ui-snap go test ./web/ui -run Snapshot
//	chromium --headless --screenshot=users.png --window-size=390,844 file:///tmp/ui-snap/users.html
func TestEveryPageSnapshotsToAStandaloneFileWhoseAssetsResolve(t *testing.T) {
	dir := os.Getenv("UI_SNAPSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, name := range []string{"app.css", "datastar.js", "favicon.svg", "panel.js"} {
		url := static.URL(name)
		body, err := fetchStatic(url)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(url, "/")))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range pages() {
		// Root-relative links would point at the file system's root from a
		// file:// page; make the static ones relative to the snapshot dir.
		html := strings.ReplaceAll(render(t, p.c), `"/static/`, `"static/`)
		if err := os.WriteFile(filepath.Join(dir, p.name+".html"), []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
		links := assetLink.FindAllStringSubmatch(html, -1)
		if len(links) == 0 {
			t.Errorf("%s links to no static file: it would show unstyled", p.name)
		}
		for _, m := range links {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(m[1]))); err != nil {
				t.Errorf("%s links to %s, which the snapshot lacks", p.name, m[1])
			}
		}
		if strings.Contains(html, "<details>") {
			// The same page with every <details> unfolded.
			open := strings.ReplaceAll(html, "<details>", "<details open>")
			if err := os.WriteFile(filepath.Join(dir, p.name+"-open.html"), []byte(open), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("wrote %d pages to %s", len(pages()), dir)
}

// assetLink finds the static files a snapshot page loads.
var assetLink = regexp.MustCompile(`(?:href|src)="(static/[^"?#]+)`)

// fetchStatic gets an asset through static.Handler, as the browser would.
func fetchStatic(url string) ([]byte, error) {
	rec := httptest.NewRecorder()
	static.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d", url, rec.Code)
	}
	return rec.Body.Bytes(), nil
}
