package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/messaging"
	"smartbot/app/whatsapp/simulator"
	"smartbot/store"
	"smartbot/web"
)

// Tests of the inbox's pages: the conversations list and a chat, live;
// replying and handing over; the simulator's test customers and phone;
// the dashboard's WhatsApp card; the template editor's "Send a test".
// They run on the simulator (ts.connect) and wait on streams, the
// simulator's inboxes and its Changed channel, never on time.

// inboxTestCustomer makes a test customer through the inbox's form, as an
// operator does, and returns its id.
func inboxTestCustomer(t *testing.T, ts *testServer, session, phone, name string) string {
	t.Helper()
	res, body := postForm(ts, "/inbox/test-customers", session, url.Values{"phone": {phone}, "name": {name}})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/inbox/cus_") {
		t.Fatalf("POST /inbox/test-customers: %d to %q\n%.500s", res.StatusCode, loc, body)
	}
	return strings.TrimPrefix(loc, "/inbox/")
}

// inboxSay makes the test customer write, through the simulator.
func inboxSay(t *testing.T, ts *testServer, phone string, said simulator.Said) {
	t.Helper()
	if _, err := ts.sim.Say(context.Background(), phone, said); err != nil {
		t.Fatalf("%s says %+v: %v", phone, said, err)
	}
}

// postDatastar posts a form as Datastar does, and returns the patches it
// answered with.
func postDatastar(t *testing.T, ts *testServer, path, session string, form url.Values, header ...string) (int, string) {
	t.Helper()
	hr, err := http.NewRequest(http.MethodPost, ts.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set("Datastar-Request", "true")
	hr.AddCookie(&http.Cookie{Name: "smartbot_session", Value: session})
	for i := 0; i+1 < len(header); i += 2 {
		hr.Header.Set(header[i], header[i+1])
	}
	res, err := ts.client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func inboxGet(t *testing.T, ts *testServer, path, session string) string {
	t.Helper()
	res, body := ts.do(req{method: "GET", path: path, cookie: session})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%.800s", path, res.StatusCode, body)
	}
	return string(body)
}

func chatMessages(t *testing.T, ts *testServer, customerID string) []app.Message {
	t.Helper()
	list, _, err := ts.db.ListMessages(context.Background(), store.MessageFilter{CustomerID: customerID, Oldest: true})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestAMessageFromACustomerAppearsInTheInboxWithoutAReload(t *testing.T) {
	// No refresh while the test runs: the messaging service's changes
	// alone must bring each chat.
	defer web.SetMessagesRefresh(time.Hour)()
	ts := newTestServer(t)
	ts.connect()
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	// Customers Smartbot has never heard of: their first message makes
	// their chat.
	for phone, name := range map[string]string{"+15550100111": "Tariro", "+15550100222": "Rudo"} {
		if err := ts.sim.AddCustomer(phone, name); err != nil {
			t.Fatal(err)
		}
	}
	lines := openStream(t, ts.url+"/inbox/stream", viewer)
	waitLine(t, lines, `id="conversations-empty"`)

	inboxSay(t, ts, "+15550100111", simulator.Said{Text: "Do you have blue tulips?"})
	first := customerID(t, ts, "+15550100111")
	waitLine(t, lines, `id="conv-`+first+`"`)
	inboxSay(t, ts, "+15550100222", simulator.Said{Text: "Hello"})
	second := customerID(t, ts, "+15550100222")
	waitLine(t, lines, `id="conv-`+second+`"`)

	// Listed as the store orders chats, the latest message first.
	inbox := inboxGet(t, ts, "/inbox", viewer)
	convs, _, err := ts.db.Conversations(context.Background(), store.ConversationFilter{})
	if err != nil || len(convs) != 2 {
		t.Fatalf("conversations: %+v %v", convs, err)
	}
	if i, j := strings.Index(inbox, `id="conv-`+convs[0].Customer.ID+`"`), strings.Index(inbox, `id="conv-`+convs[1].Customer.ID+`"`); i < 0 || j < 0 || i > j {
		t.Errorf("the inbox does not list the chats as the store orders them: at %d and %d", i, j)
	}
	for _, want := range []string{">Tariro</span>", ">Do you have blue tulips?</span>", `aria-label="1 unread">1</span>`,
		`<span class="badge badge-test">test</span>`, `href="/inbox/` + first + `"`, `href="/inbox"`} {
		if !strings.Contains(inbox, want) {
			t.Errorf("the inbox lacks %s", want)
		}
	}
	// Viewers see the simulator's sentence but not its form.
	if strings.Contains(inbox, `id="test-customer-form"`) || !strings.Contains(inbox, `id="simulator-note"`) {
		t.Error("a viewer is offered the test customer form, or not told the simulator is on")
	}
}

func TestAnOperatorRepliesFromTheChatAndItsTicksMoveLive(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	id := inboxTestCustomer(t, ts, operator, "+15550100333", "Chipo")
	inboxSay(t, ts, "+15550100333", simulator.Said{Text: "Is the shop open today?"})

	// Opening the chat marks it read, here and on the customer's phone.
	chat := inboxGet(t, ts, "/inbox/"+id, operator)
	if !strings.Contains(chat, "Is the shop open today?") || !strings.Contains(chat, `id="reply-form"`) {
		t.Fatalf("the chat lacks the customer's message or the reply box:\n%.3000s", chat)
	}
	convs, _, err := ts.db.Conversations(context.Background(), store.ConversationFilter{})
	if err != nil || len(convs) != 1 || convs[0].Unread != 0 {
		t.Errorf("after opening the chat: %+v %v, want it read", convs, err)
	}
	if marked := ts.sim.MarkedRead("+15550100333"); len(marked) == 0 {
		t.Error("the customer's phone was not told the message was read")
	}

	lines := openStream(t, ts.url+"/inbox/"+id+"/stream", operator)
	waitLine(t, lines, `id="bubbles"`)
	status, answer := postDatastar(t, ts, "/inbox/"+id+"/reply", operator, url.Values{"text": {"Yes, until 6 pm."}})
	if status != http.StatusOK || !strings.Contains(answer, `"reply":""`) {
		t.Fatalf("POST reply: %d, want the box emptied:\n%s", status, answer)
	}
	ms := chatMessages(t, ts, id)
	reply := ms[len(ms)-1]
	if reply.Direction != app.DirectionOut || reply.Text != "Yes, until 6 pm." || reply.SentBy != "operator@shop.test" {
		t.Fatalf("the reply stored is %+v", reply)
	}
	// The bubble comes, then its ticks move in place: each change is that
	// one bubble (appended, then patched), never the whole chat again. (A
	// refresh that reads a change first does not stop it: the bubble is
	// sent when the change is told all the same.)
	bubble := `data: elements <li id="msg-` + reply.ID + `" class="msg msg-out" data-status="`
	for _, st := range []string{"queued", "sent", "delivered", "read"} {
		waitLine(t, lines, bubble+st+`"`)
	}
	if got, err := ts.sim.WaitInbox(context.Background(), "+15550100333", 1); err != nil || got[0].Message.Text != "Yes, until 6 pm." {
		t.Errorf("the customer received %+v %v", got, err)
	}
}

func TestARefusedReplyKeepsItsTextAndSaysWhy(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	id := inboxTestCustomer(t, ts, operator, "+15550100444", "Nyasha")

	status, answer := postDatastar(t, ts, "/inbox/"+id+"/reply", operator, url.Values{"text": {"  "}})
	if status != http.StatusOK || !strings.Contains(answer, `id="reply-error" class="field-error" role="alert">Write a reply first.</p>`) ||
		strings.Contains(answer, `"reply":""`) {
		t.Errorf("an empty reply with Datastar: %d\n%s", status, answer)
	}
	long := strings.Repeat("tulips ", 600)
	res, body := postForm(ts, "/inbox/"+id+"/reply", operator, url.Values{"text": {long}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), ">"+long+"</textarea>") ||
		!strings.Contains(string(body), "The text must") {
		t.Errorf("a reply too long without JavaScript: %d, want the page again with the text and why\n%.600s", res.StatusCode, body)
	}
	if ms := chatMessages(t, ts, id); len(ms) != 0 {
		t.Errorf("refused replies stored %d messages", len(ms))
	}
	// Without JavaScript a reply that goes comes back to the chat.
	res, body = postForm(ts, "/inbox/"+id+"/reply", operator, url.Values{"text": {"Hi!"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/inbox/"+id {
		t.Errorf("a plain reply: %d to %q\n%.300s", res.StatusCode, res.Header.Get("Location"), body)
	}
}

func TestAViewerReadsAChatWithoutFormsAndLeavesItUnread(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	id := inboxTestCustomer(t, ts, operator, "+15550100555", "Farai")
	inboxSay(t, ts, "+15550100555", simulator.Said{Text: "Hi"})

	chat := inboxGet(t, ts, "/inbox/"+id, viewer)
	if !strings.Contains(chat, ">Hi</div>") || !strings.Contains(chat, "Bot on") {
		t.Errorf("the viewer does not see the message or who answers:\n%.2000s", chat)
	}
	for _, form := range []string{`id="reply-form"`, `id="handover-button"`, `id="say-form"`, `id="sim-choices"`} {
		if strings.Contains(chat, form) {
			t.Errorf("a viewer is offered %s", form)
		}
	}
	convs, _, _ := ts.db.Conversations(context.Background(), store.ConversationFilter{})
	if len(convs) != 1 || convs[0].Unread != 1 {
		t.Errorf("a viewer's visit marked the chat read: %+v", convs)
	}
}

func TestHandingAChatOverQuietsTheBotAndGivingItBackWakesIt(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	id := inboxTestCustomer(t, ts, operator, "+15550100666", "Tendai")
	inboxSay(t, ts, "+15550100666", simulator.Said{Text: "I need a person"})

	status, answer := postDatastar(t, ts, "/inbox/"+id+"/handover", operator, url.Values{"on": {"1"}})
	if status != http.StatusOK || !strings.Contains(answer, "A person is answering") || !strings.Contains(answer, "Give back to the bot") {
		t.Fatalf("hand over: %d\n%s", status, answer)
	}
	c, err := ts.db.Customer(context.Background(), id)
	if err != nil || c.Handover == nil {
		t.Fatalf("after handing over: %+v %v", c, err)
	}
	if inbox := inboxGet(t, ts, "/inbox", operator); !strings.Contains(inbox, `class="badge badge-handover"`) {
		t.Error("the inbox does not mark the chat a person answers")
	}
	res, _ := postForm(ts, "/inbox/"+id+"/handover", operator, url.Values{"on": {"0"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("give back without JavaScript: %d", res.StatusCode)
	}
	if c, _ := ts.db.Customer(context.Background(), id); c.Handover != nil {
		t.Error("the chat is still handed over after giving it back")
	}
}

func TestATestCustomerWritesAndTapsOptionsOnThePhone(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)

	// A refused customer keeps what was typed.
	res, body := postForm(ts, "/inbox/test-customers", operator, url.Values{"phone": {"0771"}, "name": {"Kuda"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `id="test-customer-error"`) ||
		!strings.Contains(string(body), `value="Kuda"`) {
		t.Errorf("a wrong phone: %d\n%.500s", res.StatusCode, body)
	}
	id := inboxTestCustomer(t, ts, operator, "+15550100777", "Kuda")
	if cs := ts.sim.Customers(); len(cs) != 1 || cs[0].Name != "Kuda" {
		t.Errorf("the simulator's customers: %+v", cs)
	}
	if c, err := ts.db.Customer(context.Background(), id); err != nil || !c.Simulated {
		t.Errorf("the customer %+v %v is not a test customer", c, err)
	}

	chat := inboxGet(t, ts, "/inbox/"+id, operator)
	if !strings.Contains(chat, `id="say-form"`) || !strings.Contains(chat, "not real WhatsApp") {
		t.Fatalf("the test customer's chat has no phone to write on:\n%.3000s", chat)
	}
	status, answer := postDatastar(t, ts, "/inbox/"+id+"/say", operator, url.Values{"text": {"Menu please"}})
	if status != http.StatusOK || !strings.Contains(answer, `"say":""`) {
		t.Fatalf("say: %d\n%s", status, answer)
	}
	// The shop answers with buttons; the phone offers them as taps.
	tpl := `{"name": "menu", "kind": "buttons", "category": "utility", "language": "en", "body": "What would you like?",
		"buttons": [{"id": "catalog", "title": "Catalog"}, {"id": "orders", "title": "My orders"}], "delivery_style": "interactive"}`
	if res, b := ts.do(req{method: "POST", path: "/api/templates", key: ts.keys[app.RoleOperator], body: tpl}); res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/templates: %d %s", res.StatusCode, b)
	}
	if _, err := ts.messaging.Send(context.Background(), messagingTemplate(id, "menu")); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.sim.WaitInbox(context.Background(), "+15550100777", 1); err != nil {
		t.Fatal(err)
	}
	chat = inboxGet(t, ts, "/inbox/"+id, operator)
	for _, want := range []string{`name="reply_id" value="orders">My orders</button>`, "<li>Catalog</li>", "Template menu"} {
		if !strings.Contains(chat, want) {
			t.Errorf("the chat lacks %s", want)
		}
	}
	status, answer = postDatastar(t, ts, "/inbox/"+id+"/say", operator, url.Values{"reply_id": {"orders"}})
	if status != http.StatusOK || strings.Contains(answer, `role="alert">T`) {
		t.Fatalf("tap: %d\n%s", status, answer)
	}
	ms := chatMessages(t, ts, id)
	last := ms[len(ms)-1]
	if last.Kind != app.MessageKindReply || last.Text != "My orders" || ms[0].Text != "Menu please" {
		t.Errorf("the customer's messages: first %q, last %+v", ms[0].Text, last)
	}
	// A poll option that is not offered is refused beside the box.
	status, answer = postDatastar(t, ts, "/inbox/"+id+"/say", operator, url.Values{"poll_vote": {"Blue"}})
	if status != http.StatusOK || !strings.Contains(answer, `id="say-error" class="field-error" role="alert">+15550100777 has received no poll`) {
		t.Errorf("a vote without a poll: %d\n%s", status, answer)
	}
}

func TestCrossOriginInboxFormsAreRefused(t *testing.T) {
	ts := newTestServer(t)
	ts.connect()
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	id := inboxTestCustomer(t, ts, operator, "+15550100888", "Ruva")
	before := digest(t, ts.db)
	for _, path := range []string{"/inbox/" + id + "/reply", "/inbox/" + id + "/handover", "/inbox/" + id + "/say", "/inbox/test-customers"} {
		status, body := postDatastar(t, ts, path, operator, url.Values{"text": {"hi"}, "on": {"1"}, "phone": {"+15550100999"}},
			"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403\n%.300s", path, status, body)
		}
	}
	if digest(t, ts.db) != before || len(ts.sim.Customers()) != 1 {
		t.Error("a refused cross-site request changed something")
	}
}

// messagingTemplate is the template named name, to the customer id.
func messagingTemplate(id, name string) messaging.Outbound {
	return messaging.Outbound{CustomerID: id, Template: &messaging.TemplateRef{Name: name}}
}

func customerID(t *testing.T, ts *testServer, phone string) string {
	t.Helper()
	c, err := ts.db.CustomerByPhone(context.Background(), phone)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}
