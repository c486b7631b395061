package commerce

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
)

// NewOrder is what it takes to place an order: a customer (CustomerID, or
// Customer, found by phone or added), 1–100 items of active products in
// one currency, and how it reaches the customer.
type NewOrder struct {
	CustomerID string
	Customer   *NewCustomer
	Items      []NewItem
	// Fulfilment is "delivery" or "pickup". Left empty, an order with a
	// delivery address is delivered and one without is picked up: an
	// order cannot be delivered nowhere.
	Fulfilment      string
	DeliveryAddress string
	Notes           string
	// Source is "api", "panel" or "whatsapp"; empty means "api".
	Source string
}

// NewCustomer names the customer of an order by phone (E.164).
type NewCustomer struct {
	Phone string
	Name  string
}

// NewItem is one line of a new order.
type NewItem struct {
	ProductID string
	Quantity  int64
}

// Limits of an order.
const (
	MaxOrderLines    = 100
	MaxLineQuantity  = 10000
	maxAddressLength = 1000
	maxNotesLength   = 2000
)

// orderJob is an order_processing job's body: Step "reserve" takes the
// order's stock and sends its confirmation; Notice sends that customer
// notification.
type orderJob struct {
	OrderID string `json:"order_id"`
	Step    string `json:"step,omitempty"`
	Notice  string `json:"notice,omitempty"`
	// Ref is what a notice sent more than once per order is about: the
	// payment a payment_received acknowledges.
	Ref string `json:"ref,omitempty"`
}

const stepReserve = "reserve"

// CreateOrder places an order: it stores it pending and unpaid with its
// number, emits order_created and enqueues its order_processing job (stock
// and confirmation), in one transaction with the audit row.
func (s *Service) CreateOrder(ctx context.Context, in NewOrder) (o app.Order, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		o, err = s.CreateOrderTx(ctx, tx, in)
		return err
	})
	return o, err
}

// CreateOrderTx is CreateOrder inside tx.
func (s *Service) CreateOrderTx(ctx context.Context, tx *store.Tx, in NewOrder) (app.Order, error) {
	o := app.Order{ID: app.NewID(app.PrefixOrder), Fulfilment: in.Fulfilment, DeliveryAddress: strings.TrimSpace(in.DeliveryAddress),
		Notes: in.Notes, Source: in.Source}
	errs := checkOrder(&o, in)
	products, err := s.orderProducts(ctx, tx, in.Items)
	if err != nil {
		return o, err
	}
	errs = append(errs, snapshotItems(&o, in.Items, products)...)
	if len(errs) > 0 {
		return o, app.Invalid(errs...)
	}
	c, err := s.orderCustomer(ctx, tx, in)
	if err != nil {
		return o, err
	}
	o.CustomerID, o.CustomerPhone, o.CustomerName = c.ID, c.Phone, c.Name
	if err := tx.CreateOrder(ctx, &o, actorRef(ctx)); err != nil {
		return o, err
	}
	if _, err := s.emitter.Emit(ctx, tx, createdData(o)); err != nil {
		return o, err
	}
	return o, s.enqueue(ctx, tx, orderJob{OrderID: o.ID, Step: stepReserve})
}

// checkOrder validates and normalises what of in is not about products.
func checkOrder(o *app.Order, in NewOrder) []app.FieldError {
	var errs []app.FieldError
	switch {
	case in.CustomerID != "" && in.Customer != nil:
		errs = append(errs, app.FieldError{Field: "customer_id", Message: "give customer_id or customer, not both"})
	case in.CustomerID != "":
		if !app.ValidID(app.PrefixCustomer, in.CustomerID) {
			errs = append(errs, app.FieldError{Field: "customer_id", Message: "is not a customer id (cus_…)"})
		}
	case in.Customer != nil:
		if !app.ValidPhone(in.Customer.Phone) {
			errs = append(errs, app.FieldError{Field: "customer.phone", Message: "must be a phone number in E.164 form, like +263771234567"})
		}
		if e := app.CheckText("customer.name", in.Customer.Name, 200, false); e != nil {
			errs = append(errs, *e)
		}
	default:
		errs = append(errs, app.FieldError{Field: "customer", Message: "is required: give customer_id, or customer with a phone number"})
	}
	if o.Fulfilment == "" {
		o.Fulfilment = app.FulfilmentPickup
		if o.DeliveryAddress != "" {
			o.Fulfilment = app.FulfilmentDelivery
		}
	}
	switch o.Fulfilment {
	case app.FulfilmentDelivery:
		if o.DeliveryAddress == "" {
			errs = append(errs, app.FieldError{Field: "delivery_address", Message: "is required for a delivery; give the address, or make the order a pickup"})
		}
	case app.FulfilmentPickup:
	default:
		errs = append(errs, app.FieldError{Field: "fulfilment", Message: "must be delivery or pickup"})
	}
	if e := app.CheckText("delivery_address", o.DeliveryAddress, maxAddressLength, false); e != nil {
		errs = append(errs, *e)
	}
	if e := app.CheckText("notes", o.Notes, maxNotesLength, false); e != nil {
		errs = append(errs, *e)
	}
	switch o.Source {
	case "":
		o.Source = app.OrderFromAPI
	case app.OrderFromAPI, app.OrderFromPanel, app.OrderFromWhatsApp:
	default:
		errs = append(errs, app.FieldError{Field: "source", Message: "must be api, panel or whatsapp"})
	}
	switch {
	case len(in.Items) == 0:
		errs = append(errs, app.FieldError{Field: "items", Message: "are required: at least one {product_id, quantity}"})
	case len(in.Items) > MaxOrderLines:
		errs = append(errs, app.FieldError{Field: "items", Message: fmt.Sprintf("has %d lines; an order has at most %d", len(in.Items), MaxOrderLines)})
	}
	return errs
}

// orderProducts reads the products the items name, when they are few
// enough to be an order.
func (s *Service) orderProducts(ctx context.Context, tx *store.Tx, items []NewItem) (map[string]app.Product, error) {
	if len(items) == 0 || len(items) > MaxOrderLines {
		return nil, nil
	}
	var ids []string
	for _, it := range items {
		if app.ValidID(app.PrefixProduct, it.ProductID) {
			ids = append(ids, it.ProductID)
		}
	}
	return tx.OrderProducts(ctx, ids)
}

// snapshotItems checks each line and copies its product's name and price
// into o, with the total and the currency.
func snapshotItems(o *app.Order, items []NewItem, products map[string]app.Product) []app.FieldError {
	if products == nil {
		return nil
	}
	var errs []app.FieldError
	for i, it := range items {
		field := fmt.Sprintf("items[%d]", i)
		if it.Quantity < 1 || it.Quantity > MaxLineQuantity {
			errs = append(errs, app.FieldError{Field: field + ".quantity", Message: fmt.Sprintf("must be a whole number from 1 to %d", MaxLineQuantity)})
		}
		p, ok := products[it.ProductID]
		switch {
		case !ok:
			errs = append(errs, app.FieldError{Field: field + ".product_id", Message: "names no product"})
			continue
		case !p.Active:
			errs = append(errs, app.FieldError{Field: field + ".product_id", Message: p.Name + " is not for sale (inactive)"})
			continue
		case o.Currency == "":
			o.Currency = p.Currency
		case p.Currency != o.Currency:
			errs = append(errs, app.FieldError{Field: field + ".product_id", Message: fmt.Sprintf(
				"%s is priced in %s, the order's other items in %s; an order is in one currency", p.Name, p.Currency, o.Currency)})
			continue
		}
		if it.Quantity >= 1 && it.Quantity <= MaxLineQuantity {
			if p.Price > (math.MaxInt64/2-o.Total)/it.Quantity {
				errs = append(errs, app.FieldError{Field: field + ".quantity", Message: "makes the total too large"})
				continue
			}
			o.Total += p.Price * it.Quantity
		}
		o.Items = append(o.Items, app.OrderItem{ProductID: p.ID, Name: p.Name, UnitPrice: p.Price, Quantity: it.Quantity})
	}
	return errs
}

// orderCustomer finds the order's customer, or adds the one named by phone.
func (s *Service) orderCustomer(ctx context.Context, tx *store.Tx, in NewOrder) (app.Customer, error) {
	if in.CustomerID != "" {
		c, err := tx.Customer(ctx, in.CustomerID)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return c, app.Invalid(app.FieldError{Field: "customer_id", Message: "names no customer"})
		}
		return c, err
	}
	name := strings.TrimSpace(in.Customer.Name)
	if s.messaging != nil {
		return s.messaging.AddCustomerTx(ctx, tx, in.Customer.Phone, name, false)
	}
	c, err := tx.CustomerByPhone(ctx, in.Customer.Phone)
	if app.ErrorCode(err) != app.ENOTFOUND {
		return c, err
	}
	c, err = tx.CustomerForPeer(ctx, app.Peer{Chat: app.UserJID(in.Customer.Phone), Phone: in.Customer.Phone, Name: name}, false, false)
	if err != nil {
		return c, err
	}
	return c, tx.Audit(ctx, app.AuditEntry{Action: "customer.create", EntityType: "customer", EntityID: c.ID, After: c})
}

func createdData(o app.Order) app.OrderCreatedData {
	items := make([]app.OrderItemData, len(o.Items))
	for i, it := range o.Items {
		items[i] = app.OrderItemData(it)
	}
	return app.OrderCreatedData{OrderID: o.ID, Number: o.Number, CustomerID: o.CustomerID, Status: o.Status, Total: o.Total,
		Currency: o.Currency, Items: items, CustomerPhone: o.CustomerPhone, CustomerName: o.CustomerName,
		Fulfilment: o.Fulfilment, DeliveryAddress: o.DeliveryAddress, Source: o.Source}
}

// ChangeStatus moves order id to status to when the state machine allows
// it (ECONFLICT naming the allowed moves otherwise). It records the step,
// emits order_status_changed with who moved it, gives reserved stock back
// when the order is cancelled, and enqueues the customer's notification of
// the new status, if it has one.
func (s *Service) ChangeStatus(ctx context.Context, id, to string) (o app.Order, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		o, err = s.ChangeStatusTx(ctx, tx, id, to)
		return err
	})
	return o, err
}

// ChangeStatusTx is ChangeStatus inside tx.
func (s *Service) ChangeStatusTx(ctx context.Context, tx *store.Tx, id, to string) (app.Order, error) {
	o, err := tx.Order(ctx, id)
	if err != nil {
		return o, err
	}
	if err := app.CheckOrderMove(o.Fulfilment, o.Status, to); err != nil {
		return o, err
	}
	by := actorRef(ctx)
	from := o.Status
	if o, err = tx.SetOrderStatus(ctx, id, from, to, by); err != nil {
		return o, err
	}
	if to == app.OrderCancelled {
		released, err := tx.ReleaseOrderStock(ctx, id)
		if err != nil {
			return o, err
		}
		o.StockReserved = o.StockReserved && !released
		// Its delivery, not yet on its way (a cancellable order is not),
		// is called off with it: no courier sets out for it.
		if d, err := tx.OpenDeliveryOf(ctx, id); err == nil {
			if _, err := s.ChangeDeliveryStatusTx(ctx, tx, d.ID, app.DeliveryCancelled, "the order was cancelled"); err != nil {
				return o, err
			}
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			return o, err
		}
	}
	if _, err := s.emitter.Emit(ctx, tx, app.OrderStatusChangedData{OrderID: o.ID, Number: o.Number, From: from, To: to, By: by}); err != nil {
		return o, err
	}
	if n := noticeOf(o.Fulfilment, to); n != "" {
		return o, s.NotifyTx(ctx, tx, o.ID, n, "")
	}
	return o, nil
}

// enqueue sends an order_processing job in tx.
func (s *Service) enqueue(ctx context.Context, tx *store.Tx, j orderJob) error {
	body, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return s.queues.Send(ctx, tx, queue.OrderProcessing, body)
}

// actorRef names the actor in ctx as events and timelines do:
// "user:usr_…", "api_key:key_…", "bot", "system".
func actorRef(ctx context.Context) string {
	a := app.ActorFrom(ctx)
	if a.ID == "" {
		return a.Type
	}
	return a.Type + ":" + a.ID
}
