package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/messaging"
)

// messageJSON is the API's message, as much as the tests read.
type messageJSON struct {
	ID          string     `json:"id"`
	CustomerID  string     `json:"customer_id"`
	Direction   string     `json:"direction"`
	Kind        string     `json:"kind"`
	Text        string     `json:"text"`
	Status      string     `json:"status"`
	WAID        string     `json:"whatsapp_id"`
	SentBy      string     `json:"sent_by"`
	TemplateID  string     `json:"template_id"`
	DeliveredAt *time.Time `json:"delivered_at"`
	ReadAt      *time.Time `json:"read_at"`
	Parts       []messageJSON
}

// decodeAs decodes an answer the test expects with status.
func decodeAs[T any](t *testing.T, res *http.Response, b []byte, status int) T {
	t.Helper()
	var v T
	if res.StatusCode != status {
		t.Fatalf("%s %s: %d %s, want %d", res.Request.Method, res.Request.URL.Path, res.StatusCode, b, status)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s %s: %v in %s", res.Request.Method, res.Request.URL.Path, err, b)
	}
	return v
}

// testCustomer adds a test customer through the simulator API and returns
// its customer id.
func (ts *testServer) testCustomer(phone, name string) string {
	ts.t.Helper()
	res, b := ts.do(req{method: http.MethodPost, path: "/api/simulator/customers", key: ts.keys[app.RoleOperator],
		body: `{"phone": "` + phone + `", "name": "` + name + `"}`})
	c := decodeAs[struct {
		ID        string `json:"id"`
		Simulated bool   `json:"simulated"`
	}](ts.t, res, b, http.StatusCreated)
	if !c.Simulated {
		ts.t.Fatalf("test customer %s is not marked simulated: %s", phone, b)
	}
	return c.ID
}

// waitStatus waits until the message id has status, woken by the messaging
// service's changes rather than by time.
func (ts *testServer) waitStatus(id, status string) messageJSON {
	ts.t.Helper()
	changes, stop := ts.messaging.Watch(64)
	defer stop()
	timeout := time.After(10 * time.Second) // a guard against a hang only
	for {
		res, b := ts.do(req{method: http.MethodGet, path: "/api/messages/" + id, key: ts.keys[app.RoleViewer]})
		m := decodeAs[messageJSON](ts.t, res, b, http.StatusOK)
		if m.Status == status {
			return m
		}
		select {
		case <-changes:
		case <-timeout:
			ts.t.Fatalf("message %s stayed %s, want %s", id, m.Status, status)
		}
	}
}

// eventFor reports whether GET /api/events?type=typ holds an event about
// the message id.
func (ts *testServer) eventFor(typ, id string) bool {
	ts.t.Helper()
	res, b := ts.do(req{method: http.MethodGet, path: "/api/events?type=" + typ, key: ts.keys[app.RoleViewer]})
	page := decodeAs[struct {
		Data []struct {
			Data struct {
				MessageID string `json:"message_id"`
			} `json:"data"`
		} `json:"data"`
	}](ts.t, res, b, http.StatusOK)
	return slices.ContainsFunc(page.Data, func(e struct {
		Data struct {
			MessageID string `json:"message_id"`
		} `json:"data"`
	}) bool {
		return e.Data.MessageID == id
	})
}

type conversationsJSON struct {
	Data []struct {
		Customer struct {
			ID string `json:"id"`
		} `json:"customer"`
		Last   *messageJSON `json:"last_message"`
		Unread int          `json:"unread"`
	} `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func TestATestCustomersMessageIsAnsweredFromTheAPIAndReadTicksFollow(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	const phone = "+15550100123"
	op, viewer := ts.keys[app.RoleOperator], ts.keys[app.RoleViewer]
	cus := ts.testCustomer(phone, "Tariro")

	res, b := ts.do(req{method: http.MethodPost, path: "/api/simulator/messages", key: op, body: `{"from": "` + phone + `", "text": "hi, are you open?"}`})
	in := decodeAs[messageJSON](t, res, b, http.StatusCreated)
	if in.Direction != "in" || in.Text != "hi, are you open?" || in.CustomerID != cus || in.Status != "received" {
		t.Fatalf("the stored inbound message: %s", b)
	}
	if !ts.eventFor("message_received", in.ID) {
		t.Errorf("no message_received event for %s", in.ID)
	}
	res, b = ts.do(req{method: http.MethodGet, path: "/api/conversations", key: viewer})
	convs := decodeAs[conversationsJSON](t, res, b, http.StatusOK)
	if len(convs.Data) != 1 || convs.Data[0].Customer.ID != cus || convs.Data[0].Unread != 1 || convs.Data[0].Last.ID != in.ID {
		t.Fatalf("conversations after the customer wrote: %s", b)
	}

	res, b = ts.do(req{method: http.MethodPost, path: "/api/messages", key: op,
		body: `{"customer_id": "` + cus + `", "text": "Yes, until 6 pm.", "reply_to": "` + in.ID + `"}`})
	out := decodeAs[messageJSON](t, res, b, http.StatusCreated)
	if out.Status != "queued" || out.Direction != "out" || len(out.Parts) != 1 || out.Parts[0].ID != out.ID ||
		res.Header.Get("Location") != "/api/messages/"+out.ID {
		t.Fatalf("the send's answer: %s", b)
	}
	if out.SentBy == "" || !strings.HasPrefix(out.SentBy, app.PrefixAPIKey) {
		t.Errorf("sent_by %q, want the operator's key id", out.SentBy)
	}
	read := ts.waitStatus(out.ID, "read")
	if read.DeliveredAt == nil || read.ReadAt == nil || read.ReadAt.Before(*read.DeliveredAt) {
		t.Errorf("a read message's receipt times: delivered %v, read %v", read.DeliveredAt, read.ReadAt)
	}
	if !ts.eventFor("message_sent", out.ID) {
		t.Errorf("no message_sent event for %s", out.ID)
	}

	// The customer's phone shows the reply, quoting what they asked.
	res, b = ts.do(req{method: http.MethodGet, path: "/api/simulator/customers/" + url.PathEscape(phone) + "/inbox", key: viewer})
	inbox := decodeAs[struct {
		Messages []struct {
			ID, Text, Status string
		}
	}](t, res, b, http.StatusOK)
	if len(inbox.Messages) != 1 || inbox.Messages[0].ID != out.ID || inbox.Messages[0].Text != "Yes, until 6 pm." || inbox.Messages[0].Status != "read" {
		t.Fatalf("the customer's inbox: %s", b)
	}
	if got := ts.sim.Inbox(phone)[0].Message.ReplyTo; got != in.WAID {
		t.Errorf("the reply quotes %q, want the customer's message %q", got, in.WAID)
	}

	// The chat, by phone (the + encoded as %2B), oldest first; read by
	// staff, it has nothing unread.
	res, b = ts.do(req{method: http.MethodGet, path: "/api/conversations/%2B15550100123", key: viewer})
	chat := decodeAs[struct {
		Customer struct{ ID string }
		Messages []messageJSON
	}](t, res, b, http.StatusOK)
	if chat.Customer.ID != cus || len(chat.Messages) != 2 || chat.Messages[0].ID != in.ID || chat.Messages[1].ID != out.ID {
		t.Fatalf("the conversation: %s", b)
	}
	if res, b := ts.do(req{method: http.MethodPost, path: "/api/conversations/" + cus + "/read", key: op}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("mark read: %d %s", res.StatusCode, b)
	}
	res, b = ts.do(req{method: http.MethodGet, path: "/api/conversations?simulated=true", key: viewer})
	if convs := decodeAs[conversationsJSON](t, res, b, http.StatusOK); len(convs.Data) != 1 || convs.Data[0].Unread != 0 || convs.Data[0].Last.ID != out.ID {
		t.Errorf("conversations after marking read: %s", b)
	}
	res, b = ts.do(req{method: http.MethodGet, path: "/api/conversations?simulated=false", key: viewer})
	if convs := decodeAs[conversationsJSON](t, res, b, http.StatusOK); len(convs.Data) != 0 {
		t.Errorf("real customers' conversations hold the test customer: %s", b)
	}
}

func TestATemplateSentByNameArrivesRenderedWithItsButtons(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	const phone = "+15550100124"
	op := ts.keys[app.RoleOperator]
	ts.testCustomer(phone, "Rudo")
	interactive := strings.Replace(orderConfirmation, `"delivery_style": "text"`, `"delivery_style": "interactive"`, 1)
	res, b := ts.do(req{method: http.MethodPost, path: "/api/templates", key: op, body: interactive})
	tpl := decodeTemplate(t, b)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create the template: %d %s", res.StatusCode, b)
	}

	res, b = ts.do(req{method: http.MethodPost, path: "/api/messages", key: op, body: `{"to": "` + phone + `",
		"template": {"name": "order_confirmation", "variables": {"customer_name": "Rudo", "order_number": "SB-000777", "total": {"amount": 4200, "currency": "USD"}}}}`})
	sent := decodeAs[messageJSON](t, res, b, http.StatusCreated)
	if sent.Kind != "template" || sent.TemplateID != tpl.ID {
		t.Fatalf("the send's answer: %s", b)
	}
	if _, err := ts.sim.WaitInbox(context.Background(), phone, 1); err != nil {
		t.Fatal(err)
	}
	res, b = ts.do(req{method: http.MethodGet, path: "/api/simulator/customers/" + phone + "/inbox", key: op})
	inbox := decodeAs[struct {
		Messages []struct {
			ID      string
			Text    string
			Options []struct{ ID, Title string }
		}
	}](t, res, b, http.StatusOK)
	if len(inbox.Messages) != 1 || inbox.Messages[0].ID != sent.ID {
		t.Fatalf("the inbox: %s", b)
	}
	got := inbox.Messages[0]
	if !strings.Contains(got.Text, "Hi Rudo, your total is") || strings.Contains(got.Text, "{{") {
		t.Errorf("the inbox shows %q, want the body rendered with the variables", got.Text)
	}
	if len(got.Options) != 2 || got.Options[0].ID != "pay_now" || got.Options[1].Title != "Help" {
		t.Errorf("the inbox shows options %+v, want the template's buttons", got.Options)
	}

	// Tapping a button comes back as a reply naming it.
	res, b = ts.do(req{method: http.MethodPost, path: "/api/simulator/messages", key: op, body: `{"from": "` + phone + `", "reply_id": "pay_now"}`})
	if reply := decodeAs[messageJSON](t, res, b, http.StatusCreated); reply.Kind != "reply" || reply.Text != "Pay now" {
		t.Errorf("the tapped button stored as %s", b)
	}
}

func TestASendRetriedWithItsIdempotencyKeyGoesOutOnce(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	const phone = "+15550100125"
	ts.testCustomer(phone, "Farai")
	send := req{method: http.MethodPost, path: "/api/messages", key: ts.keys[app.RoleOperator],
		body: `{"to": "` + phone + `", "text": "Your order is ready."}`, header: map[string]string{"Idempotency-Key": "ready-1"}}
	res, b := ts.do(send)
	first := decodeAs[messageJSON](t, res, b, http.StatusCreated)
	res, b = ts.do(send)
	if again := decodeAs[messageJSON](t, res, b, http.StatusCreated); again.ID != first.ID {
		t.Fatalf("the retry answered message %s, want the first, %s", again.ID, first.ID)
	}
	sent := ts.waitStatus(first.ID, "read")
	res, b = ts.do(req{method: http.MethodGet, path: "/api/messages?direction=out&customer_id=" + first.CustomerID, key: ts.keys[app.RoleViewer]})
	if list := decodeAs[page[messageJSON]](t, res, b, http.StatusOK); len(list.Data) != 1 {
		t.Errorf("%d messages stored for one send retried with its key: %s", len(list.Data), b)
	}
	if n := ts.sim.TotalDeliveries(); n != 1 || ts.sim.Deliveries(sent.WAID) != 1 {
		t.Errorf("the customer received %d messages, want 1", n)
	}
}

type page[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func TestMessagesArePagedAndFiltered(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	const phone = "+15550100126"
	ts.testCustomer(phone, "Chipo")
	for _, text := range []string{"one", "two", "three"} {
		res, b := ts.do(req{method: http.MethodPost, path: "/api/simulator/messages", key: ts.keys[app.RoleOperator], body: `{"from": "` + phone + `", "text": "` + text + `"}`})
		decodeAs[messageJSON](t, res, b, http.StatusCreated)
	}
	var texts []string
	path := "/api/messages?limit=2&direction=in&kind=text&status=received"
	for range 3 {
		res, b := ts.do(req{method: http.MethodGet, path: path, key: ts.keys[app.RoleViewer]})
		p := decodeAs[page[messageJSON]](t, res, b, http.StatusOK)
		for _, m := range p.Data {
			texts = append(texts, m.Text)
		}
		if p.NextCursor == nil {
			break
		}
		path = "/api/messages?limit=2&direction=in&cursor=" + url.QueryEscape(*p.NextCursor)
	}
	// Messages said within one millisecond tie on time, so only the set
	// is certain: each once, over two pages.
	slices.Sort(texts)
	if want := []string{"one", "three", "two"}; !slices.Equal(texts, want) {
		t.Errorf("paged through %q, want each of %q once", texts, want)
	}
	res, b := ts.do(req{method: http.MethodGet, path: "/api/messages?direction=out", key: ts.keys[app.RoleViewer]})
	if p := decodeAs[page[messageJSON]](t, res, b, http.StatusOK); len(p.Data) != 0 {
		t.Errorf("direction=out lists inbound messages: %s", b)
	}
}

// useKeys uses each key once, so that the stamp of a key's first use does
// not count as a change a refused request made.
func (ts *testServer) useKeys(keys ...string) {
	ts.t.Helper()
	for _, k := range keys {
		if res, b := ts.do(req{method: http.MethodGet, path: "/api/me", key: k}); res.StatusCode != http.StatusOK {
			ts.t.Fatalf("GET /api/me: %d %s", res.StatusCode, b)
		}
	}
}

// fieldsOf returns the fields a 4xx problem names.
func fieldsOf(t *testing.T, res *http.Response, b []byte) []string {
	t.Helper()
	p := problemOf(t, res, b)
	errs, _ := p["errors"].([]any)
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.(map[string]any)["field"].(string))
	}
	return fields
}

func TestBadSendsAndFiltersNameTheFieldAndChangeNothing(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	op := ts.keys[app.RoleOperator]
	cus := ts.testCustomer("+15550100127", "Tendai")
	to := `"to": "+15550100127", `
	long := strings.Repeat("a", messaging.TextMax+1)
	cases := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"no recipient", "POST", "/api/messages", `{"text": "hi"}`, 422, "to"},
		{"two recipients", "POST", "/api/messages", `{` + to + `"customer_id": "` + cus + `", "text": "hi"}`, 422, "to"},
		{"a phone not in E.164", "POST", "/api/messages", `{"to": "0771234567", "text": "hi"}`, 422, "to"},
		{"not a customer id", "POST", "/api/messages", `{"customer_id": "bob", "text": "hi"}`, 422, "customer_id"},
		{"an unknown customer", "POST", "/api/messages", `{"customer_id": "` + app.NewID(app.PrefixCustomer) + `", "text": "hi"}`, 422, "customer_id"},
		{"nothing to send", "POST", "/api/messages", `{` + to + `"text": ""}`, 422, "text"},
		{"two things to send", "POST", "/api/messages", `{` + to + `"text": "hi", "template": {"name": "x"}}`, 422, "text"},
		{"too long a text", "POST", "/api/messages", `{` + to + `"text": "` + long + `"}`, 422, "text"},
		{"a caption on no file", "POST", "/api/messages", `{` + to + `"text": "hi", "caption": "look"}`, 422, "caption"},
		{"a template named neither way", "POST", "/api/messages", `{` + to + `"template": {"variables": {}}}`, 422, "template"},
		{"an unknown template", "POST", "/api/messages", `{` + to + `"template": {"name": "no_such"}}`, 422, "template"},
		{"an unknown media file", "POST", "/api/messages", `{` + to + `"media_id": "` + app.NewID(app.PrefixMedia) + `"}`, 422, "media_id"},
		{"a reply to nothing", "POST", "/api/messages", `{` + to + `"text": "hi", "reply_to": "` + app.NewID(app.PrefixMessage) + `"}`, 422, "reply_to"},
		{"an unknown member", "POST", "/api/messages", `{` + to + `"text": "hi", "sent_by": "the owner"}`, 422, "sent_by"},
		{"a number for text", "POST", "/api/messages", `{` + to + `"text": 5}`, 422, "text"},
		{"a direction", "GET", "/api/messages?direction=sideways", "", 422, "direction"},
		{"a status", "GET", "/api/messages?status=lost", "", 422, "status"},
		{"a kind", "GET", "/api/messages?kind=fax", "", 422, "kind"},
		{"a customer filter", "GET", "/api/messages?customer_id=bob", "", 422, "customer_id"},
		{"a cursor", "GET", "/api/messages?cursor=bm9wZQ", "", 422, "cursor"},
		{"simulated", "GET", "/api/conversations?simulated=maybe", "", 422, "simulated"},
		{"handover without on", "POST", "/api/conversations/" + cus + "/handover", `{}`, 422, "on"},
		{"pacing as a number", "PUT", "/api/whatsapp/pacing", `{"chat_gap": 2}`, 422, "chat_gap"},
		{"pacing out of range", "PUT", "/api/whatsapp/pacing", `{"per_minute": -1}`, 422, "per_minute"},
		{"pairing by no means", "POST", "/api/whatsapp/pair", `{"method": "carrier pigeon"}`, 422, "method"},
		{"pairing a bad number", "POST", "/api/whatsapp/pair", `{"phone": "12"}`, 422, "phone"},
	}
	owner := ts.keys[app.RoleOwner]
	ts.useKeys(op, owner)
	before := digest(t, ts.db)
	for _, c := range cases {
		key := op
		if strings.Contains(c.path, "/whatsapp/") {
			key = owner
		}
		res, b := ts.do(req{method: c.method, path: c.path, body: c.body, key: key})
		if res.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, res.StatusCode, b, c.status)
			continue
		}
		if fields := fieldsOf(t, res, b); !slices.Contains(fields, c.field) {
			t.Errorf("%s: the problem names %q, want %q: %s", c.name, fields, c.field, b)
		}
	}
	res, b := ts.do(req{method: "POST", path: "/api/messages", key: op, body: `{` + to + `"text": "` + strings.Repeat("a", 2<<20) + `"}`})
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB send: %d %.200s", res.StatusCode, b)
	}
	if after := digest(t, ts.db); after != before {
		t.Error("refused requests changed the database")
	}
}

func TestAViewerCannotSendOrTakeAChatOver(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	cus := ts.testCustomer("+15550100128", "Nyasha")
	viewer := ts.keys[app.RoleViewer]
	ts.useKeys(viewer, ts.keys[app.RoleOperator])
	before := digest(t, ts.db)
	for _, r := range []req{
		{method: "POST", path: "/api/messages", key: viewer, body: `{"customer_id": "` + cus + `", "text": "hi"}`},
		{method: "POST", path: "/api/conversations/" + cus + "/handover", key: viewer, body: `{"on": true}`},
		{method: "PUT", path: "/api/whatsapp/pacing", key: ts.keys[app.RoleOperator], body: `{"per_minute": 1000}`},
	} {
		if res, b := ts.do(r); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s: %d %s, want 403", r.method, r.path, res.StatusCode, b)
		}
	}
	if digest(t, ts.db) != before || len(ts.sim.Inbox("+15550100128")) != 0 {
		t.Error("a refused send changed something")
	}
}

func TestAnOperatorTakesAChatOverAndGivesItBack(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	cus := ts.testCustomer("+15550100129", "Kuda")
	for _, on := range []bool{true, false} {
		body := `{"on": false}`
		if on {
			body = `{"on": true}`
		}
		res, b := ts.do(req{method: "POST", path: "/api/conversations/+15550100129/handover", key: ts.keys[app.RoleOperator], body: body})
		c := decodeAs[struct {
			ID         string     `json:"id"`
			HandoverAt *time.Time `json:"handover_at"`
		}](t, res, b, http.StatusOK)
		if c.ID != cus || (c.HandoverAt != nil) != on {
			t.Errorf("handover %v: %s", on, b)
		}
	}
}
