package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"
	"github.com/starfederation/datastar-go/datastar"

	"smartbot/app"
	"smartbot/app/messaging"
	"smartbot/store"
	"smartbot/web/ui"
)

// A conversation: one customer's messages as bubbles, live; the reply box
// and the hand-over switch for operators and owners. Viewers see it all
// and change nothing, not even what is unread: opening a chat marks it
// read (and tells the customer's phone, blue ticks) only for those who
// answer it.

// chatSize is how many of the latest messages a conversation shows.
const chatSize = 100

// conversationForm is what a refused form sends back to the page: the
// text typed and why it was refused.
type conversationForm struct {
	reply, replyError string
	say, sayError     string
}

// chatCustomer reads the customer the URL names.
func (s *Server) chatCustomer(r *http.Request) (app.Customer, error) {
	if s.messaging == nil {
		return app.Customer{}, errNoMessaging
	}
	id, err := pathIDOf(r, "customer", app.PrefixCustomer, "customer")
	if err != nil {
		return app.Customer{}, app.Errorf(app.ENOTFOUND, "this conversation does not exist: the link is wrong")
	}
	return s.db.Customer(r.Context(), id)
}

func (s *Server) pageConversation(w http.ResponseWriter, r *http.Request) error {
	c, err := s.chatCustomer(r)
	if err != nil {
		return err
	}
	if layout(r, "", "").User.CanOperate() {
		if err := s.messaging.MarkRead(r.Context(), c.ID); err != nil {
			return err
		}
	}
	return s.renderConversation(w, r, http.StatusOK, c, conversationForm{})
}

func (s *Server) renderConversation(w http.ResponseWriter, r *http.Request, status int, c app.Customer, f conversationForm) error {
	ctx := r.Context()
	bubbles, truncated, err := s.chatBubbles(ctx, c.ID)
	if err != nil {
		return err
	}
	l, _ := s.frame(w, r, customerName(c), "inbox")
	can := l.User.CanOperate()
	p := ui.ConversationPage{Layout: l, Bubbles: bubbles, Truncated: truncated, CanOperate: can,
		Customer: ui.ChatCustomer{ID: c.ID, Name: customerName(c), Phone: c.Phone, Test: c.Simulated},
		Reply:    ui.ReplyBox{Action: chatPath(c.ID, "reply"), Text: f.reply, Error: f.replyError},
		Handover: handoverToggle(ctx, c, can), Stream: chatPath(c.ID, "stream")}
	if s.withPhone(c, can) {
		if p.Phone, err = s.simPhone(ctx, c); err != nil {
			return err
		}
		p.Phone.Text, p.Phone.Error = f.say, f.sayError
	}
	return render(w, r, status, ui.Conversation(p))
}

// withPhone reports whether the chat shows the simulator's phone: a test
// customer's, to someone who may write as them.
func (s *Server) withPhone(c app.Customer, canOperate bool) bool {
	return canOperate && c.Simulated && s.simOn()
}

// chatBubbles reads the latest messages of a chat, oldest first, and
// whether there are older ones.
func (s *Server) chatBubbles(ctx context.Context, customerID string) ([]ui.Bubble, bool, error) {
	list, next, err := s.db.ListMessages(ctx, store.MessageFilter{CustomerID: customerID, Limit: chatSize})
	if err != nil {
		return nil, false, err
	}
	names := s.templateNames()
	bubbles := make([]ui.Bubble, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		bubbles = append(bubbles, s.bubble(ctx, list[i], names))
	}
	return bubbles, next != "", nil
}

func handoverToggle(ctx context.Context, c app.Customer, can bool) ui.HandoverToggle {
	return ui.HandoverToggle{Action: chatPath(c.ID, "handover"), On: c.Handover != nil, Since: displayTimePtr(ctx, c.Handover), Can: can}
}

// streamConversation keeps a chat current: a new message is appended as
// one bubble, a receipt re-draws only its bubble (the ticks), and the
// refresh re-reads the whole chat, the hand-over and the phone, patching
// what differs from what the page shows.
func (s *Server) streamConversation(w http.ResponseWriter, r *http.Request) error {
	c, err := s.chatCustomer(r)
	if err != nil {
		return err
	}
	can := layout(r, "", "").User.CanOperate()
	phone := s.withPhone(c, can)
	names := s.templateNames()
	listID := "bubbles " + c.ID
	var shown []ui.Bubble // what this stream's page shows
	patchList := func(ctx context.Context, st *stream, bubbles []ui.Bubble) error {
		shown = bubbles
		return st.patch(ctx, listID, fragmentKey(ctx, bubbles), func() templ.Component { return ui.Bubbles(bubbles) })
	}
	refresh := func(ctx context.Context, st *stream) error {
		bubbles, _, err := s.chatBubbles(ctx, c.ID)
		if err != nil {
			return err
		}
		if err := patchList(ctx, st, bubbles); err != nil {
			return err
		}
		cur, err := s.db.Customer(ctx, c.ID)
		if err != nil {
			return err
		}
		h := handoverToggle(ctx, cur, can)
		if err := st.patch(ctx, "handover "+c.ID, fragmentKey(ctx, h), func() templ.Component { return ui.HandoverView(h) }); err != nil {
			return err
		}
		if !phone {
			return nil
		}
		p, err := s.simPhone(ctx, cur)
		if err != nil {
			return err
		}
		return st.patch(ctx, "sim-screen "+c.ID, fragmentKey(ctx, *p), func() templ.Component { return ui.SimPhoneScreen(*p) })
	}
	onChange := func(ctx context.Context, st *stream, ch messaging.Change) error {
		m := ch.Message
		if m == nil || m.CustomerID != c.ID {
			return nil
		}
		if can && m.Direction == app.DirectionIn {
			// The chat is open in front of someone who answers it.
			if err := s.messaging.MarkRead(ctx, c.ID); err != nil {
				return err
			}
		}
		b := s.bubble(ctx, *m, names)
		next, build := stepBubble(shown, b)
		if build == nil {
			return patchList(ctx, st, next)
		}
		ok, err := st.step(ctx, listID, fragmentKey(ctx, shown), fragmentKey(ctx, next), build)
		if err != nil || ok {
			shown = next
			return err
		}
		return patchList(ctx, st, next)
	}
	var wake func() <-chan struct{}
	if phone {
		// The phone shows the simulator's side: its statuses move on the
		// simulator's clock.
		wake = s.simulator.Changed
	}
	return s.liveMessages(w, r, wake, refresh, onChange)
}

// stepBubble is the chat shown with b put in: the list after, and the
// patches that take the page there, one bubble's worth. A nil build means
// the whole list must go (the page showed no bubble yet).
func stepBubble(shown []ui.Bubble, b ui.Bubble) ([]ui.Bubble, func(*datastar.ServerSentEventGenerator) error) {
	next := slices.Clone(shown)
	if i := slices.IndexFunc(next, func(x ui.Bubble) bool { return x.ID == b.ID }); i >= 0 {
		next[i] = b
		return next, func(sse *datastar.ServerSentEventGenerator) error { return sse.PatchElementTempl(ui.BubbleItem(b)) }
	}
	if len(shown) == 0 {
		return append(next, b), nil
	}
	next = append(next, b)
	var gone string
	if len(next) > chatSize {
		gone, next = next[0].ID, next[1:]
	}
	return next, func(sse *datastar.ServerSentEventGenerator) error {
		err := sse.PatchElementTempl(ui.BubbleItem(b), datastar.WithSelector("#bubbles"), datastar.WithModeAppend())
		if err == nil && gone != "" {
			err = sse.RemoveElementByID("msg-" + gone)
		}
		return err
	}
}

// sender names the signed-in person on the messages they send.
func sender(r *http.Request) string {
	return layout(r, "", "").User.Email
}

// postReply sends the operator's text to the customer. With Datastar the
// answer empties the box, or shows the refusal beside it and keeps the
// text; the stream shows the bubble and its ticks. Without it, a plain
// post that comes back to the chat.
func (s *Server) postReply(w http.ResponseWriter, r *http.Request) error {
	c, err := s.chatCustomer(r)
	if err != nil {
		return err
	}
	if err := form(w, r); err != nil {
		return err
	}
	text := lf(r.PostFormValue("text"))
	if strings.TrimSpace(text) == "" {
		err = app.Errorf(app.EINVALID, "write a reply first")
	} else {
		_, err = s.messaging.Send(r.Context(), messaging.Outbound{CustomerID: c.ID, Text: text, SentBy: sender(r)})
	}
	if err != nil {
		if code := app.ErrorCode(err); code != app.EINVALID && code != app.ECONFLICT {
			return err
		}
		msg := refusal("", err)
		if !isDatastar(r) {
			return s.renderConversation(w, r, statusOf[app.ErrorCode(err)], c, conversationForm{reply: text, replyError: msg})
		}
		return datastar.NewSSE(w, r).PatchElementTempl(ui.ReplyError(msg))
	}
	if !isDatastar(r) {
		return s.done(w, r, chatPath(c.ID), flash{})
	}
	sse := datastar.NewSSE(w, r)
	if err := sse.PatchSignals([]byte(`{"reply":""}`)); err != nil {
		return err
	}
	return sse.PatchElementTempl(ui.ReplyError(""))
}

// postHandover hands the chat to a person (on=1: the bot stays quiet) or
// back to the bot.
func (s *Server) postHandover(w http.ResponseWriter, r *http.Request) error {
	c, err := s.chatCustomer(r)
	if err != nil {
		return err
	}
	if err := form(w, r); err != nil {
		return err
	}
	on := r.PostFormValue("on") == "1"
	if c, err = s.messaging.SetHandover(r.Context(), c.ID, on); err != nil {
		return err
	}
	if !isDatastar(r) {
		notice := "The bot answers " + customerName(c) + " again."
		if on {
			notice = "You are answering " + customerName(c) + ": the bot stays quiet in this chat."
		}
		return s.done(w, r, chatPath(c.ID), flash{notice: notice})
	}
	return datastar.NewSSE(w, r).PatchElementTempl(ui.HandoverView(handoverToggle(r.Context(), c, true)))
}
