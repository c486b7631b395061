package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/store"
	"smartbot/web/ui"
)

// The orders table: every order, newest first, filtered by status,
// payment, fulfilment, a number or phone and the days placed (in the
// shop's zone), a page at a time. Live: an order event re-reads the page.

// tableSize is how many orders a page of the table shows.
const tableSize = 50

var paymentStatuses = []string{app.PaymentUnpaid, app.PaymentPartiallyPaid, app.PaymentPaid, app.PaymentRefunded}

// tableQuery reads the table's filter from the URL: what was typed, the
// store's filter, and why a part of it was refused.
func tableQuery(ctx context.Context, q url.Values) (ui.OrdersFilter, store.OrderFilter, string) {
	in := ui.OrdersFilter{Status: q.Get("status"), Payment: q.Get("payment_status"), Fulfilment: q.Get("fulfilment"),
		Search: strings.TrimSpace(q.Get("search")), From: q.Get("from"), To: q.Get("to")}
	f := store.OrderFilter{Limit: tableSize, Cursor: q.Get("cursor")}
	var bad []string
	pick := func(v string, among []string, to *string, what string) {
		if v == "" {
			return
		}
		if !slices.Contains(among, v) {
			bad = append(bad, "the "+what+" is not one Smartbot knows")
			return
		}
		*to = v
	}
	pick(in.Status, app.OrderStatuses, &f.Status, "status")
	pick(in.Payment, paymentStatuses, &f.PaymentStatus, "payment status")
	pick(in.Fulfilment, []string{app.FulfilmentDelivery, app.FulfilmentPickup}, &f.Fulfilment, "fulfilment")
	if len(in.Search) > 100 {
		bad = append(bad, "search for an order number or a phone number")
	} else {
		f.Search = in.Search
	}
	zone := zoneFrom(ctx)
	for _, d := range []struct {
		v    string
		to   *time.Time
		next bool
	}{{in.From, &f.From, false}, {in.To, &f.To, true}} {
		if d.v == "" {
			continue
		}
		day, err := time.ParseInLocation("2006-01-02", d.v, zone)
		if err != nil {
			bad = append(bad, "a date must be written like 2026-01-31")
			continue
		}
		if d.next {
			day = day.AddDate(0, 0, 1) // "to" includes its whole day
		}
		*d.to = day.UTC()
	}
	if len(bad) > 0 {
		return in, f, sentence(strings.Join(bad, "; ")) + " The rest of the filter is applied."
	}
	return in, f, ""
}

func (s *Server) ordersList(ctx context.Context, q url.Values, f store.OrderFilter, canOperate bool) (ui.OrdersList, error) {
	list, next, err := s.db.ListOrders(ctx, f)
	if err != nil {
		return ui.OrdersList{}, err
	}
	locale := s.shopLocale(ctx)
	var l ui.OrdersList
	for _, o := range list {
		l.Rows = append(l.Rows, s.orderCard(ctx, o, locale, canOperate))
	}
	if next != "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("cursor", next)
		l.NextURL = "/orders/table?" + nq.Encode()
	}
	l.Empty = "No orders match."
	if len(q) == 0 {
		l.Empty = "No orders yet. Orders placed by the bot, the API or here appear at once."
	}
	return l, nil
}

func (s *Server) pageOrdersTable(w http.ResponseWriter, r *http.Request) error {
	l, _ := s.frame(w, r, "Orders", "orders")
	q := r.URL.Query()
	typed, f, msg := tableQuery(r.Context(), q)
	list, err := s.ordersList(r.Context(), q, f, l.User.CanOperate())
	if app.ErrorCode(err) == app.EINVALID {
		// A cursor that is not one of ours: the first page.
		msg, f.Cursor = sentence(app.ErrorMessage(err)), ""
		q.Del("cursor")
		list, err = s.ordersList(r.Context(), q, f, l.User.CanOperate())
	}
	if err != nil {
		return err
	}
	p := ui.OrdersTable{Layout: l, Filter: typed, List: list, Stream: "/orders/table/stream", CanOperate: l.User.CanOperate(), Error: msg}
	if len(q) > 0 {
		p.Stream += "?" + q.Encode()
	}
	for _, st := range app.OrderStatuses {
		p.Statuses = append(p.Statuses, ui.Choice{Value: st, Label: statusWords[st]})
	}
	for _, st := range paymentStatuses {
		p.Payments = append(p.Payments, ui.Choice{Value: st, Label: paymentWords[st]})
	}
	return render(w, r, http.StatusOK, ui.OrdersTablePage(p))
}

// streamOrdersTable re-reads the table's page on every order event: a
// row's place depends on the filter, so the page is read again rather
// than a row worked out.
func (s *Server) streamOrdersTable(w http.ResponseWriter, r *http.Request) error {
	can := layout(r, "", "").User.CanOperate()
	q := r.URL.Query()
	_, f, _ := tableQuery(r.Context(), q)
	return s.liveOrders(w, r, func(ctx context.Context, st *stream) error {
		list, err := s.ordersList(ctx, q, f, can)
		if err != nil {
			return err
		}
		return st.patch(ctx, "orders-list", fragmentKey(ctx, list), func() templ.Component { return ui.OrdersListView(list) })
	})
}
