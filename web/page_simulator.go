package web

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/starfederation/datastar-go/datastar"

	"smartbot/app"
	"smartbot/app/whatsapp/simulator"
	"smartbot/store"
	"smartbot/web/ui"
)

// The simulator in the panel: while it is the transport, an operator makes
// test customers on the inbox and, in a test customer's chat, types as
// them on a phone that shows what they received. It drives the same
// pipeline a real customer would, through the simulator's Say.

// phoneItems is how many messages the simulator's phone shows.
const phoneItems = 50

// errNoSimulator refuses simulator actions while WhatsApp is the transport.
var errNoSimulator = app.Errorf(app.ENOTFOUND, "the simulator is off: test customers exist only while the simulator is the transport (Settings)")

// simOn reports whether the simulator is the transport in use: serve
// keeps one ready, but with a real number paired it is idle, and its test
// customers and phone are not offered.
func (s *Server) simOn() bool {
	_, _, err := s.sim()
	return err == nil
}

// testCustomers are the simulator's customers, each with its chat when
// Smartbot has one for it.
func (s *Server) testCustomers(ctx context.Context) ([]ui.TestCustomerRow, error) {
	var rows []ui.TestCustomerRow
	for _, c := range s.simulator.Customers() {
		row := ui.TestCustomerRow{Name: c.Name, Phone: c.Phone}
		cust, err := s.db.CustomerByPhone(ctx, c.Phone)
		switch {
		case err == nil:
			row.Href, row.Name = chatPath(cust.ID), customerName(cust)
		case app.ErrorCode(err) != app.ENOTFOUND:
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// postTestCustomer makes a test customer on the simulator's phone and in
// Smartbot, and opens their chat. Making one that exists opens its chat.
func (s *Server) postTestCustomer(w http.ResponseWriter, r *http.Request) error {
	if !s.simOn() {
		return errNoSimulator
	}
	if err := form(w, r); err != nil {
		return err
	}
	phone, name := strings.Join(strings.Fields(r.PostFormValue("phone")), ""), strings.TrimSpace(r.PostFormValue("name"))
	c, err := s.addTestCustomer(r.Context(), phone, name)
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			return s.renderInbox(w, r, status, &ui.TestCustomerForm{Phone: r.PostFormValue("phone"), Name: name, Error: msg})
		})
	}
	return s.done(w, r, chatPath(c.ID), flash{notice: "Test customer " + customerName(c) + " is ready: write as them on the phone."})
}

func (s *Server) addTestCustomer(ctx context.Context, phone, name string) (app.Customer, error) {
	// Smartbot's checks first: they say what is wrong in the panel's words.
	if !app.ValidPhone(phone) {
		return app.Customer{}, app.Invalid(app.FieldError{Field: "phone", Message: "must be a phone number with + and the country code, like +15550100123"})
	}
	if err := s.simulator.AddCustomer(phone, name); err != nil {
		return app.Customer{}, err
	}
	return s.messaging.AddCustomer(ctx, phone, name, true)
}

// simPhone is the test customer c's phone: what they sent (Smartbot's
// inbound messages) and received (the simulator's inbox, with the
// statuses their phone has), in order, and the options of the last
// message received.
func (s *Server) simPhone(ctx context.Context, c app.Customer) (*ui.SimPhone, error) {
	p := &ui.SimPhone{Action: chatPath(c.ID, "say"), Phone: c.Phone, Name: customerName(c)}
	sent, _, err := s.db.ListMessages(ctx, store.MessageFilter{CustomerID: c.ID, Direction: app.DirectionIn, Limit: phoneItems})
	if err != nil {
		return nil, err
	}
	type item struct {
		at int64
		b  ui.Bubble
	}
	var items []item
	for _, m := range sent {
		b := ui.Bubble{ID: m.ID, Out: true, Kind: m.Kind, Text: m.Text, Time: displayTime(ctx, m.CreatedAt)}
		inboundBubble(&b, m)
		items = append(items, item{m.CreatedAt.UnixNano(), b})
	}
	inbox := s.simulator.Inbox(c.Phone)
	for _, r := range inbox {
		items = append(items, item{r.At.UnixNano(), phoneBubble(ctx, r)})
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.at, b.at) })
	if len(items) > phoneItems {
		items = items[len(items)-phoneItems:]
	}
	for _, it := range items {
		p.Items = append(p.Items, it.b)
	}
	if len(inbox) > 0 {
		p.Choices = choices(inbox[len(inbox)-1])
	}
	return p, nil
}

// choices are the options of a received message as taps: a poll's
// options are voted by name, buttons and rows answered by id.
func choices(r simulator.Received) []ui.SimChoice {
	name := "reply_id"
	if r.Message.Poll != nil {
		name = "poll_vote"
	}
	var out []ui.SimChoice
	for _, o := range r.Options() {
		out = append(out, ui.SimChoice{Name: name, Value: o.ID, Title: o.Title})
	}
	return out
}

// postSay sends what the test customer typed or tapped. With Datastar the
// answer clears the box, or shows the refusal beside it and keeps the
// text; the stream shows the message on both sides. Without it, back to
// the chat.
func (s *Server) postSay(w http.ResponseWriter, r *http.Request) error {
	c, err := s.chatCustomer(r)
	if err != nil {
		return err
	}
	if !s.simOn() || !c.Simulated {
		return errNoSimulator
	}
	if err := form(w, r); err != nil {
		return err
	}
	said := simulator.Said{Text: strings.TrimSpace(r.PostFormValue("text")), ReplyID: r.PostFormValue("reply_id"), PollVote: r.PostFormValue("poll_vote")}
	if _, err = s.simulator.Say(r.Context(), c.Phone, said); err != nil && said.Text == "" && said.ReplyID == "" && said.PollVote == "" {
		err = app.Errorf(app.EINVALID, "type a message first")
	}
	if err != nil {
		switch app.ErrorCode(err) {
		case app.EINVALID, app.ENOTFOUND, app.EUNAVAILABLE:
		default:
			return err
		}
		msg := sentence(app.ErrorMessage(err))
		if !isDatastar(r) {
			return s.renderConversation(w, r, statusOf[app.ErrorCode(err)], c, conversationForm{say: r.PostFormValue("text"), sayError: msg})
		}
		return datastar.NewSSE(w, r).PatchElementTempl(ui.SayError(msg))
	}
	if !isDatastar(r) {
		return s.done(w, r, chatPath(c.ID), flash{})
	}
	sse := datastar.NewSSE(w, r)
	if said.Text != "" {
		if err := sse.PatchSignals([]byte(`{"say":""}`)); err != nil {
			return err
		}
	}
	return sse.PatchElementTempl(ui.SayError(""))
}
