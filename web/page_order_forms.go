package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/app/commerce"
	"smartbot/app/template"
	"smartbot/store"
	"smartbot/web/ui"
)

// The forms of an order's page: record a payment, refund, plan or change
// the delivery, move it, and make a courier link. Each is a plain form
// that redirects back to the order; a refusal shows the page again with
// what was typed and why, beside the form.

// orderFormOf reads the order of the path and parses the posted form.
func (s *Server) orderFormOf(w http.ResponseWriter, r *http.Request) (app.Order, error) {
	o, err := s.orderByRef(r.Context(), r.PathValue("id"))
	if err != nil {
		return o, err
	}
	return o, form(w, r)
}

func (s *Server) postOrderPayment(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orderFormOf(w, r)
	if err != nil {
		return err
	}
	f := ui.PaymentForm{Amount: r.PostFormValue("amount"), Method: r.PostFormValue("method"), Reference: strings.TrimSpace(r.PostFormValue("reference"))}
	amount, ferr := parseAmount("amount", f.Amount, o.Currency)
	switch {
	case ferr != nil:
		err = app.Invalid(*ferr)
	case !slices.Contains(app.PaymentMethods, f.Method):
		err = app.Invalid(app.FieldError{Field: "method", Message: "must be one of the methods listed"})
	default:
		_, _, err = s.commerce.RecordPayment(r.Context(), commerce.NewPayment{Order: o.ID, Amount: amount, Currency: o.Currency,
			Method: f.Method, Reference: f.Reference})
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			f.Error = refusal("", err)
			return s.renderOrder(w, r, status, o.ID, orderForms{pay: f})
		})
	}
	return s.done(w, r, orderPath(o.Number), flash{notice: "Payment of " + template.FormatMoney(s.shopLocale(r.Context()), amount, o.Currency) + " recorded."})
}

func (s *Server) postOrderRefund(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orderFormOf(w, r)
	if err != nil {
		return err
	}
	f := ui.PaymentForm{Amount: r.PostFormValue("amount"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	amount, ferr := parseAmount("amount", f.Amount, o.Currency)
	switch {
	case ferr != nil:
		err = app.Invalid(*ferr)
	default:
		// The service refuses a refund without a reason, in these words.
		_, err = s.commerce.Refund(r.Context(), o.ID, amount, f.Reason)
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			f.Error = refusal("", err)
			return s.renderOrder(w, r, status, o.ID, orderForms{refund: f})
		})
	}
	return s.done(w, r, orderPath(o.Number), flash{notice: "Refund of " + template.FormatMoney(s.shopLocale(r.Context()), amount, o.Currency) + " recorded."})
}

// postOrderDelivery plans the order's delivery, or changes the open task:
// its courier, time and address.
func (s *Server) postOrderDelivery(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orderFormOf(w, r)
	if err != nil {
		return err
	}
	f := ui.DeliveryForm{Name: strings.TrimSpace(r.PostFormValue("name")), Phone: strings.TrimSpace(r.PostFormValue("phone")),
		Scheduled: r.PostFormValue("scheduled_for"), Address: strings.TrimSpace(r.PostFormValue("address"))}
	var when *time.Time
	if f.Scheduled != "" {
		t, perr := time.ParseInLocation(datetimeLocal, f.Scheduled, zoneFrom(r.Context()))
		if perr != nil {
			err = app.Invalid(app.FieldError{Field: "scheduled_for", Message: "must be a date and time like 2026-01-31T14:30"})
		}
		when = &t
	}
	notice := "Delivery planned."
	if err == nil {
		a := app.Assignee{Name: f.Name, Phone: f.Phone}
		open, oerr := s.openDelivery(r, o.ID)
		switch {
		case oerr != nil:
			return oerr
		case open == nil:
			_, err = s.commerce.CreateDelivery(r.Context(), o.ID, commerce.NewDelivery{Address: f.Address, Assignee: a, ScheduledFor: when})
		default:
			ch := commerce.DeliveryChange{Address: &f.Address}
			if a != open.Assignee && (a.Name != "" || a.Phone != "") {
				ch.Assignee = &a
			}
			if when != nil {
				ch.ScheduledFor = when
			} else if open.ScheduledFor != nil {
				ch.ScheduledFor = &time.Time{} // the field was emptied
			}
			_, err = s.commerce.UpdateDelivery(r.Context(), open.ID, ch)
			notice = "Delivery changed."
		}
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			f.Error = refusal("", err)
			return s.renderOrder(w, r, status, o.ID, orderForms{delivery: &f})
		})
	}
	return s.done(w, r, orderPath(o.Number), flash{notice: notice})
}

// openDelivery is the order's open delivery task, or nil.
func (s *Server) openDelivery(r *http.Request, orderID string) (*app.DeliveryTask, error) {
	tasks, _, err := s.db.ListDeliveries(r.Context(), store.DeliveryFilter{OrderID: orderID, Limit: 20})
	if err != nil {
		return nil, err
	}
	for i := range tasks {
		if !deliveryFinished(tasks[i].Status) {
			return &tasks[i], nil
		}
	}
	return nil, nil
}

func (s *Server) postDeliveryStatus(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orderFormOf(w, r)
	if err != nil {
		return err
	}
	open, err := s.openDelivery(r, o.ID)
	if err != nil {
		return err
	}
	to := r.PostFormValue("status")
	if open == nil {
		err = app.Errorf(app.ECONFLICT, "order %s has no open delivery to move", o.Number)
	} else {
		_, err = s.commerce.ChangeDeliveryStatus(r.Context(), open.ID, to, r.PostFormValue("reason"))
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			return s.renderOrder(w, r, status, o.ID, orderForms{delivery: &ui.DeliveryForm{Error: refusal("", err)}})
		})
	}
	return s.done(w, r, orderPath(o.Number), flash{notice: "Delivery: " + strings.ToLower(deliveryWords[to]) + "."})
}

// postCourierLink makes a new courier link for the open task and shows it
// once, through the redirect's flash (never in a URL).
func (s *Server) postCourierLink(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orderFormOf(w, r)
	if err != nil {
		return err
	}
	open, err := s.openDelivery(r, o.ID)
	if err != nil {
		return err
	}
	var path string
	if open == nil {
		err = app.Errorf(app.ECONFLICT, "order %s has no open delivery for a courier", o.Number)
	} else {
		path, err = s.commerce.CourierLink(r.Context(), open.ID)
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			return s.renderOrder(w, r, status, o.ID, orderForms{delivery: &ui.DeliveryForm{Error: msg}})
		})
	}
	scheme := "http://"
	if r.TLS != nil || s.secureCookies {
		scheme = "https://"
	}
	return s.done(w, r, orderPath(o.Number), flash{notice: "A new courier link is below; the one before it no longer works.", secret: scheme + r.Host + path})
}
