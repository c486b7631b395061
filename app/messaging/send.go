package messaging

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
)

// TextMax is the most characters a WhatsApp text message may have.
const TextMax = 4096

// Outbound is a message to send: to a customer (CustomerID, or To, a phone
// number in E.164), one of Text, Template or MediaID (with Caption).
type Outbound struct {
	CustomerID string       `json:"customer_id,omitempty"`
	To         string       `json:"to,omitempty"`
	Text       string       `json:"text,omitempty"`
	Template   *TemplateRef `json:"template,omitempty"`
	MediaID    string       `json:"media_id,omitempty"`
	Caption    string       `json:"caption,omitempty"`
	// ReplyTo is the id of an inbound message to quote.
	ReplyTo string `json:"reply_to,omitempty"`
	// SentBy names the person who wrote it (from the inbox), if any.
	SentBy string `json:"-"`
}

// TemplateRef names a template (by id or name) and its values.
type TemplateRef struct {
	ID        string         `json:"id,omitempty"`
	Name      string         `json:"name,omitempty"`
	Variables map[string]any `json:"variables,omitempty"`
}

// sendJob is a message_sending job's body.
type sendJob struct {
	MessageID string `json:"message_id"`
}

// Send queues in for sending. It returns the stored messages: one, or two
// when a template goes as a poll that needs an intro before it.
func (s *Service) Send(ctx context.Context, in Outbound) (ms []app.Message, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		ms, err = s.SendTx(ctx, tx, in)
		return err
	})
	return ms, err
}

// SendTx is Send inside tx: the messages, their jobs and audit rows commit
// or roll back with the caller's change.
func (s *Service) SendTx(ctx context.Context, tx *store.Tx, in Outbound) ([]app.Message, error) {
	set := 0
	for _, b := range []bool{in.Text != "", in.Template != nil, in.MediaID != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		return nil, app.Invalid(app.FieldError{Field: "text", Message: "give exactly one of text, template or media_id"})
	}
	c, err := s.recipient(ctx, tx, in)
	if err != nil {
		return nil, err
	}
	var parts []app.Message
	switch {
	case in.Text != "":
		if e := app.CheckText("text", in.Text, TextMax, true); e != nil {
			return nil, app.Invalid(*e)
		}
		parts = append(parts, outgoing(app.MessageKindText, in.Text, payload{Outgoing: app.Outgoing{Kind: app.MessageKindText, Text: in.Text}}))
	case in.MediaID != "":
		p, err := s.mediaPayload(ctx, in.MediaID, in.Caption)
		if err != nil {
			return nil, err
		}
		m := outgoing(app.MessageKindMedia, in.Caption, p)
		m.MediaID = in.MediaID
		parts = append(parts, m)
	default:
		if s.render == nil {
			return nil, app.Errorf(app.EUNAVAILABLE, "templates cannot be sent: no renderer is configured")
		}
		r, err := s.render(ctx, *in.Template)
		if err != nil {
			return nil, err
		}
		for i, o := range r.Parts {
			p := payload{Outgoing: o}
			if i == len(r.Parts)-1 {
				p.Options = r.Options
			}
			m := outgoing(app.MessageKindTemplate, partText(o), p)
			m.TemplateID, m.TemplateVersion = r.TemplateID, r.Version
			if o.Media != nil {
				m.MediaID = o.Media.MediaID
			}
			parts = append(parts, m)
		}
	}
	if in.ReplyTo != "" {
		q, err := tx.Message(ctx, in.ReplyTo)
		if err != nil || q.CustomerID != c.ID || q.WAID == "" {
			return nil, app.Invalid(app.FieldError{Field: "reply_to", Message: "is not a message of this chat"})
		}
		parts[0].Payload = withReply(parts[0].Payload, q)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	for i := range parts {
		m := &parts[i]
		m.ID, m.CustomerID, m.Phone, m.Chat, m.SentBy = app.NewID(app.PrefixMessage), c.ID, c.Phone, c.JID, in.SentBy
		// Parts of one send keep their order: the sender goes by time.
		m.CreatedAt = now.Add(time.Duration(i) * time.Millisecond)
		m.WAID = newWAID()
		if _, err := tx.InsertMessage(ctx, m); err != nil {
			return nil, err
		}
		body, _ := json.Marshal(sendJob{MessageID: m.ID})
		if err := s.queues.Send(ctx, tx, queue.MessageSending, body); err != nil {
			return nil, err
		}
		s.tellAfterCommit(tx, *m)
	}
	return parts, nil
}

// recipient finds (or, for a new phone number, creates) the customer in
// names.
func (s *Service) recipient(ctx context.Context, tx *store.Tx, in Outbound) (app.Customer, error) {
	if in.CustomerID != "" {
		if !app.ValidID(app.PrefixCustomer, in.CustomerID) {
			return app.Customer{}, app.Invalid(app.FieldError{Field: "customer_id", Message: "is not a customer id (cus_…)"})
		}
		c, err := tx.Customer(ctx, in.CustomerID)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return c, app.Invalid(app.FieldError{Field: "customer_id", Message: "names no customer"})
		}
		return c, err
	}
	if !app.ValidPhone(in.To) {
		return app.Customer{}, app.Invalid(app.FieldError{Field: "to", Message: "must be a phone number in E.164 form, like +263771234567"})
	}
	c, err := tx.CustomerByPhone(ctx, in.To)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return tx.CustomerForPeer(ctx, app.Peer{Chat: app.UserJID(in.To), Phone: in.To}, false, false)
	}
	return c, err
}

// mediaPayload is the payload of a media message: the file, which must be
// a ready one, and its caption.
func (s *Service) mediaPayload(ctx context.Context, id, caption string) (payload, error) {
	if e := app.CheckText("caption", caption, 1024, true); e != nil {
		return payload{}, app.Invalid(*e)
	}
	o, err := fileMessage(ctx, id, caption, s.media)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return payload{}, app.Invalid(app.FieldError{Field: "media_id", Message: "names no media file"})
	}
	if e, ok := err.(*app.Error); ok && e.Code == app.EINVALID {
		return payload{}, app.Invalid(app.FieldError{Field: "media_id", Message: "is not ready: wait for it to be processed"})
	}
	return payload{Outgoing: o}, err
}

func outgoing(kind, text string, p payload) app.Message {
	raw, _ := json.Marshal(p)
	return app.Message{Direction: app.DirectionOut, Kind: kind, Text: text, Payload: raw, Status: app.MessageQueued}
}

func withReply(raw json.RawMessage, q app.Message) json.RawMessage {
	p, _ := decodePayload(raw)
	p.Outgoing.ReplyTo, p.Outgoing.ReplyToText = q.WAID, q.Text
	b, _ := json.Marshal(p)
	return b
}

// partText is the text the inbox shows for an outgoing part.
func partText(o app.Outgoing) string {
	switch {
	case o.Poll != nil:
		return o.Poll.Name
	case o.Interactive != nil:
		return o.Interactive.Body
	}
	return o.Text
}

// newWAID returns a fresh WhatsApp message id, in the form WhatsApp Web
// uses: 3EB0 and 18 hex digits.
func newWAID() string {
	var b [9]byte
	rand.Read(b[:])
	return "3EB0" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// Process is the message_sending handler: it sends one queued message when
// the pacing lets it, and records the result. It may run twice after a
// crash and does not send twice what it recorded.
func (s *Service) Process(ctx context.Context, job queue.Job) error {
	var body sendJob
	if err := json.Unmarshal(job.Body, &body); err != nil || body.MessageID == "" {
		return queue.Permanent(fmt.Errorf("messaging: job %s: not a send job: %s", job.ID, job.Body))
	}
	m, err := s.db.Message(ctx, body.MessageID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Status != app.MessageQueued && m.Status != app.MessageFailed {
		return nil // sent already: a job that ran twice
	}
	t := s.Transport()
	if t == nil || s.Status().State != app.ConnConnected {
		s.pauseWhileDown()
		return queue.Snooze(10 * time.Second)
	}
	if earlier, err := s.db.EarlierQueued(ctx, m); err != nil {
		return err
	} else if earlier {
		return queue.Snooze(time.Second)
	}
	c, err := s.db.Customer(ctx, m.CustomerID)
	if err != nil {
		return err
	}
	now := s.now()
	cold := c.LastInboundAt == nil || now.Sub(*c.LastInboundAt) > 24*time.Hour
	if wait, done := s.typingWait(m.ID, now); !done {
		if wait, _ := s.pacer.admit(m.Chat, cold, now, s.jitter(s.pacer.jitterMax())); wait > 0 {
			return queue.Snooze(wait)
		}
		if d := s.pacer.typing(utf8.RuneCountInString(m.Text)); d > 0 && !cold {
			if err := t.Typing(ctx, m.Chat, true); err == nil {
				s.typing.Store(m.ID, now.Add(d))
				return queue.Snooze(d)
			}
		}
	} else if wait > 0 {
		return queue.Snooze(wait)
	}
	p, err := decodePayload(m.Payload)
	if err != nil {
		return queue.Permanent(fmt.Errorf("messaging: message %s: bad payload: %w", m.ID, err))
	}
	out := p.Outgoing
	out.WAID, out.To = m.WAID, m.Chat
	if out.Media != nil {
		if err := s.attachFile(ctx, out.Media); err != nil {
			return s.fail(ctx, m, job, err, app.ErrorCode(err) == app.ENOTFOUND)
		}
	}
	res, err := t.Send(ctx, out)
	s.typing.Delete(m.ID)
	if err != nil {
		return s.sendFailed(ctx, m, job, err)
	}
	s.pacer.succeeded()
	return s.recordSent(ctx, m, res, cold)
}

// typingWait reports whether the message already showed typing (done) and
// how much of it is left.
func (s *Service) typingWait(id string, now time.Time) (time.Duration, bool) {
	v, ok := s.typing.Load(id)
	if !ok {
		return 0, false
	}
	return max(v.(time.Time).Sub(now), 0), true
}

// attachFile fills in the file to send and its inline thumbnail.
func (s *Service) attachFile(ctx context.Context, om *app.OutgoingMedia) error {
	if s.media == nil {
		return app.Errorf(app.ENOTFOUND, "no media library is configured")
	}
	rec, err := s.media.Media(ctx, om.MediaID)
	if err != nil {
		return err
	}
	path, err := s.media.SendPath(rec)
	if err != nil {
		return err
	}
	om.Path, om.Thumbnail = path, rec.Inline
	return nil
}

// sendFailed decides what a send error means: not connected pauses and
// waits; a permanent refusal fails the message; another error is retried,
// and enough of them in a row open the breaker.
func (s *Service) sendFailed(ctx context.Context, m app.Message, job queue.Job, err error) error {
	if errors.Is(err, app.ErrNotConnected) || errors.Is(err, app.ErrNotPaired) {
		return queue.Snooze(10 * time.Second)
	}
	var se *app.SendError
	if errors.As(err, &se) && se.Permanent {
		return s.fail(ctx, m, job, err, true)
	}
	if open := s.pacer.failed(s.now()); open > 0 {
		s.log.Warn("send circuit breaker open", "for", open.String(), "error", err)
	}
	return s.fail(ctx, m, job, err, false)
}

// fail returns err for the runner; on the last attempt, or when the error
// is permanent, the message is marked failed with the reason first.
func (s *Service) fail(ctx context.Context, m app.Message, job queue.Job, err error, permanent bool) error {
	if !permanent && job.Attempt < s.maxAttempts {
		return err
	}
	werr := s.db.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		changed, err := tx.MarkMessageFailed(ctx, m.ID, app.ErrorMessage(err))
		if changed {
			m.Status, m.Error = app.MessageFailed, app.ErrorMessage(err)
			s.tellAfterCommit(tx, m)
		}
		return err
	})
	if werr != nil {
		return errors.Join(err, werr)
	}
	if permanent {
		return queue.Permanent(err)
	}
	return err
}

// recordSent marks the message sent and emits message_sent, once.
func (s *Service) recordSent(ctx context.Context, m app.Message, res app.SendResult, cold bool) error {
	at := res.At
	if at.IsZero() {
		at = s.now()
	}
	return s.db.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		changed, err := tx.MarkMessageSent(ctx, m.ID, at, cold)
		if err != nil || !changed {
			return err
		}
		_, err = s.emitter.Emit(ctx, tx, app.MessageSentData{MessageID: m.ID, CustomerID: m.CustomerID, Phone: m.Phone,
			Kind: m.Kind, Text: m.Text, TemplateID: m.TemplateID, WAMessageID: m.WAID})
		if err != nil {
			return err
		}
		m.Status, m.SentAt = app.MessageSentStatus, &at
		s.tellAfterCommit(tx, m)
		return nil
	})
}

// pauseWhileDown pauses the message_sending queue while the connection is
// down; Handle resumes it when the transport reports connected.
func (s *Service) pauseWhileDown() {
	if s.runner != nil {
		s.runner.Pause(queue.MessageSending)
	}
}
