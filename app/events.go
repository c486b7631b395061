package app

import (
	"encoding/json"
	"time"
)

// EventType names an event of the public contract. Types may be added, never
// renamed: webhook receivers and scripts depend on them.
type EventType string

// The ten event types of DESIGN.md §3. Each has a data shape below; the
// events table refers to the event_types table, which migrations seed with
// exactly these names.
const (
	MessageReceived    EventType = "message_received"
	MessageSent        EventType = "message_sent"
	OrderCreated       EventType = "order_created"
	OrderStatusChanged EventType = "order_status_changed"
	ProductUpdated     EventType = "product_updated"
	PaymentReceived    EventType = "payment_received"
	DeliveryStarted    EventType = "delivery_started"
	DeliveryCompleted  EventType = "delivery_completed"
	BotConnected       EventType = "bot_connected"
	BotDisconnected    EventType = "bot_disconnected"
)

// EventTypes lists every event type, in the order the panel shows them.
var EventTypes = []EventType{
	MessageReceived, MessageSent, OrderCreated, OrderStatusChanged, ProductUpdated,
	PaymentReceived, DeliveryStarted, DeliveryCompleted, BotConnected, BotDisconnected,
}

// Valid reports whether t is a known event type.
func (t EventType) Valid() bool {
	for _, k := range EventTypes {
		if t == k {
			return true
		}
	}
	return false
}

// EventData is the data of one event type. Implementations are the shapes
// below; their JSON is the "data" member of the payload.
type EventData interface {
	EventType() EventType
}

// Event is one thing that happened, as stored in the events table and sent to
// webhooks: {"id", "type", "timestamp", "data"}.
type Event struct {
	ID        string          `json:"id"`
	Type      EventType       `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// MarshalJSON writes the timestamp in TimeFormat.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID        string          `json:"id"`
		Type      EventType       `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{e.ID, e.Type, FormatTime(e.Timestamp), e.Data})
}

// NewEvent makes an event of data's type with a fresh id, stamped at now.
func NewEvent(now time.Time, data EventData) (Event, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return Event{}, err
	}
	return Event{ID: NewID(PrefixEvent), Type: data.EventType(), Timestamp: now.UTC().Truncate(time.Millisecond), Data: b}, nil
}

// MessageReceivedData: a customer sent the shop a WhatsApp message.
type MessageReceivedData struct {
	MessageID  string `json:"message_id"`
	CustomerID string `json:"customer_id"`
	Phone      string `json:"phone"`
	Kind       string `json:"kind"`
	Text       string `json:"text"`
	// ReplyID is the button or list row id the customer chose, if any.
	ReplyID string `json:"reply_id,omitempty"`
}

// MessageSentData: an outgoing message left for WhatsApp.
type MessageSentData struct {
	MessageID   string `json:"message_id"`
	CustomerID  string `json:"customer_id"`
	Phone       string `json:"phone"`
	Kind        string `json:"kind"`
	Text        string `json:"text"`
	TemplateID  string `json:"template_id,omitempty"`
	WAMessageID string `json:"whatsapp_message_id"`
}

// OrderItemData is one line of an order in event data.
type OrderItemData struct {
	ProductID string `json:"product_id"`
	Name      string `json:"name"`
	UnitPrice int64  `json:"unit_price"`
	Quantity  int64  `json:"quantity"`
}

// OrderCreatedData: a new order was placed, by the bot, the API or the panel.
type OrderCreatedData struct {
	OrderID    string          `json:"order_id"`
	Number     string          `json:"number"`
	CustomerID string          `json:"customer_id"`
	Status     string          `json:"status"`
	Total      int64           `json:"total"`
	Currency   string          `json:"currency"`
	Items      []OrderItemData `json:"items"`
	// What a receiver needs without calling back.
	CustomerPhone   string `json:"customer_phone"`
	CustomerName    string `json:"customer_name"`
	Fulfilment      string `json:"fulfilment"`
	DeliveryAddress string `json:"delivery_address"`
	Source          string `json:"source"`
}

// OrderStatusChangedData: an order moved from one status to another.
type OrderStatusChangedData struct {
	OrderID string `json:"order_id"`
	Number  string `json:"number"`
	From    string `json:"from"`
	To      string `json:"to"`
	// By is who moved it: "user:usr_…", "api_key:key_…", "bot", "system".
	By string `json:"by"`
}

// ProductUpdatedData: a product was created, changed or deleted.
type ProductUpdatedData struct {
	ProductID string `json:"product_id"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Price     int64  `json:"price"`
	Currency  string `json:"currency"`
	Stock     *int64 `json:"stock"`
	Active    bool   `json:"active"`
	// Change is "created", "updated" or "deleted".
	Change string `json:"change"`
	// Changed names the fields an "updated" changed ("price", "stock",
	// "media", …); left out for "created" and "deleted".
	Changed []string `json:"changed,omitempty"`
}

// PaymentReceivedData: a payment was recorded against an order.
type PaymentReceivedData struct {
	PaymentID   string `json:"payment_id"`
	OrderID     string `json:"order_id"`
	OrderNumber string `json:"order_number"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Provider    string `json:"provider"`
	Reference   string `json:"reference"`
	PaidAt      string `json:"paid_at"`
}

// DeliveryStartedData: a delivery went in transit.
type DeliveryStartedData struct {
	DeliveryID  string `json:"delivery_id"`
	OrderID     string `json:"order_id"`
	OrderNumber string `json:"order_number"`
	Assignee    string `json:"assignee"`
	Address     string `json:"address"`
}

// DeliveryCompletedData: a delivery ended, delivered or failed.
type DeliveryCompletedData struct {
	DeliveryID  string `json:"delivery_id"`
	OrderID     string `json:"order_id"`
	OrderNumber string `json:"order_number"`
	// Status is "delivered" or "failed".
	Status      string `json:"status"`
	CompletedAt string `json:"completed_at"`
}

// BotConnectedData: the shop's WhatsApp session came online.
type BotConnectedData struct {
	JID   string `json:"jid"`
	Phone string `json:"phone"`
	Name  string `json:"name"`
}

// BotDisconnectedData: the WhatsApp session went offline.
type BotDisconnectedData struct {
	Reason string `json:"reason"`
	// LoggedOut is true when WhatsApp ended the pairing and the number must be paired again.
	LoggedOut bool `json:"logged_out"`
}

func (MessageReceivedData) EventType() EventType    { return MessageReceived }
func (MessageSentData) EventType() EventType        { return MessageSent }
func (OrderCreatedData) EventType() EventType       { return OrderCreated }
func (OrderStatusChangedData) EventType() EventType { return OrderStatusChanged }
func (ProductUpdatedData) EventType() EventType     { return ProductUpdated }
func (PaymentReceivedData) EventType() EventType    { return PaymentReceived }
func (DeliveryStartedData) EventType() EventType    { return DeliveryStarted }
func (DeliveryCompletedData) EventType() EventType  { return DeliveryCompleted }
func (BotConnectedData) EventType() EventType       { return BotConnected }
func (BotDisconnectedData) EventType() EventType    { return BotDisconnected }
