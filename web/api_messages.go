package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"smartbot/app"
	"smartbot/app/messaging"
	"smartbot/store"
)

// messagingRoutes are the WhatsApp, messages, conversations and simulator
// API routes.
func (s *Server) messagingRoutes() []route {
	viewer, operator, owner := app.RoleViewer, app.RoleOperator, app.RoleOwner
	api := func(pattern string, need app.Role, h func(http.ResponseWriter, *http.Request) error) route {
		return route{pattern: pattern, need: need, handler: h}
	}
	return []route{
		// The connection: pairing and logging out are the owner's, as is
		// the pacing that protects the number from a ban.
		api("GET /api/whatsapp/status", viewer, s.apiWhatsAppStatus),
		api("POST /api/whatsapp/pair", owner, s.apiWhatsAppPair),
		api("POST /api/whatsapp/logout", owner, s.apiWhatsAppLogout),
		api("GET /api/whatsapp/pacing", viewer, s.apiPacing),
		api("PUT /api/whatsapp/pacing", owner, s.apiSetPacing),

		// Messages and conversations. A send is a create: one
		// transaction, and Idempotency-Key makes a retried send send once.
		{pattern: "POST /api/messages", need: operator, create: s.apiSendMessage},
		api("GET /api/messages", viewer, s.apiMessages),
		api("GET /api/messages/{id}", viewer, s.apiMessage),
		api("GET /api/conversations", viewer, s.apiConversations),
		api("GET /api/conversations/{customer}", viewer, s.apiConversation),
		api("POST /api/conversations/{customer}/handover", operator, s.apiHandover),
		api("POST /api/conversations/{customer}/read", operator, s.apiMarkRead),

		// The simulator: test customers, what they say and receive, and
		// the failures a real number meets (api_simulator.go).
		{pattern: "POST /api/simulator/customers", need: operator, create: s.apiSimulatorAddCustomer},
		api("POST /api/simulator/messages", operator, s.apiSimulatorSay),
		api("GET /api/simulator/customers/{phone}/inbox", viewer, s.apiSimulatorInbox),
		api("POST /api/simulator/faults", operator, s.apiSimulatorFault),
		api("DELETE /api/simulator/faults", operator, s.apiSimulatorReconnect),
	}
}

// sentJSON answers a send: the first (usually only) message queued, and
// every part of the send in order (a poll template that needs an intro is
// two messages).
type sentJSON struct {
	app.Message
	Parts []app.Message `json:"parts"`
}

// apiSendMessage queues a message to a customer and answers 201 with it,
// queued. Sending happens afterwards, paced; GET /api/messages/{id} or the
// message_sent event tells when it went.
func (s *Server) apiSendMessage(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	m, err := s.msgs()
	if err != nil {
		return err
	}
	var in messaging.Outbound
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := checkOutbound(in); err != nil {
		return err
	}
	in.SentBy = app.ActorFrom(r.Context()).ID
	parts, err := m.SendTx(r.Context(), tx, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/messages/"+parts[0].ID)
	writeJSON(w, http.StatusCreated, sentJSON{Message: parts[0], Parts: parts})
	return nil
}

// checkOutbound refuses what the service would take in silence: both
// recipients, a caption on no file, a template named neither way.
func checkOutbound(in messaging.Outbound) error {
	var errs []app.FieldError
	switch {
	case in.To != "" && in.CustomerID != "":
		errs = append(errs, app.FieldError{Field: "to", Message: "give either to or customer_id, not both"})
	case in.To == "" && in.CustomerID == "":
		errs = append(errs, app.FieldError{Field: "to", Message: "is required: the customer's phone number in E.164 form, like +263771234567 (or give customer_id)"})
	}
	if in.Caption != "" && in.MediaID == "" {
		errs = append(errs, app.FieldError{Field: "caption", Message: "goes with media_id; send text on its own as text"})
	}
	if t := in.Template; t != nil {
		switch {
		case t.ID == "" && t.Name == "":
			errs = append(errs, app.FieldError{Field: "template", Message: "name the template by name or id"})
		case t.ID != "" && t.Name != "":
			errs = append(errs, app.FieldError{Field: "template", Message: "give either name or id, not both"})
		case t.ID != "" && !app.ValidID(app.PrefixTemplate, t.ID):
			errs = append(errs, app.FieldError{Field: "template.id", Message: "is not a template id (tpl_…)"})
		}
	}
	if in.ReplyTo != "" && !app.ValidID(app.PrefixMessage, in.ReplyTo) {
		errs = append(errs, app.FieldError{Field: "reply_to", Message: "is not a message id (msg_…)"})
	}
	if len(errs) > 0 {
		return app.Invalid(errs...)
	}
	return nil
}

// Filters of GET /api/messages, as the messages table knows them.
var (
	messageDirections = []string{app.DirectionIn, app.DirectionOut}
	messageStatuses   = []string{app.MessageReceivedStatus, app.MessageQueued, app.MessageSentStatus, app.MessageDelivered,
		app.MessageRead, app.MessageFailed}
	messageKinds = []string{app.MessageKindText, app.MessageKindTemplate, app.MessageKindInteractive, app.MessageKindMedia,
		app.MessageKindReply, app.MessageKindPoll, app.MessageKindPollVote, app.MessageKindReaction, app.MessageKindLocation,
		app.MessageKindContact, app.MessageKindUnsupported}
)

// apiMessages lists messages, newest first.
func (s *Server) apiMessages(w http.ResponseWriter, r *http.Request) error {
	f, err := messagePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f.CustomerID, f.Direction, f.Status, f.Kind = q.Get("customer_id"), q.Get("direction"), q.Get("status"), q.Get("kind")
	var errs []app.FieldError
	if f.CustomerID != "" && !app.ValidID(app.PrefixCustomer, f.CustomerID) {
		errs = append(errs, app.FieldError{Field: "customer_id", Message: "is not a customer id (cus_…)"})
	}
	for _, c := range []struct {
		field, v string
		among    []string
	}{{"direction", f.Direction, messageDirections}, {"status", f.Status, messageStatuses}, {"kind", f.Kind, messageKinds}} {
		if c.v != "" && !slices.Contains(c.among, c.v) {
			errs = append(errs, app.FieldError{Field: c.field, Message: "must be one of " + strings.Join(c.among, ", ")})
		}
	}
	if len(errs) > 0 {
		return app.Invalid(errs...)
	}
	list, next, err := s.db.ListMessages(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[app.Message]{Data: list, NextCursor: cursorOf(next)})
	return nil
}

// messagePage reads limit and cursor for a list of messages.
func messagePage(r *http.Request) (store.MessageFilter, error) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return store.MessageFilter{}, err
	}
	if cursor != "" && !app.ValidID(app.PrefixMessage, cursor) {
		return store.MessageFilter{}, app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
	}
	return store.MessageFilter{Limit: limit, Cursor: cursor}, nil
}

func (s *Server) apiMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixMessage, "message")
	if err != nil {
		return err
	}
	m, err := s.db.Message(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// apiConversations lists chats, the most recent first, each with its last
// message and unread count; simulated=true lists only test customers'.
func (s *Server) apiConversations(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	if cursor != "" && !app.ValidID(app.PrefixCustomer, cursor) {
		return app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
	}
	f := store.ConversationFilter{Limit: limit, Cursor: cursor}
	switch v := r.URL.Query().Get("simulated"); v {
	case "":
	case "true", "false":
		b := v == "true"
		f.Simulated = &b
	default:
		return app.Invalid(app.FieldError{Field: "simulated", Message: "must be true (test customers only) or false (real customers only)"})
	}
	list, next, err := s.db.Conversations(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[app.Conversation]{Data: list, NextCursor: cursorOf(next)})
	return nil
}

// customerOf is the customer a path names by id (cus_…) or by phone number
// (E.164, its + raw or as %2B).
func (s *Server) customerOf(r *http.Request) (app.Customer, error) {
	v := r.PathValue("customer")
	switch {
	case app.ValidID(app.PrefixCustomer, v):
		return s.db.Customer(r.Context(), v)
	case app.ValidPhone(pathPhone(v)):
		return s.db.CustomerByPhone(r.Context(), pathPhone(v))
	}
	return app.Customer{}, app.Errorf(app.ENOTFOUND, "customer %q not found: name one by its id (cus_…) or phone number (+263…)", app.Shorten(v, 40))
}

// pathPhone reads a phone number from a path segment: ServeMux gives it
// decoded, but a client that encoded it twice, or wrote the + as a space
// as forms do, still means the number.
func pathPhone(v string) string {
	if u, err := url.PathUnescape(v); err == nil {
		v = u
	}
	v = strings.TrimSpace(v)
	if v != "" && !strings.HasPrefix(v, "+") {
		v = "+" + v
	}
	return v
}

// conversationJSON is one chat: the customer, and a page of its messages,
// oldest first within the page. The first page is the latest messages;
// next_cursor goes back in time.
type conversationJSON struct {
	Customer   app.Customer  `json:"customer"`
	Messages   []app.Message `json:"messages"`
	NextCursor *string       `json:"next_cursor"`
}

func (s *Server) apiConversation(w http.ResponseWriter, r *http.Request) error {
	f, err := messagePage(r)
	if err != nil {
		return err
	}
	c, err := s.customerOf(r)
	if err != nil {
		return err
	}
	f.CustomerID = c.ID
	list, next, err := s.db.ListMessages(r.Context(), f)
	if err != nil {
		return err
	}
	slices.Reverse(list)
	writeJSON(w, http.StatusOK, conversationJSON{Customer: c, Messages: list, NextCursor: cursorOf(next)})
	return nil
}

// apiHandover hands the chat to staff ({"on": true}: the bot stays quiet)
// or back to the bot, and answers with the customer.
func (s *Server) apiHandover(w http.ResponseWriter, r *http.Request) error {
	m, err := s.msgs()
	if err != nil {
		return err
	}
	var in struct {
		On *bool `json:"on"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.On == nil {
		return app.Invalid(app.FieldError{Field: "on", Message: "is required: true hands the chat to staff, false gives it back to the bot"})
	}
	c, err := s.customerOf(r)
	if err != nil {
		return err
	}
	c, err = m.SetHandover(r.Context(), c.ID, *in.On)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// apiMarkRead records that staff saw the chat: its unread count drops to 0.
func (s *Server) apiMarkRead(w http.ResponseWriter, r *http.Request) error {
	m, err := s.msgs()
	if err != nil {
		return err
	}
	c, err := s.customerOf(r)
	if err != nil {
		return err
	}
	if err := m.MarkRead(r.Context(), c.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
