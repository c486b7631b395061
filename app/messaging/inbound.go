package messaging

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"smartbot/app"
	"smartbot/app/template"
	"smartbot/queue"
	"smartbot/store"
)

// Handle is the transports' InboundHandler: it stores what WhatsApp
// reported and returns once it is committed, so the transport acknowledges
// only what is safe. It does no slow work: what takes time (the bot's
// answer, a download) is enqueued in the same transaction.
func (s *Service) Handle(ctx context.Context, h app.Happening) error {
	switch h := h.(type) {
	case *app.Inbound:
		_, err := s.Receive(ctx, h)
		return err
	case *app.Receipt:
		return s.receipt(ctx, h)
	case *app.ConnectionChange:
		return s.connection(ctx, h)
	}
	return fmt.Errorf("messaging: unknown happening %T", h)
}

// Receive stores one inbound message with its customer and a
// message_received event, and runs the OnInbound hook, in one transaction.
// A message WhatsApp gives twice (the same WhatsApp id) is stored once and
// stored is false the second time.
func (s *Service) Receive(ctx context.Context, in *app.Inbound) (stored bool, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		stored, err = s.ReceiveTx(ctx, tx, in)
		return err
	})
	return stored, err
}

// ReceiveTx is Receive inside tx.
func (s *Service) ReceiveTx(ctx context.Context, tx *store.Tx, in *app.Inbound) (bool, error) {
	if in.WAID == "" {
		return false, app.Errorf(app.EINVALID, "an inbound message without a WhatsApp id cannot be stored")
	}
	c, err := tx.CustomerForPeer(ctx, in.From, s.simulated(), true)
	if err != nil {
		return false, err
	}
	if in.Kind == app.MessageKindPollVote && in.ReplyID == "" {
		in.ReplyID = s.pollChoice(ctx, tx, in)
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return false, err
	}
	at := in.At
	if at.IsZero() {
		at = s.now()
	}
	m := app.Message{ID: app.NewID(app.PrefixMessage), CustomerID: c.ID, Phone: c.Phone, Chat: in.From.Chat,
		Direction: app.DirectionIn, Kind: in.Kind, Text: in.Text, Payload: raw, Status: app.MessageReceivedStatus,
		WAID: in.WAID, CreatedAt: at}
	if !knownKind(m.Kind) {
		m.Kind = app.MessageKindUnsupported
	}
	inserted, err := tx.InsertMessage(ctx, &m)
	if err != nil || !inserted {
		return false, err
	}
	_, err = s.emitter.Emit(ctx, tx, app.MessageReceivedData{MessageID: m.ID, CustomerID: c.ID, Phone: c.Phone,
		Kind: m.Kind, Text: m.Text, ReplyID: in.ReplyID})
	if err != nil {
		return false, err
	}
	if in.Media != nil {
		if err := s.enqueueDownload(ctx, tx, m); err != nil {
			return false, err
		}
	}
	if s.onInbound != nil {
		if err := s.onInbound(ctx, tx, c, m, in); err != nil {
			return false, err
		}
	}
	s.tellAfterCommit(tx, m)
	return true, nil
}

// pollChoice maps a poll vote back to the option id of the poll it answers.
func (s *Service) pollChoice(ctx context.Context, tx *store.Tx, in *app.Inbound) string {
	poll, err := tx.MessageByWAID(ctx, in.PollID)
	if err != nil {
		return ""
	}
	p, err := decodePayload(poll.Payload)
	if err != nil {
		return ""
	}
	options := make([]template.Option, len(p.Options))
	for i, o := range p.Options {
		options[i] = template.Option{ID: o.ID, Title: o.Title}
	}
	reply := template.Reply{}
	switch {
	case len(in.PollOptions) > 0:
		reply.PollOption = in.PollOptions[0]
	case len(in.PollHashes) > 0:
		reply.PollHash = in.PollHashes[0]
	}
	id, _ := template.Match(options, reply)
	return id
}

func knownKind(k string) bool {
	switch k {
	case app.MessageKindText, app.MessageKindInteractive, app.MessageKindMedia, app.MessageKindReply, app.MessageKindPoll,
		app.MessageKindPollVote, app.MessageKindReaction, app.MessageKindLocation, app.MessageKindContact, app.MessageKindUnsupported:
		return true
	}
	return false
}

// simulated reports whether the transport in use is the simulator: its
// customers are test customers.
func (s *Service) simulated() bool {
	return s.Status().Transport == app.TransportSimulator
}

// receipt moves the messages it names forward.
func (s *Service) receipt(ctx context.Context, r *app.Receipt) error {
	status := r.Status
	if status != app.MessageRead {
		status = app.MessageDelivered
	}
	at := r.At
	if at.IsZero() {
		at = s.now()
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		moved, err := tx.ApplyReceipt(ctx, r.WAIDs, status, at)
		for _, m := range moved {
			s.tellAfterCommit(tx, m)
		}
		return err
	})
}

// connection records a connection change: the status the panel shows, the
// bot_connected and bot_disconnected events on a change between up and
// down, and the sending queue paused while down.
func (s *Service) connection(ctx context.Context, c *app.ConnectionChange) error {
	prev := s.Status()
	st := prev
	st.State, st.Reason, st.Until, st.QR = c.State, c.Reason, c.Until, c.QR
	if c.Phone != "" {
		st.Phone = c.Phone
	}
	if t := s.Transport(); t != nil {
		st.Transport = t.Status().Transport
	}
	if st.State != prev.State {
		st.Since = c.At
		if st.Since.IsZero() {
			st.Since = s.now()
		}
	}
	up, wasUp := st.State == app.ConnConnected, prev.State == app.ConnConnected
	var data app.EventData
	switch {
	case up && !wasUp:
		data = app.BotConnectedData{JID: app.UserJID(st.Phone), Phone: st.Phone}
		if st.Phone == "" {
			data = app.BotConnectedData{}
		}
	case !up && wasUp:
		data = app.BotDisconnectedData{Reason: disconnectReason(st), LoggedOut: st.State == app.ConnLoggedOut}
	}
	if data != nil {
		err := s.db.Write(ctx, func(tx *store.Tx) error {
			_, err := s.emitter.Emit(ctx, tx, data)
			return err
		})
		if err != nil {
			return err
		}
	}
	s.setStatus(st)
	if s.runner != nil {
		if up {
			s.runner.Resume(queue.MessageSending)
		} else {
			s.runner.Pause(queue.MessageSending)
		}
	}
	s.watchers.tell(Change{Status: &st})
	return nil
}

func disconnectReason(st app.TransportStatus) string {
	r := st.Reason
	if r == "" {
		r = st.State
	}
	if st.State == app.ConnBanned && !st.Until.IsZero() {
		r += " until " + st.Until.UTC().Format(time.RFC3339)
	}
	return r
}
