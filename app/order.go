package app

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Order statuses (DESIGN.md §13): pending → confirmed → preparing → ready,
// then out_for_delivery → delivered for a delivery, or completed when a
// pickup is collected; cancelled from any state before out_for_delivery or
// completed. Nothing moves backwards.
const (
	OrderPending        = "pending"
	OrderConfirmed      = "confirmed"
	OrderPreparing      = "preparing"
	OrderReady          = "ready"
	OrderOutForDelivery = "out_for_delivery"
	OrderDelivered      = "delivered"
	OrderCompleted      = "completed"
	OrderCancelled      = "cancelled"
)

// OrderStatuses lists the statuses in the order the board shows them.
var OrderStatuses = []string{OrderPending, OrderConfirmed, OrderPreparing, OrderReady, OrderOutForDelivery, OrderDelivered, OrderCompleted, OrderCancelled}

// Fulfilment: how an order reaches its customer.
const (
	FulfilmentDelivery = "delivery"
	FulfilmentPickup   = "pickup"
)

// Payment statuses of an order, derived from its payments and refunds.
const (
	PaymentUnpaid        = "unpaid"
	PaymentPartiallyPaid = "partially_paid"
	PaymentPaid          = "paid"
	PaymentRefunded      = "refunded"
)

// Sources of an order.
const (
	OrderFromWhatsApp = "whatsapp"
	OrderFromAPI      = "api"
	OrderFromPanel    = "panel"
)

// OrderNext is the order state machine: for a fulfilment and a status, the
// statuses it may move to, in the order a person would choose them.
func OrderNext(fulfilment, status string) []string {
	switch status {
	case OrderPending:
		return []string{OrderConfirmed, OrderCancelled}
	case OrderConfirmed:
		return []string{OrderPreparing, OrderCancelled}
	case OrderPreparing:
		return []string{OrderReady, OrderCancelled}
	case OrderReady:
		if fulfilment == FulfilmentPickup {
			return []string{OrderCompleted, OrderCancelled}
		}
		return []string{OrderOutForDelivery, OrderCancelled}
	case OrderOutForDelivery:
		return []string{OrderDelivered}
	}
	return nil // delivered, completed and cancelled are final
}

// CheckOrderMove returns nil when an order of fulfilment may move from to
// to, else an ECONFLICT error that names the moves allowed.
func CheckOrderMove(fulfilment, from, to string) error {
	if !slices.Contains(OrderStatuses, to) {
		return Invalid(FieldError{Field: "status", Message: "must be one of " + strings.Join(OrderStatuses, ", ")})
	}
	next := OrderNext(fulfilment, from)
	if slices.Contains(next, to) {
		return nil
	}
	allowed := "none: the order is " + from
	if len(next) > 0 {
		allowed = strings.Join(next, " or ")
	}
	return &Error{Code: ECONFLICT, Message: fmt.Sprintf("an order that is %s cannot become %s; it can become %s", from, to, allowed),
		Fields: []FieldError{{Field: "status", Message: "allowed: " + allowed}}}
}

// Order is one order of a customer. Money is in minor units of Currency.
type Order struct {
	ID              string      `json:"id"`
	Number          string      `json:"number"`
	CustomerID      string      `json:"customer_id"`
	CustomerPhone   string      `json:"customer_phone"`
	CustomerName    string      `json:"customer_name"`
	Status          string      `json:"status"`
	PaymentStatus   string      `json:"payment_status"`
	Fulfilment      string      `json:"fulfilment"`
	Items           []OrderItem `json:"items"`
	Total           int64       `json:"total"`
	Paid            int64       `json:"paid"`
	Currency        string      `json:"currency"`
	DeliveryAddress string      `json:"delivery_address"`
	Notes           string      `json:"notes"`
	Source          string      `json:"source"`
	// StockReserved is set once the order's stock is taken from the
	// catalog; Problem says why it could not be (an order that cannot be
	// filled), for a person to act on.
	StockReserved bool   `json:"stock_reserved"`
	Problem       string `json:"problem"`
	// Timeline is when each status was reached.
	Timeline  []OrderStep `json:"timeline"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// OrderItem is one line of an order: the product as it was when ordered.
type OrderItem struct {
	ProductID string `json:"product_id"`
	Name      string `json:"name"`
	UnitPrice int64  `json:"unit_price"`
	Quantity  int64  `json:"quantity"`
}

// OrderStep is one status an order reached, when, and who moved it.
type OrderStep struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

// Payment methods.
const (
	PayCash         = "cash"          // cash on delivery or at pickup
	PayMobileMoney  = "mobile_money"  // EcoCash, M-Pesa and the like
	PayBankTransfer = "bank_transfer" // a bank transfer
	PayCard         = "card"
)

// PaymentMethods lists the methods.
var PaymentMethods = []string{PayCash, PayMobileMoney, PayBankTransfer, PayCard}

// Payment is money received for an order, or given back (Refund).
type Payment struct {
	ID       string `json:"id"`
	OrderID  string `json:"order_id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Method   string `json:"method"`
	// Provider and Reference name the payment at its source ("ecocash",
	// "TX123"); one payment per pair, so a report sent twice is one payment.
	Provider   string    `json:"provider"`
	Reference  string    `json:"reference"`
	Refund     bool      `json:"refund"`
	Reason     string    `json:"reason"`
	RecordedBy string    `json:"recorded_by"`
	PaidAt     time.Time `json:"paid_at"`
	CreatedAt  time.Time `json:"created_at"`
}

// PaymentStatusOf is an order's payment status from what was paid and
// refunded against its total.
func PaymentStatusOf(total, paid, refunded int64) string {
	net := paid - refunded
	switch {
	case refunded > 0 && net <= 0:
		return PaymentRefunded
	case net <= 0:
		return PaymentUnpaid
	case net >= total:
		return PaymentPaid
	}
	return PaymentPartiallyPaid
}

// Delivery task statuses: pending → assigned → in_transit → delivered, or
// failed, or cancelled before it is delivered.
const (
	DeliveryPending   = "pending"
	DeliveryAssigned  = "assigned"
	DeliveryInTransit = "in_transit"
	DeliveryDone      = "delivered"
	DeliveryFailed    = "failed"
	DeliveryCancelled = "cancelled"
)

// DeliveryNext is the delivery task state machine.
func DeliveryNext(status string) []string {
	switch status {
	case DeliveryPending:
		return []string{DeliveryAssigned, DeliveryInTransit, DeliveryCancelled}
	case DeliveryAssigned:
		return []string{DeliveryInTransit, DeliveryCancelled}
	case DeliveryInTransit:
		return []string{DeliveryDone, DeliveryFailed}
	}
	return nil
}

// DeliveryTask is an order's delivery: who takes it, where, when.
type DeliveryTask struct {
	ID           string     `json:"id"`
	OrderID      string     `json:"order_id"`
	OrderNumber  string     `json:"order_number"`
	Status       string     `json:"status"`
	Assignee     Assignee   `json:"assignee"`
	Address      string     `json:"address"`
	ScheduledFor *time.Time `json:"scheduled_for"`
	Notes        string     `json:"notes"`
	// ProofMediaID is a photo or signature the courier took.
	ProofMediaID string     `json:"proof_media_id,omitempty"`
	StartedAt    *time.Time `json:"started_at"`
	CompletedAt  *time.Time `json:"completed_at"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Assignee is the courier of a delivery.
type Assignee struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// OrderNumber formats the n-th order of the shop: SB-000123.
func OrderNumber(n int64) string { return fmt.Sprintf("SB-%06d", n) }

// Settings keys of commerce.
const (
	// SettingInboundPaymentSecret is the HMAC secret inbound payment
	// notifications are signed with.
	SettingInboundPaymentSecret = "payments.inbound_secret"
)
