package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/whatsapp/simulator"
	"smartbot/web"
)

// fakeWhatsApp stands in for the whatsmeow transport where the simulator
// cannot: pairing. It reports what a real session would, through the
// messaging service's handler.
type fakeWhatsApp struct {
	mu      sync.Mutex
	handle  app.InboundHandler
	state   app.TransportStatus
	loggedN int
}

func (f *fakeWhatsApp) report(ctx context.Context, c app.ConnectionChange) error {
	f.mu.Lock()
	f.state.State, f.state.QR, f.state.Phone = c.State, c.QR, c.Phone
	h := f.handle
	f.mu.Unlock()
	return h(ctx, &c)
}

func (f *fakeWhatsApp) Start(ctx context.Context, h app.InboundHandler) error {
	f.mu.Lock()
	f.handle = h
	f.mu.Unlock()
	return f.report(ctx, app.ConnectionChange{State: app.ConnPairing})
}
func (f *fakeWhatsApp) Stop() {}
func (f *fakeWhatsApp) Status() app.TransportStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}
func (f *fakeWhatsApp) PairQR(ctx context.Context) error {
	return f.report(ctx, app.ConnectionChange{State: app.ConnPairing, QR: "2@first-code"})
}
func (f *fakeWhatsApp) PairPhone(context.Context, string) (string, error) { return "ABCD-EFGH", nil }
func (f *fakeWhatsApp) Logout(ctx context.Context) error {
	f.mu.Lock()
	f.loggedN++
	f.mu.Unlock()
	return f.report(ctx, app.ConnectionChange{State: app.ConnLoggedOut, Reason: "logged out from the panel"})
}
func (f *fakeWhatsApp) Send(context.Context, app.Outgoing) (app.SendResult, error) {
	return app.SendResult{}, app.ErrNotConnected
}
func (f *fakeWhatsApp) Typing(context.Context, string, bool) error               { return nil }
func (f *fakeWhatsApp) MarkRead(context.Context, string, string, []string) error { return nil }
func (f *fakeWhatsApp) Download(context.Context, *app.InboundMedia) (io.ReadCloser, error) {
	return nil, app.ErrNotConnected
}

func TestTheDashboardCardPairsWithALiveQRCodeAndLogsOut(t *testing.T) {
	defer web.SetMessagesRefresh(time.Hour)() // each QR code comes as a change
	ts := newTestServer(t)
	wa := &fakeWhatsApp{state: app.TransportStatus{Transport: app.TransportWhatsApp, State: app.ConnDisconnected}}
	if err := ts.messaging.Use(context.Background(), wa); err != nil {
		t.Fatal(err)
	}
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)

	dash := inboxGet(t, ts, "/", owner)
	for _, want := range []string{`id="connection-card"`, `data-init="@get(&#39;/whatsapp/stream&#39;`, ">Not paired</span>", `id="pair-qr-form"`, `id="pair-phone-form"`} {
		if !strings.Contains(dash, want) {
			t.Errorf("the owner's dashboard lacks %s", want)
		}
	}
	if strings.Contains(inboxGet(t, ts, "/", operator), `id="pair-qr-form"`) {
		t.Error("an operator is offered pairing")
	}

	lines := openStream(t, ts.url+"/whatsapp/stream", owner)
	waitLine(t, lines, `id="connection"`)
	res, body := postForm(ts, "/whatsapp/pair/qr", owner, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("POST /whatsapp/pair/qr: %d\n%.300s", res.StatusCode, body)
	}
	// The code is drawn on the server, inline; each new one replaces it.
	waitLine(t, lines, `aria-label="WhatsApp pairing QR code"`)
	if err := wa.report(context.Background(), app.ConnectionChange{State: app.ConnPairing, QR: "2@second-code"}); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lines, `aria-label="WhatsApp pairing QR code"`)

	// A phone-number code is shown once, large.
	res, _ = postForm(ts, "/whatsapp/pair/phone", owner, url.Values{"phone": {"+263771234567"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /whatsapp/pair/phone: %d", res.StatusCode)
	}
	fc := flashCookie(t, res)
	_, shown := ts.do(req{method: "GET", path: "/", header: cookies(owner, fc)})
	if !strings.Contains(string(shown), `id="pair-code">ABCD-EFGH</p>`) {
		t.Errorf("the dashboard does not show the pairing code:\n%.2000s", shown)
	}
	if _, again := ts.do(req{method: "GET", path: "/", header: cookies(owner, fc)}); strings.Contains(string(again), "ABCD-EFGH") {
		t.Error("the pairing code shows again on a reload")
	}

	// Paired: the number and Log out, behind a confirmation.
	if err := wa.report(context.Background(), app.ConnectionChange{State: app.ConnConnected, Phone: "+263771234567"}); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lines, `id="connection-phone">+263771234567</span>`)
	if confirm := inboxGet(t, ts, "/whatsapp/logout", owner); !strings.Contains(confirm, `id="confirm-form"`) {
		t.Fatalf("no confirmation page before logging out:\n%.1000s", confirm)
	}
	res, _ = postForm(ts, "/whatsapp/logout", owner, nil)
	if res.StatusCode != http.StatusSeeOther || wa.loggedN != 1 {
		t.Fatalf("POST /whatsapp/logout: %d, %d logouts", res.StatusCode, wa.loggedN)
	}
	waitLine(t, lines, ">Logged out</span>")
	// Pairing twice and logging out are changes the audit log holds, with who.
	if n := countAudit(t, ts, "whatsapp.pair"); n != 2 {
		t.Errorf("%d whatsapp.pair audit rows, want 2 (QR and phone code)", n)
	}
	if n := countAudit(t, ts, "whatsapp.logout"); n != 1 {
		t.Errorf("%d whatsapp.logout audit rows, want 1", n)
	}
}

func countAudit(t *testing.T, ts *testServer, action string) int {
	t.Helper()
	var n int
	if err := ts.db.R.QueryRow(`select count(*) from audit_logs where action = ? and actor_id <> ''`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTheDashboardCardSaysTheSimulatorIsNoRealNumber(t *testing.T) {
	// No refresh while the test runs: the connection's changes alone must
	// keep the card current.
	defer web.SetMessagesRefresh(time.Hour)()
	ts := newTestServer(t)
	ts.connect()
	owner := ts.session(ts.users[app.RoleOwner], time.Hour)
	lines := openStream(t, ts.url+"/whatsapp/stream", owner)
	waitLine(t, lines, `Simulator</strong> — no real WhatsApp number is connected`)
	if strings.Contains(inboxGet(t, ts, "/", owner), `id="pair-qr-form"`) {
		t.Error("the simulator's card offers pairing")
	}
	// A disconnect shows live.
	if err := ts.sim.Fault(simulator.Fault{Kind: simulator.FaultDisconnect, For: time.Hour}); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lines, `id="connection-state">Disconnected</span>`)
}

func TestSendATestDeliversTheSavedTemplateToATestCustomer(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	tpl := `{"name": "welcome", "kind": "text", "category": "utility", "language": "en",
		"body": "Hi {{customer_name}}, welcome to the shop!",
		"variables": [{"name": "customer_name", "type": "text", "required": true, "example": "Tariro"}], "delivery_style": "text"}`
	res, body := ts.do(req{method: "POST", path: "/api/templates", key: ts.keys[app.RoleOperator], body: tpl})
	var created struct{ ID string }
	if err := json.Unmarshal(body, &created); res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("POST /api/templates: %d %s", res.StatusCode, body)
	}
	editor := inboxGet(t, ts, "/templates/"+created.ID, operator)
	if !strings.Contains(editor, `id="tpl-send-test-none"`) {
		t.Errorf("with no test customer the editor does not say to make one")
	}
	id := inboxTestCustomer(t, ts, operator, "+15550100123", "Tendai")
	editor = inboxGet(t, ts, "/templates/"+created.ID, operator)
	if !strings.Contains(editor, `<option value="+15550100123">Tendai (+15550100123)</option>`) {
		t.Fatalf("the editor does not offer the test customer:\n%.500s", editor)
	}

	res, body = postForm(ts, "/templates/"+created.ID+"/send-test", operator, url.Values{"phone": {"+15550100123"}})
	to := "/templates/" + created.ID + "?test_sent=" + id
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != to {
		t.Fatalf("POST send-test: %d to %q\n%.500s", res.StatusCode, res.Header.Get("Location"), body)
	}
	got, err := ts.sim.WaitInbox(context.Background(), "+15550100123", 1)
	if err != nil || got[0].Message.Text != "Hi Tariro, welcome to the shop!" {
		t.Fatalf("the test customer received %+v %v", got, err)
	}
	if after := inboxGet(t, ts, to, operator); !strings.Contains(after, `id="tpl-test-sent-link"`) || !strings.Contains(after, `href="/inbox/`+id+`"`) {
		t.Error("after sending, the editor does not link to the conversation")
	}
	// Only the simulator's customers: a real number is refused.
	res, body = postForm(ts, "/templates/"+created.ID+"/send-test", operator, url.Values{"phone": {"+263771234567"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "The test was not sent.") {
		t.Errorf("a send-test to a real number: %d\n%.500s", res.StatusCode, body)
	}
}
