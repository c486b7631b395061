package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/app/messaging"
	"smartbot/store"
	"smartbot/web/ui"
)

// The inbox: the conversations, newest first, live; each customer's chat
// (page_conversation.go); the simulator's test customers and phone
// (page_simulator.go); the dashboard's WhatsApp card (page_connection.go)
// and the template editor's "send a test" (page_template_send.go).

// inboxRoutes are the panel's inbox and WhatsApp connection routes.
func (s *Server) inboxRoutes() []route {
	viewer, operator, owner := app.RoleViewer, app.RoleOperator, app.RoleOwner
	return []route{
		{pattern: "GET /inbox", need: viewer, panel: true, handler: s.pageInbox},
		{pattern: "GET /inbox/stream", need: viewer, panel: true, handler: s.streamInbox},
		{pattern: "POST /inbox/test-customers", need: operator, panel: true, handler: s.postTestCustomer},
		{pattern: "GET /inbox/{customer}", need: viewer, panel: true, handler: s.pageConversation},
		{pattern: "GET /inbox/{customer}/stream", need: viewer, panel: true, handler: s.streamConversation},
		{pattern: "POST /inbox/{customer}/reply", need: operator, panel: true, handler: s.postReply},
		{pattern: "POST /inbox/{customer}/handover", need: operator, panel: true, handler: s.postHandover},
		{pattern: "POST /inbox/{customer}/say", need: operator, panel: true, handler: s.postSay},
		{pattern: "GET /whatsapp/stream", need: viewer, panel: true, handler: s.streamConnection},
		{pattern: "POST /whatsapp/pair/qr", need: owner, panel: true, handler: s.postPairQR},
		{pattern: "POST /whatsapp/pair/phone", need: owner, panel: true, handler: s.postPairPhone},
		{pattern: "GET /whatsapp/logout", need: owner, panel: true, handler: s.pageWhatsAppLogout},
		{pattern: "POST /whatsapp/logout", need: owner, panel: true, handler: s.postWhatsAppLogout},
		{pattern: "POST /templates/{id}/send-test", need: operator, panel: true, handler: s.postTemplateSendTest},
	}
}

// inboxSize is how many conversations a page of the inbox lists.
const inboxSize = 100

// errNoMessaging refuses the inbox's pages on a server run without the
// messaging service (some tests and tools).
var errNoMessaging = app.Errorf(app.EUNAVAILABLE, "WhatsApp messaging is not running on this server")

func chatPath(customerID string, more ...string) string {
	return strings.Join(append([]string{"/inbox", url.PathEscape(customerID)}, more...), "/")
}

func (s *Server) pageInbox(w http.ResponseWriter, r *http.Request) error {
	return s.renderInbox(w, r, http.StatusOK, nil)
}

// renderInbox shows the inbox; form is the test customer form sent back
// after a refusal, nil for a fresh one.
func (s *Server) renderInbox(w http.ResponseWriter, r *http.Request, status int, form *ui.TestCustomerForm) error {
	if s.messaging == nil {
		return errNoMessaging
	}
	cursor := inboxCursor(r)
	list, err := s.inboxList(r.Context(), cursor)
	if err != nil {
		return err
	}
	l, _ := s.frame(w, r, "Inbox", "inbox")
	p := ui.InboxPage{Layout: l, List: list, Stream: "/inbox/stream", SimulatorOn: s.simOn()}
	if cursor != "" {
		p.Stream += "?cursor=" + url.QueryEscape(cursor)
	}
	if p.SimulatorOn && l.User.CanOperate() {
		if form == nil {
			form = &ui.TestCustomerForm{}
		}
		form.Action = "/inbox/test-customers"
		if form.Customers, err = s.testCustomers(r.Context()); err != nil {
			return err
		}
		p.Simulator = form
	}
	return render(w, r, status, ui.Inbox(p))
}

// inboxCursor is the page of the inbox the URL asks for; anything but a
// customer id is the first page.
func inboxCursor(r *http.Request) string {
	if c := r.URL.Query().Get("cursor"); app.ValidID(app.PrefixCustomer, c) {
		return c
	}
	return ""
}

// inboxList reads a page of conversations as the inbox lists them.
func (s *Server) inboxList(ctx context.Context, cursor string) (ui.InboxList, error) {
	convs, next, err := s.db.Conversations(ctx, store.ConversationFilter{Limit: inboxSize, Cursor: cursor})
	if err != nil {
		return ui.InboxList{}, err
	}
	var l ui.InboxList
	for _, cv := range convs {
		c := cv.Customer
		row := ui.ConversationRow{ID: c.ID, Href: chatPath(c.ID), Name: customerName(c), Phone: c.Phone,
			Unread: cv.Unread, Test: c.Simulated, Handover: c.Handover != nil}
		if m := cv.Last; m != nil {
			row.Preview, row.Time = preview(*m), displayTime(ctx, m.CreatedAt)
		} else {
			row.Preview = "No messages yet"
		}
		l.Rows = append(l.Rows, row)
	}
	if next != "" {
		l.NextURL = "/inbox?cursor=" + url.QueryEscape(next)
	}
	switch {
	case cursor != "":
		l.Empty = "No older conversations."
	case s.simOn():
		l.Empty = "No conversations yet. When a customer writes to the shop on WhatsApp, the chat appears here at once. To try it now, make a test customer below and write as them."
	default:
		l.Empty = "No conversations yet. When a customer writes to the shop on WhatsApp, the chat appears here at once."
	}
	return l, nil
}

// customerName is how the panel names a customer: their name, else their
// phone number.
func customerName(c app.Customer) string {
	return orDefault(strings.TrimSpace(c.Name), orDefault(c.Phone, "Unknown customer"))
}

// preview is a message in one short line, as the inbox lists it.
func preview(m app.Message) string {
	text := strings.Join(strings.Fields(m.Text), " ")
	if text == "" {
		text = map[string]string{app.MessageKindMedia: "A file", app.MessageKindPollVote: "A poll vote",
			app.MessageKindReaction: "A reaction", app.MessageKindLocation: "A location", app.MessageKindContact: "A contact card",
			app.MessageKindPoll: "A poll"}[m.Kind]
		text = orDefault(text, "A message")
	}
	text = clipWords(text, 90)
	if m.Direction == app.DirectionOut {
		return "You: " + text
	}
	return text
}

func (s *Server) streamInbox(w http.ResponseWriter, r *http.Request) error {
	if s.messaging == nil {
		return errNoMessaging
	}
	cursor := inboxCursor(r)
	refresh := func(ctx context.Context, st *stream) error {
		list, err := s.inboxList(ctx, cursor)
		if err != nil {
			return err
		}
		return st.patch(ctx, "conversations", fragmentKey(ctx, cursor, list), func() templ.Component { return ui.InboxConversations(list) })
	}
	return s.liveMessages(w, r, nil, refresh, func(ctx context.Context, st *stream, c messaging.Change) error {
		if c.Message == nil {
			return nil // the connection changed: the list did not
		}
		// The list is ordered by the latest message and counts what is
		// unread: read it again rather than work out where a row moves.
		return refresh(ctx, st)
	})
}
