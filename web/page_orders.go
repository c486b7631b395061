package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/starfederation/datastar-go/datastar"

	"smartbot/app"
	"smartbot/app/template"
	"smartbot/store"
	"smartbot/web/ui"
)

// The orders pages: the board (a column per open status, live), the table
// (filters and pages, live), an order's page (page_order.go) and the new
// order form (page_order_new.go). Every move goes through the commerce
// service, which allows only the state machine's moves; the pages offer
// only those, and only to operators and owners.

// orderPages are the panel's orders routes: the board, the table and an
// order's page.
func (s *Server) orderPages() []route {
	viewer, operator := app.RoleViewer, app.RoleOperator
	return []route{
		{pattern: "GET /orders", need: viewer, panel: true, handler: s.pageOrdersBoard},
		{pattern: "GET /orders/stream", need: viewer, panel: true, handler: s.streamOrdersBoard},
		{pattern: "GET /orders/table", need: viewer, panel: true, handler: s.pageOrdersTable},
		{pattern: "GET /orders/table/stream", need: viewer, panel: true, handler: s.streamOrdersTable},
		{pattern: "GET /orders/new", need: operator, panel: true, handler: s.pageNewOrder},
		{pattern: "POST /orders", need: operator, panel: true, handler: s.postNewOrder},
		{pattern: "GET /orders/{id}", need: viewer, panel: true, handler: s.pageOrder},
		{pattern: "GET /orders/{id}/stream", need: viewer, panel: true, handler: s.streamOrder},
		{pattern: "POST /orders/{id}/status", need: operator, panel: true, handler: s.postOrderStatus},
		{pattern: "GET /orders/{id}/cancel", need: operator, panel: true, handler: s.pageOrderCancel},
		{pattern: "POST /orders/{id}/cancel", need: operator, panel: true, handler: s.postOrderCancel},
		{pattern: "POST /orders/{id}/payments", need: operator, panel: true, handler: s.postOrderPayment},
		{pattern: "POST /orders/{id}/refunds", need: operator, panel: true, handler: s.postOrderRefund},
		{pattern: "POST /orders/{id}/delivery", need: operator, panel: true, handler: s.postOrderDelivery},
		{pattern: "POST /orders/{id}/delivery/status", need: operator, panel: true, handler: s.postDeliveryStatus},
		{pattern: "POST /orders/{id}/delivery/link", need: operator, panel: true, handler: s.postCourierLink},
	}
}

// boardSize is how many orders a board column shows, newest first; the
// table has the rest.
const boardSize = 50

// boardOpen are the board's columns of orders still to be handled.
var boardOpen = []string{app.OrderPending, app.OrderConfirmed, app.OrderPreparing, app.OrderReady, app.OrderOutForDelivery}

// boardDone are the final statuses the "done today" column gathers.
var boardDone = []string{app.OrderDelivered, app.OrderCompleted, app.OrderCancelled}

// orderEvents are the events that change what the orders pages show.
var orderEvents = map[app.EventType]bool{app.OrderCreated: true, app.OrderStatusChanged: true, app.PaymentReceived: true,
	app.DeliveryStarted: true, app.DeliveryCompleted: true}

// orderOf is the order an event is about, or "" for another event.
func orderOf(e app.Event) string {
	if !orderEvents[e.Type] {
		return ""
	}
	var d struct {
		OrderID string `json:"order_id"`
	}
	json.Unmarshal(e.Data, &d)
	return d.OrderID
}

// statusWords and paymentWords are the statuses as the panel says them.
var statusWords = map[string]string{
	app.OrderPending: "Pending", app.OrderConfirmed: "Confirmed", app.OrderPreparing: "Preparing", app.OrderReady: "Ready",
	app.OrderOutForDelivery: "Out for delivery", app.OrderDelivered: "Delivered", app.OrderCompleted: "Completed", app.OrderCancelled: "Cancelled",
}

var paymentWords = map[string]string{
	app.PaymentUnpaid: "Unpaid", app.PaymentPartiallyPaid: "Part paid", app.PaymentPaid: "Paid", app.PaymentRefunded: "Refunded",
}

// moveWords are the buttons that move an order to a status.
var moveWords = map[string]string{
	app.OrderConfirmed: "Confirm", app.OrderPreparing: "Start preparing", app.OrderReady: "Mark ready",
	app.OrderOutForDelivery: "Out for delivery", app.OrderDelivered: "Delivered", app.OrderCompleted: "Collected",
	app.OrderCancelled: "Cancel order",
}

func orderPath(id string, more ...string) string {
	return strings.Join(append([]string{"/orders", url.PathEscape(id)}, more...), "/")
}

// orderMoves are the buttons of o's legal next moves; none for those who
// may not move it. Cancelling leads to its confirmation page.
func orderMoves(o app.Order, canOperate bool) []ui.OrderMove {
	if !canOperate {
		return nil
	}
	var moves []ui.OrderMove
	for _, to := range app.OrderNext(o.Fulfilment, o.Status) {
		m := ui.OrderMove{Status: to, Label: moveWords[to], Action: orderPath(o.ID, "status")}
		if to == app.OrderCancelled {
			m.Confirm = orderPath(o.ID, "cancel")
		}
		moves = append(moves, m)
	}
	return moves
}

// age is how long ago t was, coarsely: a card's words change at most once
// a minute, so its fragment is not re-sent on every tick.
func age(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
}

// orderCard is o as a card of the board or a row of the table.
func (s *Server) orderCard(ctx context.Context, o app.Order, locale string, canOperate bool) ui.OrderCard {
	return ui.OrderCard{ID: o.ID, Number: o.Number, Href: orderPath(o.Number), Customer: orDefault(strings.TrimSpace(o.CustomerName), o.CustomerPhone),
		Phone: o.CustomerPhone, Total: template.FormatMoney(locale, o.Total, o.Currency), Payment: o.PaymentStatus, PaymentLabel: paymentWords[o.PaymentStatus],
		Status: o.Status, StatusLabel: statusWords[o.Status], Fulfilment: o.Fulfilment, Age: age(s.now(), o.CreatedAt),
		Created: displayTime(ctx, o.CreatedAt), Problem: o.Problem, Moves: orderMoves(o, canOperate)}
}

func (s *Server) pageOrdersBoard(w http.ResponseWriter, r *http.Request) error {
	l, _ := s.frame(w, r, "Orders", "orders")
	cols, err := s.boardColumns(r.Context(), l.User.CanOperate())
	if err != nil {
		return err
	}
	return render(w, r, http.StatusOK, ui.OrdersBoardPage(ui.OrdersBoard{Layout: l, Columns: cols, Stream: "/orders/stream", CanOperate: l.User.CanOperate()}))
}

// boardColumns reads the board: the newest orders of each open status,
// and the orders that reached a final status today in the shop's zone.
func (s *Server) boardColumns(ctx context.Context, canOperate bool) ([]ui.BoardColumn, error) {
	locale := s.shopLocale(ctx)
	var cols []ui.BoardColumn
	for _, st := range boardOpen {
		list, next, err := s.db.ListOrders(ctx, store.OrderFilter{Status: st, Limit: boardSize})
		if err != nil {
			return nil, err
		}
		c := ui.BoardColumn{Status: st, Label: statusWords[st]}
		for _, o := range list {
			c.Cards = append(c.Cards, s.orderCard(ctx, o, locale, canOperate))
		}
		if next != "" {
			c.More = "/orders/table?status=" + st
		}
		cols = append(cols, c)
	}
	// An order finished today may have been placed any day before: read
	// the newest of each final status and keep those that changed today.
	today := app.DayStart(s.now(), zoneFrom(ctx))
	done := ui.BoardColumn{Status: "done", Label: "Done today", Done: true}
	var finished []app.Order
	for _, st := range boardDone {
		list, _, err := s.db.ListOrders(ctx, store.OrderFilter{Status: st, Limit: boardSize})
		if err != nil {
			return nil, err
		}
		for _, o := range list {
			if !o.UpdatedAt.Before(today) {
				finished = append(finished, o)
			}
		}
	}
	sortByUpdate(finished)
	for _, o := range finished {
		done.Cards = append(done.Cards, s.orderCard(ctx, o, locale, false))
	}
	return append(cols, done), nil
}

// sortByUpdate puts the most recently changed first.
func sortByUpdate(list []app.Order) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j].UpdatedAt.After(list[j-1].UpdatedAt); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// boardReread is how often a board or table reads its orders when no
// event came: for the ages on the cards and a stock problem, which the
// order job records without an event.
const boardReread = 20 * time.Second

// streamOrdersBoard keeps a board current: every order event re-reads the
// board and patches the columns that changed (a move patches two: the one
// the card left and the one it joined), on every open board.
func (s *Server) streamOrdersBoard(w http.ResponseWriter, r *http.Request) error {
	can := layout(r, "", "").User.CanOperate()
	return s.liveOrders(w, r, func(ctx context.Context, st *stream) error {
		cols, err := s.boardColumns(ctx, can)
		if err != nil {
			return err
		}
		for _, c := range cols {
			c := c
			if err := st.patch(ctx, "orders-col-"+c.Status, fragmentKey(ctx, can, c), func() templ.Component { return ui.BoardColumnView(c) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// liveOrders runs an orders stream (the board, the table): patch on every
// order event, and on a tick once boardReread has passed since the last
// read or events were dropped.
func (s *Server) liveOrders(w http.ResponseWriter, r *http.Request, patch func(ctx context.Context, st *stream) error) error {
	sub := s.broker.Subscribe(dashboardBuffer)
	defer sub.Close()
	var read time.Time
	reread := func(ctx context.Context, st *stream) error {
		read = time.Now()
		return patch(ctx, st)
	}
	return s.live(w, r, sub,
		func(ctx context.Context, st *stream) error {
			if !read.IsZero() && time.Since(read) < boardReread && sub.Dropped() == 0 {
				return nil
			}
			return reread(ctx, st)
		},
		func(ctx context.Context, st *stream, e app.Event) error {
			if orderOf(e) == "" {
				return nil
			}
			return reread(ctx, st)
		})
}

// postOrderStatus moves an order. With Datastar the answer clears or
// fills #orders-notice (a refusal: someone moved it first) and the open
// streams show the move; without, it comes back to the page it was posted
// from. Cancelling has its own confirmed route.
func (s *Server) postOrderStatus(w http.ResponseWriter, r *http.Request) error {
	o, err := s.order(r)
	if err != nil {
		return err
	}
	if err := form(w, r); err != nil {
		return err
	}
	to := r.PostFormValue("status")
	if to == app.OrderCancelled {
		err = app.Errorf(app.EINVALID, "cancel an order from its Cancel button, which asks first")
	} else if to == "" {
		err = app.Invalid(app.FieldError{Field: "status", Message: "is required"})
	} else {
		_, err = s.commerce.ChangeStatus(r.Context(), o.ID, to)
	}
	back := backTo(r, orderPath(o.Number))
	if err != nil {
		code := app.ErrorCode(err)
		if code != app.EINVALID && code != app.ECONFLICT {
			return err
		}
		msg := o.Number + ": " + sentence(app.ErrorMessage(err))
		if isDatastar(r) {
			return datastar.NewSSE(w, r).PatchElementTempl(ui.OrdersNotice(msg))
		}
		if back == orderPath(o.Number) {
			return s.renderOrder(w, r, statusOf[code], o.Number, orderForms{moveError: msg})
		}
		l, _ := s.frame(w, r, "Orders", "orders")
		l.Error = msg
		cols, err := s.boardColumns(r.Context(), true)
		if err != nil {
			return err
		}
		return render(w, r, statusOf[code], ui.OrdersBoardPage(ui.OrdersBoard{Layout: l, Columns: cols, Stream: "/orders/stream", CanOperate: true}))
	}
	if isDatastar(r) {
		return datastar.NewSSE(w, r).PatchElementTempl(ui.OrdersNotice(""))
	}
	return s.done(w, r, back, flash{notice: o.Number + " is " + strings.ToLower(statusWords[to]) + "."})
}

// backTo is the page a form came from when it is the board or the order's
// own page, else def: a plain form's redirect goes back where the person was.
func backTo(r *http.Request, def string) string {
	ref, err := url.Parse(r.Header.Get("Referer"))
	if err == nil && ref.Path == "/orders" {
		return "/orders"
	}
	return def
}

func (s *Server) pageOrderCancel(w http.ResponseWriter, r *http.Request) error {
	o, err := s.order(r)
	if err != nil {
		return err
	}
	if err := app.CheckOrderMove(o.Fulfilment, o.Status, app.OrderCancelled); err != nil {
		return err
	}
	detail := "The order stays in the list as cancelled, its reserved stock goes back to the catalog, and a planned delivery is called off."
	if o.Paid > 0 {
		detail += " It has payments: record a refund on its page when you give the money back."
	}
	return s.confirm(w, r, "orders", ui.ConfirmPage{Detail: detail, Action: orderPath(o.ID, "cancel"), Button: "Cancel order " + o.Number,
		Cancel: orderPath(o.Number)}, "Cancel order "+o.Number+"?")
}

func (s *Server) postOrderCancel(w http.ResponseWriter, r *http.Request) error {
	o, err := s.order(r)
	if err != nil {
		return err
	}
	if _, err := s.commerce.ChangeStatus(r.Context(), o.ID, app.OrderCancelled); err != nil {
		return formFailed(err, func(status int, msg string) error {
			return s.renderOrder(w, r, status, o.Number, orderForms{moveError: msg})
		})
	}
	return s.done(w, r, orderPath(o.Number), flash{notice: o.Number + " is cancelled."})
}
