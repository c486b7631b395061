package web_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/media/mediatest"
	"smartbot/queue"
)

// statusJSON is GET /api/whatsapp/status, as much as the tests read.
type statusJSON struct {
	Transport string `json:"transport"`
	State     string `json:"state"`
	Pacing    struct {
		ChatGap   string `json:"chat_gap"`
		PerMinute int    `json:"per_minute"`
	} `json:"pacing"`
}

func TestTheSimulatorAPIAnswersOnlyWhileTheSimulatorIsTheTransport(t *testing.T) {
	ts := newTestServer(t) // not connected: no transport runs
	op := ts.keys[app.RoleOperator]
	for _, r := range []req{
		{method: "POST", path: "/api/simulator/customers", body: `{"phone": "+15550100130", "name": "Tino"}`},
		{method: "POST", path: "/api/simulator/messages", body: `{"from": "+15550100130", "text": "hi"}`},
		{method: "GET", path: "/api/simulator/customers/+15550100130/inbox"},
		{method: "POST", path: "/api/simulator/faults", body: `{"kind": "disconnect", "for": "1m"}`},
		{method: "DELETE", path: "/api/simulator/faults"},
	} {
		r.key = op
		res, b := ts.do(r)
		if res.StatusCode != http.StatusConflict || !strings.Contains(problemOf(t, res, b)["detail"].(string), "simulator is not the transport") {
			t.Errorf("%s %s with no transport: %d %s, want 409 saying why", r.method, r.path, res.StatusCode, b)
		}
	}
	if len(ts.sim.Customers()) != 0 {
		t.Error("a refused request added a test customer")
	}

	// On the simulator, there is nothing to pair or log out of.
	ts.connect()
	owner := ts.keys[app.RoleOwner]
	for _, r := range []req{
		{method: "POST", path: "/api/whatsapp/pair", body: `{"method": "qr"}`, key: owner},
		{method: "POST", path: "/api/whatsapp/logout", key: owner},
	} {
		res, b := ts.do(r)
		if res.StatusCode != http.StatusConflict || !strings.Contains(problemOf(t, res, b)["detail"].(string), "simulator needs no pairing") {
			t.Errorf("%s on the simulator: %d %s, want 409 saying it needs no pairing", r.path, res.StatusCode, b)
		}
	}
	res, b := ts.do(req{method: "GET", path: "/api/whatsapp/status", key: ts.keys[app.RoleViewer]})
	if st := decodeAs[statusJSON](t, res, b, http.StatusOK); st.Transport != "simulator" || st.State != "connected" || st.Pacing.ChatGap != "0s" {
		t.Errorf("the status on the simulator: %s", b)
	}
}

func TestAMessageSentWhileDisconnectedWaitsAndGoesOutOnReconnecting(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	const phone = "+15550100131"
	op := ts.keys[app.RoleOperator]
	ts.testCustomer(phone, "Rumbi")
	res, b := ts.do(req{method: "POST", path: "/api/simulator/faults", key: op, body: `{"kind": "disconnect", "for": "10m", "reason": "the router is off"}`})
	if st := decodeAs[statusJSON](t, res, b, http.StatusOK); st.State != "disconnected" {
		t.Fatalf("after a disconnect: %s", b)
	}
	res, b = ts.do(req{method: "POST", path: "/api/messages", key: op, body: `{"to": "` + phone + `", "text": "Still there?"}`})
	queued := decodeAs[messageJSON](t, res, b, http.StatusCreated)
	// The breaker holds the sending queue while the connection is down:
	// the message is not tried and failed, it waits.
	if !ts.runner.Paused(queue.MessageSending) {
		t.Error("the sending queue runs while WhatsApp is disconnected")
	}
	if m := ts.waitStatus(queued.ID, "queued"); len(ts.sim.Inbox(phone)) != 0 {
		t.Fatalf("message %s reached the customer during the disconnect", m.ID)
	}

	res, b = ts.do(req{method: "DELETE", path: "/api/simulator/faults", key: op})
	if st := decodeAs[statusJSON](t, res, b, http.StatusOK); st.State != "connected" {
		t.Fatalf("after ending the fault: %s", b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inbox, err := ts.sim.WaitInbox(ctx, phone, 1)
	if err != nil {
		t.Fatal(err)
	}
	if inbox[0].Message.Text != "Still there?" {
		t.Errorf("the customer received %q", inbox[0].Message.Text)
	}
	ts.waitStatus(queued.ID, "read")
}

func TestACustomersMessageDuringADisconnectIsStoredOnReconnecting(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	const phone = "+15550100132"
	op := ts.keys[app.RoleOperator]
	ts.testCustomer(phone, "Tatenda")
	res, b := ts.do(req{method: "POST", path: "/api/simulator/faults", key: op, body: `{"kind": "ban", "for": "1h"}`})
	if st := decodeAs[statusJSON](t, res, b, http.StatusOK); st.State != "banned" {
		t.Fatalf("after a ban: %s", b)
	}
	res, b = ts.do(req{method: "POST", path: "/api/simulator/messages", key: op, body: `{"from": "` + phone + `", "text": "hello?"}`})
	waiting := decodeAs[struct {
		WAID   string `json:"whatsapp_id"`
		Status string `json:"status"`
	}](t, res, b, http.StatusAccepted)
	if waiting.Status != "waiting" || waiting.WAID == "" {
		t.Fatalf("a message said during a ban: %s", b)
	}
	ts.do(req{method: "DELETE", path: "/api/simulator/faults", key: op})
	res, b = ts.do(req{method: "GET", path: "/api/messages?direction=in", key: op})
	if list := decodeAs[page[messageJSON]](t, res, b, http.StatusOK); len(list.Data) != 1 || list.Data[0].WAID != waiting.WAID {
		t.Errorf("after reconnecting, the inbound messages are %s", b)
	}
}

func TestATestCustomerSendsAPictureFromTheLibrary(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	const phone = "+15550100133"
	op := ts.keys[app.RoleOperator]
	ts.testCustomer(phone, "Vimbai")
	// Held in its queue, the picture is surely still processing when the
	// customer first tries to send it.
	ts.runner.Pause(queue.MediaProcessing)
	m := ts.upload(op, "receipt.jpg", mediatest.JPEG(64, 48), nil)
	res, b := ts.do(req{method: "POST", path: "/api/simulator/messages", key: op, body: `{"from": "` + phone + `", "media_id": "` + m.ID + `"}`})
	if fields := fieldsOf(t, res, b); res.StatusCode != http.StatusUnprocessableEntity || !slices.Contains(fields, "media_id") {
		t.Errorf("a file still processing: %d %s, want 422 naming media_id", res.StatusCode, b)
	}
	ts.runner.Resume(queue.MediaProcessing)
	ts.waitProcessed(m.ID)
	res, b = ts.do(req{method: "POST", path: "/api/simulator/messages", key: op, body: `{"from": "` + phone + `", "media_id": "` + m.ID + `", "text": "paid"}`})
	got := decodeAs[struct {
		Kind    string `json:"kind"`
		Text    string `json:"text"`
		Payload struct {
			Media struct {
				Kind string `json:"kind"`
				MIME string `json:"mime"`
				Ref  []byte `json:"ref"`
			} `json:"media"`
		} `json:"payload"`
	}](t, res, b, http.StatusCreated)
	if got.Kind != "media" || got.Text != "paid" || got.Payload.Media.Kind != "image" || got.Payload.Media.MIME != "image/jpeg" || string(got.Payload.Media.Ref) != m.ID {
		t.Errorf("the picture stored as %s", b)
	}
}

func TestBadSimulatorInputNamesTheField(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	const phone = "+15550100134"
	ts.testCustomer(phone, "Shingai")
	from := `"from": "` + phone + `", `
	cases := []struct {
		name, method, path, body string
		field                    string
	}{
		{"a customer's phone", "POST", "/api/simulator/customers", `{"phone": "0771", "name": "X"}`, "phone"},
		{"the shop's own number", "POST", "/api/simulator/customers", `{"phone": "+15550100000", "name": "X"}`, "phone"},
		{"a stranger", "POST", "/api/simulator/messages", `{"from": "+15550100199", "text": "hi"}`, "from"},
		{"saying nothing", "POST", "/api/simulator/messages", `{` + from + `"text": ""}`, "text"},
		{"saying two things", "POST", "/api/simulator/messages", `{` + from + `"reply_id": "a", "poll_vote": "b"}`, "poll_vote"},
		{"a vote with no poll", "POST", "/api/simulator/messages", `{` + from + `"poll_vote": "Yes"}`, "poll_vote"},
		{"a media id", "POST", "/api/simulator/messages", `{` + from + `"media_id": "photo.jpg"}`, "media_id"},
		{"an unknown media file", "POST", "/api/simulator/messages", `{` + from + `"media_id": "` + app.NewID(app.PrefixMedia) + `"}`, "media_id"},
		{"no fault", "POST", "/api/simulator/faults", `{}`, "kind"},
		{"a fault kind", "POST", "/api/simulator/faults", `{"kind": "flood"}`, "kind"},
		{"a disconnect of no length", "POST", "/api/simulator/faults", `{"kind": "disconnect"}`, "for"},
		{"a length in words", "POST", "/api/simulator/faults", `{"kind": "disconnect", "for": "ten minutes"}`, "for"},
		{"a ban in the past", "POST", "/api/simulator/faults", `{"kind": "ban", "until": "2020-01-01T00:00:00Z"}`, "until"},
		{"no sends to fail", "POST", "/api/simulator/faults", `{"kind": "send_errors", "count": 0}`, "count"},
	}
	ts.useKeys(ts.keys[app.RoleOperator])
	before := digest(t, ts.db)
	for _, c := range cases {
		res, b := ts.do(req{method: c.method, path: c.path, body: c.body, key: ts.keys[app.RoleOperator]})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422", c.name, res.StatusCode, b)
			continue
		}
		if fields := fieldsOf(t, res, b); !slices.Contains(fields, c.field) {
			t.Errorf("%s: the problem names %q, want %q: %s", c.name, fields, c.field, b)
		}
	}
	if after := digest(t, ts.db); after != before {
		t.Error("refused requests changed the database")
	}
	if st := ts.messaging.Status(); st.State != app.ConnConnected {
		t.Errorf("refused faults left the connection %s", st.State)
	}
	res, b := ts.do(req{method: "GET", path: "/api/simulator/customers/%2B15550100199/inbox", key: ts.keys[app.RoleViewer]})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("the inbox of no test customer: %d %s", res.StatusCode, b)
	}
}

func TestPacingIsReadAndChangedWithDurationsInWords(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.keys[app.RoleOwner]
	res, b := ts.do(req{method: "PUT", path: "/api/whatsapp/pacing", key: owner, body: `{"chat_gap": "2s", "breaker_pause": "5m"}`})
	p := decodeAs[map[string]any](t, res, b, http.StatusOK)
	if p["chat_gap"] != "2s" || p["breaker_pause"] != "5m" || p["cold_daily_cap"] != -1.0 || p["typing_max"] != "0s" {
		t.Errorf("after changing two fields: %s", b)
	}
	if got := ts.messaging.Pacing(); got.ChatGap != 2*time.Second || got.BreakerErrors != 5 {
		t.Errorf("the pacing in force: %+v", got)
	}
	res, b = ts.do(req{method: "GET", path: "/api/whatsapp/pacing", key: ts.keys[app.RoleViewer]})
	if p := decodeAs[map[string]any](t, res, b, http.StatusOK); p["chat_gap"] != "2s" {
		t.Errorf("GET after PUT: %s", b)
	}
}
