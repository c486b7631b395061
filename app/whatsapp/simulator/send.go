package simulator

import (
	"context"
	"fmt"
	"io"
	"time"

	"smartbot/app"
)

// Received is one message as the test customer's phone shows it.
type Received struct {
	WAID    string
	Message app.Outgoing
	At      time.Time // when the shop sent it
	// Status is sent, delivered or read, as the customer's phone has it:
	// it moves on the simulator's clock even while the shop is offline
	// (only the receipts wait for the shop).
	Status      string
	DeliveredAt time.Time
	ReadAt      time.Time
}

// Option is a choice a message offers: a reply button, a list row, or a
// poll option (whose ID is its name, which is what a vote carries).
type Option struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Options are the choices r offers the customer, in the order shown.
func (r Received) Options() []Option {
	var opts []Option
	if in := r.Message.Interactive; in != nil {
		for _, b := range in.Buttons {
			opts = append(opts, Option{ID: b.ID, Title: b.Title})
		}
		if in.List != nil {
			for _, sec := range in.List.Sections {
				for _, row := range sec.Rows {
					opts = append(opts, Option{ID: row.ID, Title: row.Title})
				}
			}
		}
	}
	if r.Message.Poll != nil {
		for _, name := range r.Message.Poll.Options {
			opts = append(opts, Option{ID: name, Title: name})
		}
	}
	return opts
}

// Presence is what a chat was shown of the shop's typing.
type Presence struct {
	On, Off int  // Typing calls with on, and with off
	Typing  bool // "typing…" shows now; a message from the shop clears it
}

// sentMessage is what the simulator keeps of one WAID.
type sentMessage struct {
	result     app.SendResult
	attempts   int // Send calls with this WAID that reached WhatsApp
	deliveries int // copies put in the inbox: 1, or the dedup is broken
}

// Send puts m in the inbox of the chat's customer and schedules its
// receipts. A chat that is no test customer yet becomes one (with no name):
// the shop may message any real-looking number, and the panel then shows
// its chat. A Send with a WAID already taken delivers nothing and returns
// the first result, as WhatsApp does for a message id it has seen.
//
// Errors: app.ErrNotConnected (wrapped) while stopped, disconnected or
// banned; a non-permanent *app.SendError for a simulated send error or lost
// ack; a permanent *app.SendError for a message WhatsApp would refuse.
func (s *Simulator) Send(ctx context.Context, m app.Outgoing) (app.SendResult, error) {
	if err := ctx.Err(); err != nil {
		return app.SendResult{}, err
	}
	phone := app.PhoneOfJID(m.To)
	if err := refused(m, phone); err != nil {
		return app.SendResult{}, err
	}
	s.mu.Lock()
	if err := s.notConnected(); err != nil {
		s.mu.Unlock()
		return app.SendResult{}, err
	}
	if s.failSends > 0 {
		s.failSends--
		s.mu.Unlock()
		return app.SendResult{}, &app.SendError{Reason: "simulated send error"}
	}
	if prev, ok := s.sent[m.WAID]; ok {
		prev.attempts++
		s.mu.Unlock()
		return prev.result, nil
	}
	res := app.SendResult{WAID: m.WAID, At: s.now()}
	c := s.chat(phone)
	r := &Received{WAID: m.WAID, Message: m, At: res.At, Status: app.MessageSentStatus}
	c.inbox = append(c.inbox, r)
	c.presence.Typing = false
	// Counted as it lands, not assumed: Deliveries must show a double
	// delivery if the dedup above ever breaks.
	sm := s.sent[m.WAID]
	if sm == nil {
		sm = &sentMessage{result: res}
		s.sent[m.WAID] = sm
	}
	sm.attempts++
	sm.deliveries++
	s.total++
	s.scheduleReceipt(phone, r)
	lostAck := s.loseAcks > 0
	if lostAck {
		s.loseAcks--
	}
	s.notify()
	s.mu.Unlock()

	if s.onSend != nil {
		s.onSend(m)
	}
	if lostAck {
		return app.SendResult{}, &app.SendError{Reason: "simulated lost acknowledgement: WhatsApp took the message but its answer never came"}
	}
	return res, nil
}

// refused is the permanent error WhatsApp would give m, or nil.
func refused(m app.Outgoing, phone string) error {
	bad := func(format string, args ...any) error {
		return &app.SendError{Permanent: true, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case m.WAID == "":
		return bad("the message has no WhatsApp id")
	case phone == "":
		return bad("not a WhatsApp user: %q", m.To)
	}
	switch m.Kind {
	case app.MessageKindText:
		if m.Text == "" {
			return bad("a text message needs text")
		}
	case app.MessageKindMedia:
		if m.Media == nil {
			return bad("a media message needs a file")
		}
	case app.MessageKindInteractive:
		if in := m.Interactive; in == nil || (len(in.Buttons) == 0 && in.List == nil) {
			return bad("an interactive message needs buttons or a list")
		}
	case app.MessageKindPoll:
		if m.Poll == nil || len(m.Poll.Options) < 2 || len(m.Poll.Options) > 12 {
			return bad("a poll needs 2 to 12 options")
		}
	case app.MessageKindReaction:
		if m.ReplyTo == "" {
			return bad("a reaction needs the message it reacts to")
		}
	default:
		return bad("unknown message kind %q", m.Kind)
	}
	return nil
}

// notConnected is why nothing can be sent now, or nil; callers hold s.mu.
func (s *Simulator) notConnected() error {
	switch {
	case !s.running:
		return fmt.Errorf("simulator: not started: %w", app.ErrNotConnected)
	case s.state == app.ConnBanned:
		return fmt.Errorf("simulator: %s until %s: %w", s.reason, s.until.Format(time.RFC3339), app.ErrNotConnected)
	case s.state != app.ConnConnected:
		return fmt.Errorf("simulator: %s: %w", s.reason, app.ErrNotConnected)
	}
	return nil
}

// scheduleReceipt arranges r's next status on the customer's phone;
// callers hold s.mu. Read is timed from the send, like delivered, but
// never comes first.
func (s *Simulator) scheduleReceipt(phone string, r *Received) {
	switch {
	case r.Status == app.MessageSentStatus && s.deliveredAfter >= 0:
		s.schedule(s.deliveredAfter, func() { s.advance(phone, r, app.MessageDelivered) })
	case r.Status == app.MessageDelivered && s.readAfter >= 0:
		s.schedule(max(0, s.readAfter-s.deliveredAfter), func() { s.advance(phone, r, app.MessageRead) })
	}
}

// advance moves r to status on the phone and reports it to the shop. Each
// status has one timer, armed by the one before it, so none comes twice.
func (s *Simulator) advance(phone string, r *Received, status string) {
	s.mu.Lock()
	at := s.now()
	r.Status = status
	if status == app.MessageDelivered {
		r.DeliveredAt = at
	} else {
		r.ReadAt = at
	}
	s.scheduleReceipt(phone, r)
	s.notify()
	s.mu.Unlock()
	s.deliver(pending{chat: phone, gated: true, h: &app.Receipt{
		Chat: app.UserJID(phone), WAIDs: []string{r.WAID}, Status: status, At: at,
	}})
}

// Typing records "typing…" shown (or cleared) in chat.
func (s *Simulator) Typing(ctx context.Context, chat string, on bool) error {
	phone := app.PhoneOfJID(chat)
	if phone == "" {
		return app.Errorf(app.EINVALID, "simulator: typing: %q is not a phone-number chat", chat)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.notConnected(); err != nil {
		return err
	}
	p := &s.chat(phone).presence
	if on {
		p.On++
	} else {
		p.Off++
	}
	p.Typing = on
	s.notify()
	return nil
}

// MarkRead records that the shop read waIDs in chat (sender matters only
// in groups, which the simulator has none of).
func (s *Simulator) MarkRead(ctx context.Context, chat, sender string, waIDs []string) error {
	phone := app.PhoneOfJID(chat)
	if phone == "" {
		return app.Errorf(app.EINVALID, "simulator: mark read: %q is not a phone-number chat", chat)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.notConnected(); err != nil {
		return err
	}
	c := s.chat(phone)
	c.markedRead = append(c.markedRead, waIDs...)
	s.notify()
	return nil
}

// Download opens the file a test customer sent, through Options.Open.
func (s *Simulator) Download(ctx context.Context, m *app.InboundMedia) (io.ReadCloser, error) {
	if m == nil || len(m.Ref) == 0 {
		return nil, app.Errorf(app.EINVALID, "simulator: download: the message carries no file")
	}
	if s.open == nil {
		return nil, app.Errorf(app.EUNSUPPORTED, "simulator: download: this simulator has no files to download")
	}
	f, err := s.open(ctx, m.Ref)
	if err != nil {
		return nil, fmt.Errorf("simulator: download %s: %w", m.Ref, err)
	}
	return f, nil
}

// Inbox is what the customer with phone received, oldest first.
func (s *Simulator) Inbox(phone string) []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.byPhone[phone]
	if c == nil {
		return nil
	}
	out := make([]Received, len(c.inbox))
	for i, r := range c.inbox {
		out[i] = *r
	}
	return out
}

// WaitInbox waits until the customer with phone has received at least n
// messages, and returns the inbox then.
func (s *Simulator) WaitInbox(ctx context.Context, phone string, n int) ([]Received, error) {
	for {
		changed := s.Changed()
		if in := s.Inbox(phone); len(in) >= n {
			return in, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("simulator: wait for %d messages to %s: %w", n, phone, ctx.Err())
		case <-changed:
		}
	}
}

// Deliveries is how many copies of the message waid reached the customer:
// 0 or 1. A retried send that reuses its WAID keeps it at 1; one that
// makes a new WAID shows as a second message in the Inbox.
func (s *Simulator) Deliveries(waid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.sent[waid]; m != nil {
		return m.deliveries
	}
	return 0
}

// Attempts is how many Send calls with waid reached the simulated WhatsApp
// (the refused ones not counted).
func (s *Simulator) Attempts(waid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.sent[waid]; m != nil {
		return m.attempts
	}
	return 0
}

// TotalDeliveries is how many messages reached customers in all.
func (s *Simulator) TotalDeliveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Presence is the shop's typing as the chat with phone saw it.
func (s *Simulator) Presence(phone string) Presence {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.byPhone[phone]; c != nil {
		return c.presence
	}
	return Presence{}
}

// MarkedRead lists the ids of the customer's messages the shop marked read,
// in the order it did.
func (s *Simulator) MarkedRead(phone string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.byPhone[phone]; c != nil {
		return append([]string(nil), c.markedRead...)
	}
	return nil
}
