package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/app/template"
	"smartbot/store"
	"smartbot/web/ui"
)

// A new order from the panel, for an order taken by phone or at the
// counter: the customer by phone (a recent one is suggested), up to
// newOrderLines product lines, fulfilment, address and notes. It goes
// through the same CreateOrder as the API and the bot, source "panel".

// newOrderLines is how many product lines the form offers.
const newOrderLines = 5

func (s *Server) pageNewOrder(w http.ResponseWriter, r *http.Request) error {
	return s.renderNewOrder(w, r, http.StatusOK, ui.NewOrderForm{Fulfilment: app.FulfilmentPickup, Lines: []ui.NewOrderLine{{Quantity: "1"}}})
}

func (s *Server) renderNewOrder(w http.ResponseWriter, r *http.Request, status int, f ui.NewOrderForm) error {
	ctx := r.Context()
	f.Layout, _ = s.frame(w, r, "New order", "orders")
	active := true
	products, _, err := s.db.ListProducts(ctx, store.ProductFilter{Active: &active, Limit: 500})
	if err != nil {
		return err
	}
	locale := s.shopLocale(ctx)
	for _, p := range products {
		f.Products = append(f.Products, ui.Choice{Value: p.ID, Label: p.Name + " · " + template.FormatMoney(locale, p.Price, p.Currency)})
	}
	customers, _, err := s.db.ListCustomers(ctx, store.CustomerFilter{Limit: 20})
	if err != nil {
		return err
	}
	for _, c := range customers {
		if c.Phone != "" {
			f.Recent = append(f.Recent, ui.Choice{Value: c.Phone, Label: customerName(c)})
		}
	}
	for len(f.Lines) < newOrderLines {
		f.Lines = append(f.Lines, ui.NewOrderLine{})
	}
	return render(w, r, status, ui.NewOrder(f))
}

func (s *Server) postNewOrder(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := ui.NewOrderForm{Phone: strings.TrimSpace(r.PostFormValue("phone")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Fulfilment: r.PostFormValue("fulfilment"), Address: r.PostFormValue("delivery_address"), Notes: lf(r.PostFormValue("notes")),
		Errors: map[string]string{}}
	products, quantities := r.PostForm["product"], r.PostForm["quantity"]
	in := commerce.NewOrder{Customer: &commerce.NewCustomer{Phone: f.Phone, Name: f.Name}, Fulfilment: f.Fulfilment,
		DeliveryAddress: f.Address, Notes: f.Notes, Source: app.OrderFromPanel}
	// index maps each line sent to the service back to its line on the
	// form, so that "items[0]" lands beside the line it is about.
	var index []int
	for i := 0; i < len(products) && i < newOrderLines; i++ {
		line := ui.NewOrderLine{Product: products[i]}
		if i < len(quantities) {
			line.Quantity = strings.TrimSpace(quantities[i])
		}
		f.Lines = append(f.Lines, line)
		if line.Product == "" {
			continue
		}
		q, err := strconv.ParseInt(orDefault(line.Quantity, "1"), 10, 64)
		if err != nil {
			f.Errors["items["+strconv.Itoa(i)+"].quantity"] = "Give a whole number."
			continue
		}
		index = append(index, i)
		in.Items = append(in.Items, commerce.NewItem{ProductID: line.Product, Quantity: q})
	}
	if len(f.Errors) > 0 {
		return s.renderNewOrder(w, r, http.StatusUnprocessableEntity, f)
	}
	o, err := s.commerce.CreateOrder(r.Context(), in)
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			if !placeFieldErrors(err, f.Errors, index) {
				f.Error = msg
			}
			return s.renderNewOrder(w, r, status, f)
		})
	}
	return s.done(w, r, orderPath(o.Number), flash{notice: "Order " + o.Number + " placed."})
}

// placeFieldErrors puts each field refusal of err beside its field,
// renumbering items[i] to the form's line; it reports whether every one
// found a place.
func placeFieldErrors(err error, into map[string]string, index []int) bool {
	var ae *app.Error
	if !errors.As(err, &ae) || len(ae.Fields) == 0 {
		return false
	}
	fields := ae.Fields
	all := true
	for _, fe := range fields {
		name := fe.Field
		if rest, ok := strings.CutPrefix(name, "items["); ok {
			if n, tail, ok := strings.Cut(rest, "]"); ok {
				if i, err := strconv.Atoi(n); err == nil && i < len(index) {
					name = "items[" + strconv.Itoa(index[i]) + "]" + tail
				}
			}
		}
		switch {
		case name == "customer" || name == "customer.phone" || name == "customer_id":
			name = "customer.phone"
		case strings.HasPrefix(name, "items[") && !strings.HasSuffix(name, ".quantity"):
			if !strings.HasSuffix(name, ".product_id") {
				name = strings.SplitN(name, "]", 2)[0] + "].product_id"
			}
		case name == "items", name == "customer.name", name == "fulfilment", name == "delivery_address", name == "notes":
		default:
			all = false
			continue
		}
		into[name] = sentence(fe.Message)
	}
	return all
}
