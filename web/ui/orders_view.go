package ui

import "strconv"

// View data of the orders pages (orders.templ, order.templ): the board, the
// table, an order's page and the new order form.

// OrderCard is one order as the board and the table show it.
type OrderCard struct {
	ID, Number, Href string
	Customer         string // name, or phone when there is none
	Phone            string
	Total            string // written in the shop's locale: "USD 12.50"
	Payment          string // payment status: unpaid, partially_paid, paid, refunded
	PaymentLabel     string // in words: "Part paid"
	Status           string
	StatusLabel      string
	Fulfilment       string // delivery or pickup
	Age              string // "5 min", "2 h", "3 d": coarse, so a card changes at most once a minute
	Created          string // the shop's local time
	Problem          string // why its stock could not be reserved, or ""
	// Moves are the legal next statuses, for those who may move it.
	Moves []OrderMove
}

// OrderMove is one button that moves an order: a form posting status to
// Action, or for a cancellation a link to its confirmation page (Confirm).
type OrderMove struct {
	Status, Label string
	Action        string
	// Confirm is the confirmation page of a move that cannot be undone
	// lightly (cancelling); the button is then a link there.
	Confirm string
}

// BoardColumn is one status's column of the board, #orders-col-<Status>.
type BoardColumn struct {
	Status, Label string
	Cards         []OrderCard
	// More links to the table filtered to this status when the column
	// shows only the newest of its orders.
	More string
	// Done marks the "done today" column: small cards, no moves.
	Done bool
}

// OrdersBoard is the board: a column per open status, then today's
// finished orders. Its stream patches each column when it changes.
type OrdersBoard struct {
	Layout     Layout
	Columns    []BoardColumn
	Stream     string
	CanOperate bool
}

// OrdersFilter is the table's filter form, as typed.
type OrdersFilter struct {
	Status, Payment, Fulfilment, Search, From, To string
}

// OrdersTable is the table page: the filter form and one page of orders.
type OrdersTable struct {
	Layout     Layout
	Filter     OrdersFilter
	List       OrdersList
	Stream     string
	CanOperate bool
	Statuses   []Choice
	Payments   []Choice
	// Error is why the filter was refused, shown above the list.
	Error string
}

// OrdersList is the #orders-list fragment of the table.
type OrdersList struct {
	Rows    []OrderCard
	NextURL string
	Empty   string
}

// Choice is one option of a select: its value and its words.
type Choice struct{ Value, Label string }

// OrderLine is one item of an order.
type OrderLine struct {
	Name, UnitPrice, Quantity, Total string
}

// PaymentRow is one payment or refund of an order.
type PaymentRow struct {
	ID, Amount, Method, Reference, By, At, Reason string
	Refund                                        bool
}

// TimelineItem is one thing that happened to an order, in time order.
type TimelineItem struct {
	At, Kind, Text, By string
}

// DeliveryView is an order's delivery section.
type DeliveryView struct {
	// Task is "" while the order has no delivery task.
	Task, Status, StatusLabel, Courier, CourierPhone, Scheduled, ScheduledValue, Address, Notes string
	Started, Completed                                                                          string
	Moves                                                                                       []OrderMove
	// Action plans the task (without one) or changes it; LinkAction makes a
	// courier link.
	Action, LinkAction, MoveAction string
	// Link is the courier link just made, shown once.
	Link string
	Form DeliveryForm
	// Open is set while the task shown can still change; Ended once the
	// order is done and nothing more can be planned.
	Open, Ended bool
}

// DeliveryForm is the delivery form as typed, and why it was refused.
type DeliveryForm struct {
	Name, Phone, Scheduled, Address, Notes string
	Error                                  string
}

// PaymentForm is a payment or refund form as typed, and why it was refused.
type PaymentForm struct {
	Action, Amount, Method, Reference, Reason string
	Error                                     string
}

// OrderView is what an order's page shows, below its head; its stream
// patches #order-view whenever the order changes.
type OrderView struct {
	ID, Number, Status, StatusLabel, Payment, PaymentLabel, Fulfilment string
	Created, Source                                                    string
	Customer, Phone, ChatHref                                          string
	Address, Notes, Problem                                            string
	Items                                                              []OrderLine
	Total, Paid, Refunded, Balance                                     string
	Moves                                                              []OrderMove
	Payments                                                           []PaymentRow
	Timeline                                                           []TimelineItem
	Delivery                                                           *DeliveryView
	CanOperate                                                         bool
	// Error is why the last status move was refused.
	Error string
}

// OrderPage is an order's page.
type OrderPage struct {
	Layout   Layout
	View     OrderView
	Pay      PaymentForm
	Refund   PaymentForm
	Methods  []Choice
	Stream   string
	Currency string
}

// NewOrderLine is one product line of the new order form, as typed.
type NewOrderLine struct {
	Product, Quantity string
}

// NewOrderForm is the new order form: what was typed and why each field
// was refused (by field name: "customer.phone", "items[0].quantity"…).
type NewOrderForm struct {
	Layout                                  Layout
	Phone, Name, Fulfilment, Address, Notes string
	Lines                                   []NewOrderLine
	Products                                []Choice
	Recent                                  []Choice // recent customers: value is the phone
	Errors                                  map[string]string
	Error                                   string
}

// Err is the refusal of field, or "".
func (f NewOrderForm) Err(field string) string { return f.Errors[field] }

func itoa(n int) string { return strconv.Itoa(n) }

// statusBadge colours an order or delivery status.
func statusBadge(status string) string {
	switch status {
	case "delivered", "completed":
		return "badge badge-ok"
	case "cancelled", "failed":
		return "badge badge-danger"
	case "pending":
		return "badge badge-expired"
	}
	return "badge badge-operator"
}

// paymentBadge colours a payment status.
func paymentBadge(status string) string {
	switch status {
	case "paid":
		return "badge badge-ok"
	case "partially_paid":
		return "badge badge-expired"
	case "refunded":
		return "badge badge-owner"
	}
	return "badge badge-danger"
}
