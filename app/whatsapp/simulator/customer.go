package simulator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"smartbot/app"
)

// Customer is a test customer: a made-up number and the name their phone
// shows (WhatsApp's push name).
type Customer struct {
	Phone string    `json:"phone"`
	Name  string    `json:"name"`
	Added time.Time `json:"added"`
}

// customer is a test customer's phone: what it received and was shown.
type customer struct {
	Customer
	inbox      []*Received
	presence   Presence
	markedRead []string
}

// AddCustomer adds a test customer. phone must be E.164 and not the shop's
// own number. Adding one that exists renames it and keeps its inbox, so a
// script can run twice.
func (s *Simulator) AddCustomer(phone, name string) error {
	if !app.ValidPhone(phone) {
		return app.Invalid(app.FieldError{Field: "phone", Message: "must be an E.164 number: a plus and 7 to 15 digits, like +263771234567"})
	}
	if phone == s.phone {
		return app.Invalid(app.FieldError{Field: "phone", Message: "is the shop's own number; make up another"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chat(phone).Name = strings.TrimSpace(name)
	s.notify()
	return nil
}

// Customers lists the test customers in the order they were added
// (including those the shop messaged first).
func (s *Simulator) Customers() []Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Customer, len(s.customers))
	for i, c := range s.customers {
		out[i] = c.Customer
	}
	return out
}

// chat is the phone of the customer with phone, made on first use;
// callers hold s.mu.
func (s *Simulator) chat(phone string) *customer {
	c := s.byPhone[phone]
	if c == nil {
		c = &customer{Customer: Customer{Phone: phone, Added: s.now()}}
		s.byPhone[phone] = c
		s.customers = append(s.customers, c)
	}
	return c
}

// Said is what a test customer says: text, a tapped reply (with ReplyID),
// a poll vote (PollVote) or a file (MediaRef, MediaKind, MIME, with Text as
// its caption). Only one of the last three at a time.
type Said struct {
	Text string
	// ReplyID is the id of a button or list row of a message the customer
	// received.
	ReplyID string
	// PollVote is an option name of a poll the customer received.
	PollVote string
	// MediaRef is what Options.Open takes to fetch the file later.
	MediaRef  []byte
	MediaKind app.MediaKind
	MIME      string
	FileName  string
	Size      int64
}

// Say makes the customer with phone from send the shop a message, and
// returns it. The handler gets it before Say returns, and its error is
// Say's: the caller learns when the message was not stored. While the shop
// is disconnected or banned (or something of this chat the handler refused
// is still waiting), the message waits at "WhatsApp" like a real one and is
// handed over on reconnecting, in order; Say then returns it and nil.
//
// A reply whose id is among the options of a message the customer
// received (the newest such message wins) carries that option's title as
// Text and quotes that message; any other id goes through with Said.Text,
// as a stale button from before a restart would.
func (s *Simulator) Say(ctx context.Context, from string, in Said) (app.Inbound, error) {
	if !app.ValidPhone(from) {
		return app.Inbound{}, app.Invalid(app.FieldError{Field: "from", Message: "must be an E.164 number, like +263771234567"})
	}
	s.mu.Lock()
	c := s.byPhone[from]
	if c == nil {
		s.mu.Unlock()
		return app.Inbound{}, app.Errorf(app.ENOTFOUND, "no test customer %s: add one first", from)
	}
	if !s.running {
		s.mu.Unlock()
		return app.Inbound{}, &app.Error{Code: app.EUNAVAILABLE, Message: "the simulator is not running", Err: app.ErrNotConnected}
	}
	msg, err := s.inbound(c, in)
	// Behind a kept happening of the same chat it waits its turn too.
	connected := s.state == app.ConnConnected && !s.waiting(from)
	handle := s.handle
	s.mu.Unlock()
	if err != nil {
		return app.Inbound{}, err
	}
	if !connected {
		s.deliver(pending{chat: from, gated: true, h: msg})
		return *msg, nil
	}
	if err := s.call(ctx, handle, pending{chat: from, h: msg}); err != nil {
		return *msg, fmt.Errorf("simulator: %s says %s: %w", from, msg.WAID, err)
	}
	return *msg, nil
}

// inbound builds the message c sends; callers hold s.mu.
func (s *Simulator) inbound(c *customer, in Said) (*app.Inbound, error) {
	media := len(in.MediaRef) > 0 || in.MediaKind != ""
	n := 0
	for _, given := range []bool{in.ReplyID != "", in.PollVote != "", media} {
		if given {
			n++
		}
	}
	if n > 1 {
		return nil, app.Errorf(app.EINVALID, "say one thing at a time: a reply, a poll vote or a file")
	}
	if n == 0 && strings.TrimSpace(in.Text) == "" {
		return nil, app.Errorf(app.EINVALID, "say something: text, a reply, a poll vote or a file")
	}
	m := &app.Inbound{
		WAID: newWAID(),
		From: app.Peer{Chat: app.UserJID(c.Phone), Phone: c.Phone, Name: c.Name},
		At:   s.now(),
		Text: in.Text,
	}
	switch {
	case in.ReplyID != "":
		m.Kind, m.ReplyID, m.Type = app.MessageKindReply, in.ReplyID, "buttonsResponseMessage"
		r, opt := c.option(in.ReplyID)
		if r != nil {
			m.Text, m.QuotedID = opt.Title, r.WAID
			if r.Message.Interactive.List != nil {
				m.Type = "listResponseMessage"
			}
		}
	case in.PollVote != "":
		poll, err := c.poll(in.PollVote)
		if err != nil {
			return nil, err
		}
		m.Kind, m.Type, m.Text = app.MessageKindPollVote, "pollUpdateMessage", ""
		m.PollID, m.PollOptions = poll.WAID, []string{in.PollVote}
	case media:
		switch in.MediaKind {
		case app.MediaImage, app.MediaVideo, app.MediaAudio, app.MediaDocument:
		default:
			return nil, app.Invalid(app.FieldError{Field: "media_kind", Message: "must be image, video, audio or document"})
		}
		if len(in.MediaRef) == 0 || in.MIME == "" {
			return nil, app.Errorf(app.EINVALID, "a file needs its ref and its MIME type")
		}
		m.Kind, m.Type = app.MessageKindMedia, string(in.MediaKind)+"Message"
		m.Media = &app.InboundMedia{Kind: in.MediaKind, MIME: in.MIME, Size: in.Size, FileName: in.FileName, Ref: in.MediaRef}
	default:
		m.Kind, m.Type = app.MessageKindText, "conversation"
	}
	return m, nil
}

// option finds the button or list row id among the interactive messages c
// received, newest first.
func (c *customer) option(id string) (*Received, Option) {
	for i := len(c.inbox) - 1; i >= 0; i-- {
		r := c.inbox[i]
		if r.Message.Interactive == nil {
			continue
		}
		for _, o := range r.Options() {
			if o.ID == id {
				return r, o
			}
		}
	}
	return nil, Option{}
}

// poll finds the newest poll c received that offers name.
func (c *customer) poll(name string) (*Received, error) {
	var last *Received
	for i := len(c.inbox) - 1; i >= 0; i-- {
		r := c.inbox[i]
		if r.Message.Poll == nil {
			continue
		}
		if last == nil {
			last = r
		}
		for _, o := range r.Message.Poll.Options {
			if o == name {
				return r, nil
			}
		}
	}
	if last == nil {
		return nil, app.Errorf(app.EINVALID, "%s has received no poll to vote in", c.Phone)
	}
	return nil, app.Errorf(app.EINVALID, "%q is not an option of the poll %q (%s)", name, last.Message.Poll.Name, strings.Join(last.Message.Poll.Options, ", "))
}

// newWAID makes a WhatsApp-like message id ("3EB0" and 20 hex digits, as
// WhatsApp Web's): 80 random bits, unique in practice.
func newWAID() string {
	var b [10]byte
	rand.Read(b[:])
	return "3EB0" + strings.ToUpper(hex.EncodeToString(b[:]))
}
