package web

import (
	"net/http"
	"net/url"
	"strings"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/store"
	"smartbot/web/ui"
)

// The customers pages: the list, the most recently active first, with
// search by name or phone; a customer's page with their orders, their
// latest messages and the shop's own notes about them.

const (
	customerListSize     = 50
	customerOrdersShown  = 20
	customerMessageShown = 10
)

func (s *Server) pageCustomers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.CustomerFilter{Search: app.Shorten(strings.TrimSpace(q.Get("q")), 100), Limit: customerListSize}
	if c := q.Get("cursor"); app.ValidID(app.PrefixCustomer, c) {
		f.Cursor = c
	}
	list, next, err := s.db.ListCustomers(r.Context(), f)
	if err != nil {
		return err
	}
	l, _ := s.frame(w, r, "Customers", "customers")
	p := ui.CustomersPage{Layout: l, Search: f.Search}
	for _, c := range list {
		row := ui.CustomerRow{ID: c.ID, Href: shopPath("customers", c.ID), Name: customerName(c), Phone: c.Phone,
			Test: c.Simulated, OptOut: c.OptOut, Active: displayTime(r.Context(), c.CreatedAt)}
		if c.LastMessageAt != nil {
			row.Active = displayTime(r.Context(), *c.LastMessageAt)
		}
		p.Rows = append(p.Rows, row)
	}
	if next != "" {
		v := url.Values{"cursor": {next}}
		if f.Search != "" {
			v.Set("q", f.Search)
		}
		p.NextURL = "/customers?" + v.Encode()
	}
	switch {
	case f.Search != "":
		p.Empty = "No customer matches “" + f.Search + "”."
	case f.Cursor != "":
		p.Empty = "No more customers."
	default:
		p.Empty = "No customers yet. Everyone who writes to the shop on WhatsApp, or orders, is listed here."
	}
	return render(w, r, http.StatusOK, ui.Customers(p))
}

func (s *Server) customerByPath(r *http.Request) (app.Customer, error) {
	id, err := pathID(r, app.PrefixCustomer, "customer")
	if err != nil {
		return app.Customer{}, app.Errorf(app.ENOTFOUND, "This customer does not exist: the link is wrong.")
	}
	return s.db.Customer(r.Context(), id)
}

func (s *Server) pageCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerByPath(r)
	if err != nil {
		return err
	}
	return s.renderCustomer(w, r, http.StatusOK, c, ui.CustomerForm{Name: c.Name, Notes: c.Notes, OptOut: c.OptOut})
}

func (s *Server) renderCustomer(w http.ResponseWriter, r *http.Request, status int, c app.Customer, f ui.CustomerForm) error {
	ctx := r.Context()
	orders, err := s.db.CustomerOrders(ctx, c.ID, customerOrdersShown)
	if err != nil {
		return err
	}
	msgs, _, err := s.db.ListMessages(ctx, store.MessageFilter{CustomerID: c.ID, Limit: customerMessageShown})
	if err != nil {
		return err
	}
	l, _ := s.frame(w, r, customerName(c), "customers")
	if len(f.Problems) > 0 {
		l.Error = "Not saved: see the messages beside the fields."
		if msg, ok := f.Problems[""]; ok {
			l.Error = "Not saved. " + msg
		}
	}
	p := ui.CustomerPage{Layout: l, ID: c.ID, Name: customerName(c), Phone: c.Phone, Test: c.Simulated, OptOut: c.OptOut,
		FirstSeen: displayTime(ctx, c.CreatedAt), LastSeen: displayTimePtr(ctx, c.LastMessageAt), ChatURL: chatPath(c.ID),
		Form: f, ReadOnly: !l.User.CanOperate()}
	p.Form.Action = shopPath("customers", c.ID)
	m := s.moneyOf(ctx)
	for _, o := range orders {
		p.Orders = append(p.Orders, ui.CustomerOrderRow{Number: o.Number, Href: shopPath("orders", o.ID), Status: o.Status,
			Payment: strings.ReplaceAll(o.PaymentStatus, "_", " "), Total: m.format(o.Total, o.Currency), Created: displayTime(ctx, o.CreatedAt)})
	}
	for _, msg := range msgs {
		p.Messages = append(p.Messages, ui.CustomerMessageRow{ID: msg.ID, Time: displayTime(ctx, msg.CreatedAt),
			Text: strings.TrimPrefix(preview(msg), "You: "), Out: msg.Direction == app.DirectionOut})
	}
	return render(w, r, status, ui.CustomerDetail(p))
}

// postCustomer saves the shop's name for the customer, its notes and the
// marketing opt-out; the commerce service audits the change.
func (s *Server) postCustomer(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	c, err := s.customerByPath(r)
	if err != nil {
		return err
	}
	f := ui.CustomerForm{Name: r.PostFormValue("name"), Notes: lf(r.PostFormValue("notes")), OptOut: r.PostFormValue("opt_out") != ""}
	updated, err := s.commerce.UpdateCustomer(r.Context(), c.ID, commerce.CustomerChanges{Name: &f.Name, Notes: &f.Notes, MarketingOptOut: &f.OptOut})
	if err != nil {
		f.Problems = map[string]string{}
		if !productProblems(err, f.Problems) {
			return err
		}
		return s.renderCustomer(w, r, statusOf[app.ErrorCode(err)], c, f)
	}
	return s.done(w, r, shopPath("customers", c.ID), flash{notice: "Saved " + customerName(updated) + "."})
}
