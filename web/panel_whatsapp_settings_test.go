package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"smartbot/app"
)

func TestTheOwnerSetsThePacingAndSwitchesTheTransportAndABadNumberChangesNothing(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	cookie := ts.session(ts.users[app.RoleOwner], time.Hour)
	post := func(body string) (*http.Response, []byte) {
		return ts.do(req{method: "POST", path: "/settings/whatsapp", cookie: cookie, contentType: "application/x-www-form-urlencoded", body: body})
	}
	fields := "chat_gap=5&chat_jitter=1&per_minute=12&typing_max=3&cold_daily_cap=10&breaker_errors=4&breaker_pause=600"

	before := ts.messaging.Pacing()
	res, body := post("transport=whatsapp&" + strings.Replace(fields, "per_minute=12", "per_minute=lots", 1))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "Messages a minute: must be a whole number") ||
		!strings.Contains(string(body), `value="lots"`) {
		t.Fatalf("a bad number: %d, the form should say so and keep what was typed: %s", res.StatusCode, body)
	}
	if ts.messaging.Pacing() != before || ts.messaging.Status().Transport != app.TransportSimulator {
		t.Fatal("a refused form changed the pacing or the transport")
	}

	res, body = post("transport=simulator&" + fields)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, body)
	}
	if p := ts.messaging.Pacing(); p.ChatGap != 5*time.Second || p.PerMinute != 12 || p.BreakerPause != 10*time.Minute {
		t.Fatalf("pacing after saving: %+v", p)
	}
	_, page := ts.do(req{method: "GET", path: "/settings/whatsapp", cookie: cookie})
	if !strings.Contains(string(page), `name="chat_gap" type="number" inputmode="numeric" value="5"`) {
		t.Fatalf("the page does not show the saved gap: %s", page)
	}

	res, _ = post("transport=whatsapp&" + fields)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch to WhatsApp: %d", res.StatusCode)
	}
	if st := ts.messaging.Status(); st.Transport != app.TransportWhatsApp || st.State == app.ConnConnected {
		t.Fatalf("after switching to an unpaired number: %+v", st)
	}
	if chosen, _ := ts.messaging.Chosen(context.Background()); chosen != app.TransportWhatsApp {
		t.Fatalf("the choice was not kept: %s", chosen)
	}
	// Leaving the connected simulator is a disconnection webhooks hear of.
	if n := countEvents(t, ts, "bot_disconnected"); n != 1 {
		t.Fatalf("%d bot_disconnected events, want 1", n)
	}
}

func countEvents(t *testing.T, ts *testServer, typ string) int {
	t.Helper()
	var n int
	if err := ts.db.R.QueryRow(`select count(*) from events where type = ?`, typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
