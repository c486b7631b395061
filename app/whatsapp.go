package app

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"
)

// Transport is a connection to WhatsApp: the whatsmeow session of the shop's
// number, or the built-in simulator. The messaging service is its only
// caller; nothing outside app/whatsapp sees a whatsmeow type.
//
// Inbound happenings (messages, receipts, connection changes) go to the
// handler given to Start, one at a time per chat, on the transport's own
// goroutines. A handler returns only after what it was given is committed
// (or was a duplicate): WhatsApp is acknowledged after that, so a crash
// before the commit gets the happening again. A handler error means "not
// stored, give it to me again"; the transport does not acknowledge it.
type Transport interface {
	// Start connects (when a session exists) and keeps the connection up,
	// reconnecting by itself, until Stop. handle receives every happening.
	Start(ctx context.Context, handle InboundHandler) error
	// Stop disconnects and waits for the transport's goroutines to end.
	Stop()
	// Status is the connection's state now.
	Status() TransportStatus

	// PairQR starts pairing a new number with QR codes. Each code (they
	// rotate about every 20 seconds) and the end of pairing arrive as
	// ConnectionChange happenings with State ConnPairing and the QR set.
	PairQR(ctx context.Context) error
	// PairPhone starts pairing by phone number (E.164) and returns the
	// eight-character code the owner types into WhatsApp on that phone.
	PairPhone(ctx context.Context, phone string) (code string, err error)
	// Logout unlinks this device from the number and forgets the session.
	Logout(ctx context.Context) error

	// Send sends one message and returns when WhatsApp accepted it. The
	// message's WAID is its WhatsApp id, chosen by the caller and kept
	// across retries: a second Send with the same WAID is the same message.
	Send(ctx context.Context, m Outgoing) (SendResult, error)
	// Typing shows (or clears) "typing…" in a chat.
	Typing(ctx context.Context, chat string, on bool) error
	// MarkRead tells the sender their messages were read.
	MarkRead(ctx context.Context, chat, sender string, waIDs []string) error
	// Download fetches the file of an inbound message. The caller closes it.
	Download(ctx context.Context, m *InboundMedia) (io.ReadCloser, error)
}

// InboundHandler receives one inbound happening: an *Inbound, a *Receipt or
// a *ConnectionChange.
type InboundHandler func(ctx context.Context, h Happening) error

// Happening is what a transport reports: *Inbound, *Receipt or
// *ConnectionChange.
type Happening interface{ happening() }

func (*Inbound) happening()          {}
func (*Receipt) happening()          {}
func (*ConnectionChange) happening() {}

// Kinds of WhatsApp messages, as the messages table stores them.
const (
	MessageKindText        = "text"
	MessageKindTemplate    = "template"    // outgoing: a rendered template
	MessageKindInteractive = "interactive" // buttons or list, sent or received
	MessageKindMedia       = "media"       // image, video, audio, document, sticker
	MessageKindReply       = "reply"       // a tapped button or picked list row
	MessageKindPoll        = "poll"
	MessageKindPollVote    = "poll_vote"
	MessageKindReaction    = "reaction"
	MessageKindLocation    = "location"
	MessageKindContact     = "contact"
	// MessageKindUnsupported is a message Smartbot cannot read; its
	// WhatsApp type is kept in Inbound.Type so nothing is dropped silently.
	MessageKindUnsupported = "unsupported"
)

// Message statuses. Inbound messages are received; outbound ones go
// queued → sent → delivered → read, never backwards, or failed.
const (
	MessageReceivedStatus = "received"
	MessageQueued         = "queued"
	MessageSentStatus     = "sent"
	MessageDelivered      = "delivered"
	MessageRead           = "read"
	MessageFailed         = "failed"
)

// MessageStatusRank orders the outbound statuses: a receipt moves a message
// only to a higher rank. failed ranks below sent: a late receipt for a
// message WhatsApp did take proves it was sent after all.
func MessageStatusRank(status string) int {
	switch status {
	case MessageQueued:
		return 1
	case MessageFailed:
		return 2
	case MessageSentStatus:
		return 3
	case MessageDelivered:
		return 4
	case MessageRead:
		return 5
	}
	return 0
}

// Peer is who a message is from or to, as WhatsApp names them. Chat is the
// JID to answer (the one the message came from: a phone-number JID or a
// LID); Phone is E.164 ("+263771234567") when known; LID is the
// privacy-preserving id ("123456789@lid") when WhatsApp gave one.
type Peer struct {
	Chat  string `json:"chat"`
	Phone string `json:"phone,omitempty"`
	LID   string `json:"lid,omitempty"`
	Name  string `json:"name,omitempty"` // the push name the customer chose
}

// Inbound is one message a customer sent the shop.
type Inbound struct {
	WAID string    `json:"whatsapp_id"`
	From Peer      `json:"from"`
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
	// Type is WhatsApp's name for the message type ("conversation",
	// "imageMessage", "buttonsResponseMessage", …), kept for unsupported
	// kinds and for debugging.
	Type string `json:"type"`
	Text string `json:"text,omitempty"` // the text, the caption, or a reply's title
	// ReplyID is the id of the button or list row the customer chose.
	ReplyID string `json:"reply_id,omitempty"`
	// Poll vote: the poll message's WhatsApp id and the chosen options'
	// names (decrypted), or their SHA-256 when only those are known.
	PollID      string   `json:"poll_id,omitempty"`
	PollOptions []string `json:"poll_options,omitempty"`
	PollHashes  [][]byte `json:"poll_hashes,omitempty"`
	// QuotedID is the WhatsApp id of the message this one replies to.
	QuotedID string `json:"quoted_id,omitempty"`
	// Reaction: the emoji (empty removes it) on the message ReactedID.
	Reaction  string `json:"reaction,omitempty"`
	ReactedID string `json:"reacted_id,omitempty"`
	// Media, when the message carries a file: what is needed to fetch it
	// later (Download), never the bytes.
	Media *InboundMedia `json:"media,omitempty"`
}

// InboundMedia describes a file attached to an inbound message.
type InboundMedia struct {
	Kind     MediaKind `json:"kind"`
	MIME     string    `json:"mime"`
	Size     int64     `json:"size"`
	FileName string    `json:"file_name,omitempty"`
	// Ref is the transport's handle to download it (opaque JSON).
	Ref []byte `json:"ref,omitempty"`
}

// Receipt reports that WhatsApp delivered, or the customer read or played,
// messages the shop sent.
type Receipt struct {
	Chat   string    `json:"chat"`
	WAIDs  []string  `json:"whatsapp_ids"`
	Status string    `json:"status"` // delivered or read (played counts as read)
	At     time.Time `json:"at"`
}

// Connection states.
const (
	ConnDisconnected = "disconnected"
	ConnConnecting   = "connecting"
	ConnPairing      = "pairing" // no session: waiting for a QR scan or a phone code
	ConnConnected    = "connected"
	ConnLoggedOut    = "logged_out"
	ConnBanned       = "banned" // a temporary ban, until Until
)

// ConnectionChange reports that the connection's state changed.
type ConnectionChange struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"` // why, in words: "logged out from the phone", "stream replaced"
	// Until is when a temporary ban ends.
	Until time.Time `json:"until,omitzero"`
	// QR is the code to show while pairing (State ConnPairing).
	QR string `json:"qr,omitempty"`
	// Phone is the paired number, when connected.
	Phone string    `json:"phone,omitempty"`
	At    time.Time `json:"at"`
}

// TransportStatus is the connection as the panel and the API show it.
type TransportStatus struct {
	Transport string    `json:"transport"` // whatsapp or simulator
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	Until     time.Time `json:"until,omitzero"`
	QR        string    `json:"qr,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Since     time.Time `json:"since"`
}

// Transports a shop chooses between in settings.
const (
	TransportWhatsApp  = "whatsapp"
	TransportSimulator = "simulator"
)

// SettingTransport is the settings key of the transport in use; a fresh
// install starts on the simulator.
const SettingTransport = "whatsapp.transport"

// Outgoing is one message to send, in the transport's domain shape. Kind is
// text, media, interactive, poll or reaction.
type Outgoing struct {
	// WAID and To are set when it is sent; a stored payload leaves them
	// out (the message row holds both).
	WAID string `json:"whatsapp_id,omitempty"`
	To   string `json:"to,omitempty"` // the chat JID
	Kind string `json:"kind"`
	Text string `json:"text,omitempty"` // text, or a media caption
	// ReplyTo quotes an earlier message (its WhatsApp id and text).
	ReplyTo     string               `json:"reply_to,omitempty"`
	ReplyToText string               `json:"reply_to_text,omitempty"`
	Media       *OutgoingMedia       `json:"media,omitempty"`
	Interactive *OutgoingInteractive `json:"interactive,omitempty"`
	Poll        *OutgoingPoll        `json:"poll,omitempty"`
	// Reaction: Text is the emoji, ReplyTo the message reacted to.
}

// OutgoingMedia is a file to send. Path is the stored file (the variant
// chosen for WhatsApp); Thumbnail the small inline JPEG.
type OutgoingMedia struct {
	Kind      MediaKind `json:"kind"`
	MIME      string    `json:"mime"`
	Path      string    `json:"-"`
	MediaID   string    `json:"media_id"`
	FileName  string    `json:"file_name,omitempty"`
	Width     int       `json:"width,omitempty"`
	Height    int       `json:"height,omitempty"`
	Thumbnail []byte    `json:"-"`
}

// OutgoingInteractive is a reply-buttons or list message.
type OutgoingInteractive struct {
	Header  *TemplateHeader  `json:"header,omitempty"`
	Body    string           `json:"body"`
	Footer  string           `json:"footer,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
	List    *TemplateList    `json:"list,omitempty"`
}

// OutgoingPoll is a poll: a question and 2 to 12 option names.
type OutgoingPoll struct {
	Name            string   `json:"name"`
	Options         []string `json:"options"`
	SelectableCount int      `json:"selectable_count"`
}

// SendResult is what WhatsApp answered to a send.
type SendResult struct {
	WAID string    `json:"whatsapp_id"`
	At   time.Time `json:"at"`
}

// Transport errors a sender tells apart.
var (
	// ErrNotConnected: the transport is not connected now; try later.
	ErrNotConnected = errors.New("whatsapp is not connected")
	// ErrNotPaired: there is no session; pair a number first.
	ErrNotPaired = errors.New("no whatsapp number is paired")
)

// SendError is a refused send. Permanent ones (no such WhatsApp user, a
// file WhatsApp will not take) fail the message; the others are retried.
type SendError struct {
	Permanent bool
	Reason    string
	Err       error
}

func (e *SendError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *SendError) Unwrap() error { return e.Err }

// UserJID is the WhatsApp chat id of the phone number phone (E.164).
func UserJID(phone string) string {
	return strings.TrimPrefix(phone, "+") + "@s.whatsapp.net"
}

// PhoneOfJID is the E.164 phone number of a phone-number JID, or "" when
// jid is not one (a LID, a group).
func PhoneOfJID(jid string) string {
	user, ok := strings.CutSuffix(jid, "@s.whatsapp.net")
	if !ok {
		return ""
	}
	user, _, _ = strings.Cut(user, ":") // a device suffix
	user, _, _ = strings.Cut(user, ".")
	p := "+" + user
	if ValidPhone(p) {
		return p
	}
	return ""
}

// ValidPhone reports whether p is an E.164 number: a plus, then 7 to 15
// digits, the first not zero.
func ValidPhone(p string) bool {
	d, ok := strings.CutPrefix(p, "+")
	if !ok || len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return false
	}
	return strings.Trim(d, "0123456789") == ""
}
