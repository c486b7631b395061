package web

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/store"
)

// The orders API: place an order, list and read orders, move an order
// through its states, and read its timeline. The commerce service
// validates, stores, emits and enqueues; reads go to the store.

// ordersRoutes are the orders API routes.
func (s *Server) ordersRoutes() []route {
	return []route{
		{pattern: "POST /api/orders", need: app.RoleOperator, create: s.apiCreateOrder},
		{pattern: "GET /api/orders", need: app.RoleViewer, handler: s.apiOrders},
		{pattern: "GET /api/orders/{id}", need: app.RoleViewer, handler: s.apiOrder},
		{pattern: "POST /api/orders/{id}/status", need: app.RoleOperator, handler: s.apiOrderStatus},
		{pattern: "GET /api/orders/{id}/timeline", need: app.RoleViewer, handler: s.apiOrderTimeline},
	}
}

type orderInput struct {
	CustomerID string `json:"customer_id"`
	Customer   *struct {
		Phone string `json:"phone"`
		Name  string `json:"name"`
	} `json:"customer"`
	Items []struct {
		ProductID string `json:"product_id"`
		Quantity  int64  `json:"quantity"`
	} `json:"items"`
	Fulfilment      string `json:"fulfilment"`
	DeliveryAddress string `json:"delivery_address"`
	Notes           string `json:"notes"`
}

// apiCreateOrder places an order and answers 201 with it, pending. Its
// stock is taken and its confirmation sent by the order_processing job
// right after; GET /api/orders/{id} shows stock_reserved or the problem.
func (s *Server) apiCreateOrder(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	var in orderInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	no := commerce.NewOrder{CustomerID: in.CustomerID, Fulfilment: in.Fulfilment, DeliveryAddress: in.DeliveryAddress, Notes: in.Notes,
		Source: app.OrderFromAPI}
	if app.ActorFrom(r.Context()).Type == app.ActorUser {
		no.Source = app.OrderFromPanel
	}
	if in.Customer != nil {
		no.Customer = &commerce.NewCustomer{Phone: in.Customer.Phone, Name: in.Customer.Name}
	}
	for _, it := range in.Items {
		no.Items = append(no.Items, commerce.NewItem{ProductID: it.ProductID, Quantity: it.Quantity})
	}
	o, err := s.commerce.CreateOrderTx(r.Context(), tx, no)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/orders/"+o.ID)
	writeJSON(w, http.StatusCreated, o)
	return nil
}

// apiOrders lists orders newest first, filtered.
func (s *Server) apiOrders(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.OrderFilter{Status: q.Get("status"), PaymentStatus: q.Get("payment_status"), CustomerID: q.Get("customer_id"),
		Fulfilment: q.Get("fulfilment"), Search: q.Get("search"), Limit: limit, Cursor: cursor}
	var errs []app.FieldError
	for _, c := range []struct {
		field, v string
		among    []string
	}{
		{"status", f.Status, app.OrderStatuses},
		{"payment_status", f.PaymentStatus, []string{app.PaymentUnpaid, app.PaymentPartiallyPaid, app.PaymentPaid, app.PaymentRefunded}},
		{"fulfilment", f.Fulfilment, []string{app.FulfilmentDelivery, app.FulfilmentPickup}},
	} {
		if c.v != "" && !slices.Contains(c.among, c.v) {
			errs = append(errs, app.FieldError{Field: c.field, Message: "must be one of " + strings.Join(c.among, ", ")})
		}
	}
	if f.CustomerID != "" && !app.ValidID(app.PrefixCustomer, f.CustomerID) {
		errs = append(errs, app.FieldError{Field: "customer_id", Message: "is not a customer id (cus_…)"})
	}
	if len(f.Search) > 100 {
		errs = append(errs, app.FieldError{Field: "search", Message: "must be at most 100 characters: an order number or a phone number"})
	}
	for _, t := range []struct {
		field string
		at    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(t.field); v != "" {
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs = append(errs, app.FieldError{Field: t.field, Message: "must be a time in RFC 3339 form, like 2026-01-31T00:00:00Z"})
			}
			*t.at = at
		}
	}
	if len(errs) > 0 {
		return app.Invalid(errs...)
	}
	list, next, err := s.db.ListOrders(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[app.Order]{Data: list, NextCursor: cursorOf(next)})
	return nil
}

// order reads the order the path names, by id (ord_…) or number (SB-000123).
func (s *Server) order(r *http.Request) (app.Order, error) {
	ref := r.PathValue("id")
	if app.ValidID(app.PrefixOrder, ref) {
		return s.db.Order(r.Context(), ref)
	}
	if strings.HasPrefix(strings.ToUpper(ref), "SB-") && len(ref) <= 20 {
		return s.db.OrderByNumber(r.Context(), strings.ToUpper(ref))
	}
	return app.Order{}, app.Errorf(app.ENOTFOUND, "order %q not found", app.Shorten(ref, 40))
}

func (s *Server) apiOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := s.order(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

// apiOrderStatus moves an order to {"status"}; a move the state machine
// does not allow is a 409 naming the allowed ones.
func (s *Server) apiOrderStatus(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Status string `json:"status"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Status == "" {
		return app.Invalid(app.FieldError{Field: "status", Message: "is required: one of " + strings.Join(app.OrderStatuses, ", ")})
	}
	o, err := s.order(r)
	if err != nil {
		return err
	}
	if o, err = s.commerce.ChangeStatus(r.Context(), o.ID, in.Status); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

// timelineEntry is one thing that happened to an order: a status it
// reached (and who moved it) or a notification its customer was sent.
type timelineEntry struct {
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status,omitempty"`
	By        string    `json:"by,omitempty"`
	Notice    string    `json:"notice,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
}

func (s *Server) apiOrderTimeline(w http.ResponseWriter, r *http.Request) error {
	o, err := s.order(r)
	if err != nil {
		return err
	}
	notices, err := s.db.OrderNotices(r.Context(), o.ID)
	if err != nil {
		return err
	}
	entries := []timelineEntry{}
	for _, st := range o.Timeline {
		entries = append(entries, timelineEntry{At: st.At, Kind: "status", Status: st.Status, By: st.By})
	}
	for _, n := range notices {
		entries = append(entries, timelineEntry{At: n.At, Kind: "notice", Notice: n.Notice, MessageID: n.MessageID})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].At.Before(entries[j].At) })
	writeJSON(w, http.StatusOK, wholeList(entries))
	return nil
}
