package ui

// View data of the inbox, a conversation, the simulator's phone and the
// dashboard's WhatsApp connection card.

// ConversationRow is one chat in the inbox list.
type ConversationRow struct {
	ID       string // the customer's id, for the element id conv-<ID>
	Href     string
	Name     string // the customer's name, or their phone when unnamed
	Phone    string
	Preview  string // the last message in a line: "You: Thanks!"
	Time     string
	Unread   int
	Test     bool // a simulator test customer
	Handover bool // a person is answering: the bot is quiet
}

// InboxList is the inbox's #conversations fragment.
type InboxList struct {
	Rows    []ConversationRow
	Empty   string
	NextURL string
}

// TestCustomerRow is a simulator test customer the inbox offers to chat as.
type TestCustomerRow struct {
	Name, Phone string
	Href        string // the conversation; "" when it has none yet (Open posts the form)
}

// TestCustomerForm is the simulator's "new test customer" form (POST
// Action: phone, name), shown again with Error after a refusal.
type TestCustomerForm struct {
	Action      string
	Phone, Name string
	Error       string
	Customers   []TestCustomerRow
}

// InboxPage lists the conversations, newest first; Stream patches
// #conversations as messages come and go. Simulator is the simulator's
// card, nil when WhatsApp is the transport or for viewers.
type InboxPage struct {
	Layout    Layout
	List      InboxList
	Stream    string
	Simulator *TestCustomerForm
	// SimulatorOn says the simulator is the transport (viewers get the
	// sentence without the form).
	SimulatorOn bool
}

// Bubble is one message of a conversation, or of the simulator's phone.
type Bubble struct {
	ID   string
	Out  bool   // sent by the shop
	Kind string // text, template, media, interactive, poll, reply, poll_vote…
	// Label names what a non-text message is: "Template order_confirmed",
	// "Tapped a button", "Voted in a poll", "Unsupported: stickerMessage".
	Label   string
	Header  string
	Text    string
	Footer  string
	Quote   string // the message it replies to, shortened
	Thumb   string // a picture's thumbnail URL
	File    string // a file that is not a picture: "Video: tour.mp4"
	Options []string
	// Poll is the question's options; Text is the question.
	Poll []string
	Time string
	// Status of an outgoing message: queued, sent, delivered, read, failed.
	Status string
	Error  string
	SentBy string
}

// StatusLabel says an outgoing message's status in words, for screen
// readers and the tooltip of its ticks.
func (b Bubble) StatusLabel() string {
	switch b.Status {
	case "queued":
		return "Waiting to be sent"
	case "sent":
		return "Sent"
	case "delivered":
		return "Delivered"
	case "read":
		return "Read"
	case "failed":
		return "Not sent"
	}
	return b.Status
}

// ChatCustomer is the head of a conversation.
type ChatCustomer struct {
	ID, Name, Phone string
	Test            bool
	Handover        bool
	HandoverSince   string
}

// ReplyBox is the reply form (operators and owners): Text comes back after
// a refusal, with Error beside the box.
type ReplyBox struct {
	Action string
	Text   string
	Error  string
}

// HandoverToggle is the "Bot on / A person is answering" switch.
type HandoverToggle struct {
	Action string
	On     bool // a person is answering
	Since  string
	Can    bool // the viewer may flip it
}

// SimChoice is an option the test customer can tap: a button or list row
// (Name reply_id) or a poll option (Name poll_vote).
type SimChoice struct {
	Name, Value, Title string
}

// SimPhone is the simulator's phone of a test customer: what they sent and
// received, in order, with the received messages' statuses as their phone
// has them, and the options of the last message received.
type SimPhone struct {
	Action  string // POST: text, or reply_id, or poll_vote
	Phone   string
	Name    string
	Items   []Bubble // Out: what the customer sent (their own side)
	Choices []SimChoice
	Text    string
	Error   string
}

// ConversationPage is one customer's chat. The page opens Stream, which
// appends new bubbles to #bubbles, moves ticks in place, and patches
// #sim-phone for a test customer.
type ConversationPage struct {
	Layout     Layout
	Customer   ChatCustomer
	Bubbles    []Bubble
	Truncated  bool // older messages are not shown
	CanOperate bool
	Reply      ReplyBox
	Handover   HandoverToggle
	Phone      *SimPhone // a test customer's phone, for operators and owners
	Stream     string
}

// Connection is the dashboard's WhatsApp card: the connection's state and,
// for owners, how to pair a number or log out.
type Connection struct {
	Simulator  bool
	State      string // connected, connecting, pairing, disconnected, logged_out, banned
	StateLabel string
	Since      string
	Reason     string
	Until      string // the end of a temporary ban
	Phone      string
	// QR is the pairing code drawn as an SVG, while pairing by QR code.
	QR       string
	CanPair  bool // an owner, on the WhatsApp transport, not connected
	CanLeave bool // an owner, on the WhatsApp transport, paired
}

// ConnectionCard is the card around the #connection fragment; PairCode is
// the phone-number pairing code just asked for, shown once.
type ConnectionCard struct {
	Connection Connection
	PairCode   string
	Stream     string
}

// formAction is the Datastar expression that posts the element's form to
// path as a plain form; the server answers with patches.
func formAction(path string) string {
	return "@post('" + path + "', {contentType: 'form'})"
}
