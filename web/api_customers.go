package web

import (
	"net/http"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/store"
)

// The customers API: the people who write to the shop on WhatsApp. They
// are made by their first message (or an order); staff read them, with
// their orders and messages, and keep notes. A customer is named in a path
// by id (cus_…) or phone number (+263…), as the conversations API does.

// customersRoutes are the customers API routes.
func (s *Server) customersRoutes() []route {
	return []route{
		{pattern: "GET /api/customers", need: app.RoleViewer, handler: s.apiCustomers},
		{pattern: "GET /api/customers/{customer}", need: app.RoleViewer, handler: s.apiCustomer},
		{pattern: "PATCH /api/customers/{customer}", need: app.RoleOperator, handler: s.apiUpdateCustomer},
	}
}

// customerPageSize is how many orders and messages a customer's page shows.
const customerPageSize = 20

func (s *Server) apiCustomers(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	if cursor != "" && !app.ValidID(app.PrefixCustomer, cursor) {
		return app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
	}
	q := r.URL.Query()
	f := store.CustomerFilter{Search: q.Get("q"), Limit: limit, Cursor: cursor}
	if fe := app.CheckText("q", f.Search, 200, false); fe != nil {
		return app.Invalid(*fe)
	}
	if f.Simulated, err = boolParam(q, "simulated"); err != nil {
		return app.Invalid(app.FieldError{Field: "simulated", Message: "must be true (test customers only) or false (real customers only)"})
	}
	list, next, err := s.db.ListCustomers(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page[app.Customer]{Data: list, NextCursor: cursorOf(next)})
	return nil
}

// customerDetail is a customer with their latest orders and messages,
// newest first, shaped as the conversations API shows a customer.
type customerDetail struct {
	Customer app.Customer          `json:"customer"`
	Orders   []store.CustomerOrder `json:"orders"`
	Messages []app.Message         `json:"messages"`
}

func (s *Server) apiCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	orders, err := s.db.CustomerOrders(ctx, c.ID, customerPageSize)
	if err != nil {
		return err
	}
	messages, _, err := s.db.ListMessages(ctx, store.MessageFilter{CustomerID: c.ID, Limit: customerPageSize})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, customerDetail{Customer: c, Orders: orders, Messages: messages})
	return nil
}

func (s *Server) apiUpdateCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerOf(r)
	if err != nil {
		return err
	}
	var in struct {
		Name            *string `json:"name"`
		Notes           *string `json:"notes"`
		MarketingOptOut *bool   `json:"marketing_opt_out"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err = s.commerce.UpdateCustomer(r.Context(), c.ID, commerce.CustomerChanges{Name: in.Name, Notes: in.Notes, MarketingOptOut: in.MarketingOptOut})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
