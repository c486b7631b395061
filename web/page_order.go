package web

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/app/template"
	"smartbot/store"
	"smartbot/web/ui"
)

// An order's page: items and money, the customer and their chat, the
// delivery, payments and what happened in time order; status moves,
// payments, refunds and the delivery for operators (page_order_forms.go).
// Live: any event of this order re-renders #order-view.

// orderForms are the forms of an order's page as typed, with their
// refusals, sent back when one was refused.
type orderForms struct {
	moveError string
	pay       ui.PaymentForm
	refund    ui.PaymentForm
	delivery  *ui.DeliveryForm
}

var methodWords = map[string]string{app.PayCash: "Cash", app.PayMobileMoney: "Mobile money", app.PayBankTransfer: "Bank transfer", app.PayCard: "Card"}

var deliveryWords = map[string]string{app.DeliveryPending: "Not assigned", app.DeliveryAssigned: "Assigned", app.DeliveryInTransit: "On the way",
	app.DeliveryDone: "Delivered", app.DeliveryFailed: "Failed", app.DeliveryCancelled: "Called off"}

var deliveryMoveWords = map[string]string{app.DeliveryAssigned: "Assign", app.DeliveryInTransit: "Set off", app.DeliveryDone: "Delivered",
	app.DeliveryFailed: "Failed", app.DeliveryCancelled: "Call off"}

var noticeWords = map[string]string{"confirmation": "Confirmation sent", "confirmed": "Confirmation sent", "ready": "\"Ready for pickup\" sent",
	"out_for_delivery": "\"Out for delivery\" sent", "delivered": "\"Delivered\" sent", "payment_received": "Payment receipt sent"}

func (s *Server) pageOrder(w http.ResponseWriter, r *http.Request) error {
	return s.renderOrder(w, r, http.StatusOK, r.PathValue("id"), orderForms{})
}

// renderOrder shows the order ref (id or number) with the forms f.
func (s *Server) renderOrder(w http.ResponseWriter, r *http.Request, status int, ref string, f orderForms) error {
	o, err := s.orderByRef(r.Context(), ref)
	if err != nil {
		return err
	}
	l, fl := s.frame(w, r, "Order "+o.Number, "orders")
	can := l.User.CanOperate()
	v, err := s.orderView(r.Context(), o, can, f.delivery)
	if err != nil {
		return err
	}
	v.Error = f.moveError
	if v.Delivery != nil {
		v.Delivery.Link = fl.secret // a courier link just made: shown this once
	}
	p := ui.OrderPage{Layout: l, View: v, Stream: orderPath(o.ID, "stream"), Currency: o.Currency, Pay: f.pay, Refund: f.refund}
	p.Pay.Action, p.Refund.Action = orderPath(o.ID, "payments"), orderPath(o.ID, "refunds")
	for _, m := range app.PaymentMethods {
		p.Methods = append(p.Methods, ui.Choice{Value: m, Label: methodWords[m]})
	}
	return render(w, r, status, ui.OrderPageView(p))
}

// orderByRef reads an order by id (ord_…) or number (SB-000123).
func (s *Server) orderByRef(ctx context.Context, ref string) (app.Order, error) {
	if app.ValidID(app.PrefixOrder, ref) {
		return s.db.Order(ctx, ref)
	}
	if strings.HasPrefix(strings.ToUpper(ref), "SB-") && len(ref) <= 20 {
		return s.db.OrderByNumber(ctx, strings.ToUpper(ref))
	}
	return app.Order{}, app.Errorf(app.ENOTFOUND, "order %q not found", app.Shorten(ref, 40))
}

// orderView reads what an order's page shows of o. df is the delivery
// form as typed after a refusal, nil for the task as stored.
func (s *Server) orderView(ctx context.Context, o app.Order, can bool, df *ui.DeliveryForm) (ui.OrderView, error) {
	locale := s.shopLocale(ctx)
	m := func(n int64) string { return template.FormatMoney(locale, n, o.Currency) }
	v := ui.OrderView{ID: o.ID, Number: o.Number, Status: o.Status, StatusLabel: statusWords[o.Status], Payment: o.PaymentStatus,
		PaymentLabel: paymentWords[o.PaymentStatus], Fulfilment: o.Fulfilment, Created: displayTime(ctx, o.CreatedAt), Source: o.Source,
		Customer: orDefault(strings.TrimSpace(o.CustomerName), o.CustomerPhone), Phone: o.CustomerPhone, Address: o.DeliveryAddress,
		Notes: o.Notes, Problem: o.Problem, Total: m(o.Total), Moves: orderMoves(o, can), CanOperate: can}
	if s.messaging != nil {
		v.ChatHref = chatPath(o.CustomerID)
	}
	for _, it := range o.Items {
		v.Items = append(v.Items, ui.OrderLine{Name: it.Name, UnitPrice: m(it.UnitPrice), Quantity: strconv.FormatInt(it.Quantity, 10),
			Total: m(it.UnitPrice * it.Quantity)})
	}
	// Who moved or paid, as people say it: an email or an API key's name.
	names := map[string]string{}
	who := func(by string) string {
		if n, ok := names[by]; ok {
			return n
		}
		n := orDefault(s.uploader(ctx, by), by)
		switch {
		case by == app.ActorSystem:
			n = "Smartbot"
		case by == app.ActorBot:
			n = "the bot"
		case strings.HasPrefix(by, app.ActorSystem+":courier:"):
			n = "the courier's link"
		}
		names[by] = n
		return n
	}
	pays, err := s.commerce.OrderPayments(ctx, o.ID)
	if err != nil {
		return v, err
	}
	v.Paid, v.Balance = m(pays.Paid), m(pays.Balance)
	if pays.Refunded > 0 {
		v.Refunded = m(pays.Refunded)
	}
	type entry struct {
		at   int64
		item ui.TimelineItem
	}
	var tl []entry
	for _, p := range pays.Data {
		row := ui.PaymentRow{ID: p.ID, Amount: m(p.Amount), Method: orDefault(methodWords[p.Method], p.Method), Reference: p.Reference,
			By: who(p.RecordedBy), At: displayTime(ctx, p.PaidAt), Reason: p.Reason, Refund: p.Refund}
		if row.Reference == p.ID {
			row.Reference = "" // a payment taken without one is referenced by its own id
		}
		v.Payments = append(v.Payments, row)
		text := "Payment of " + row.Amount + " (" + row.Method + ")"
		if p.Refund {
			text = "Refund of " + row.Amount + ": " + p.Reason
		}
		tl = append(tl, entry{p.CreatedAt.UnixNano(), ui.TimelineItem{At: displayTime(ctx, p.CreatedAt), Kind: "payment", Text: text, By: row.By}})
	}
	for _, st := range o.Timeline {
		text := statusWords[st.Status]
		if st.Status == app.OrderPending {
			text = "Placed"
		}
		tl = append(tl, entry{st.At.UnixNano(), ui.TimelineItem{At: displayTime(ctx, st.At), Kind: "status", Text: text, By: who(st.By)}})
	}
	notices, err := s.db.OrderNotices(ctx, o.ID)
	if err != nil {
		return v, err
	}
	for _, n := range notices {
		text := orDefault(noticeWords[n.Notice], "Message sent: "+n.Notice)
		if n.MessageID == "" {
			text = "No message for " + n.Notice + " (the customer opted out or the template is missing)"
		}
		tl = append(tl, entry{n.At.UnixNano(), ui.TimelineItem{At: displayTime(ctx, n.At), Kind: "notice", Text: text}})
	}
	if o.Fulfilment == app.FulfilmentDelivery {
		tasks, _, err := s.db.ListDeliveries(ctx, store.DeliveryFilter{OrderID: o.ID, Limit: 20})
		if err != nil {
			return v, err
		}
		dv := s.deliveryView(ctx, o, tasks, can, df)
		v.Delivery = &dv
		for _, d := range tasks {
			tl = append(tl, entry{d.CreatedAt.UnixNano(), ui.TimelineItem{At: displayTime(ctx, d.CreatedAt), Kind: "delivery", Text: "Delivery planned"}})
			if d.StartedAt != nil {
				tl = append(tl, entry{d.StartedAt.UnixNano(), ui.TimelineItem{At: displayTime(ctx, *d.StartedAt), Kind: "delivery", Text: "Courier set off"}})
			}
			if d.CompletedAt != nil {
				tl = append(tl, entry{d.CompletedAt.UnixNano(), ui.TimelineItem{At: displayTime(ctx, *d.CompletedAt), Kind: "delivery",
					Text: "Delivery " + strings.ToLower(deliveryWords[d.Status])}})
			}
		}
	}
	sort.SliceStable(tl, func(i, j int) bool { return tl[i].at < tl[j].at })
	for _, e := range tl {
		v.Timeline = append(v.Timeline, e.item)
	}
	return v, nil
}

// deliveryView is the delivery section: the open task (or the latest one)
// and its form.
func (s *Server) deliveryView(ctx context.Context, o app.Order, tasks []app.DeliveryTask, can bool, df *ui.DeliveryForm) ui.DeliveryView {
	dv := ui.DeliveryView{Action: orderPath(o.ID, "delivery"), LinkAction: orderPath(o.ID, "delivery", "link"),
		MoveAction: orderPath(o.ID, "delivery", "status")}
	final := o.Status == app.OrderDelivered || o.Status == app.OrderCompleted || o.Status == app.OrderCancelled
	var task *app.DeliveryTask
	for i := range tasks {
		if !deliveryFinished(tasks[i].Status) || task == nil || tasks[i].CreatedAt.After(task.CreatedAt) && deliveryFinished(task.Status) {
			task = &tasks[i]
		}
	}
	form := ui.DeliveryForm{Address: o.DeliveryAddress}
	if task != nil {
		d := *task
		dv.Task, dv.Status, dv.StatusLabel = d.ID, d.Status, deliveryWords[d.Status]
		dv.Courier, dv.CourierPhone, dv.Address, dv.Notes = d.Assignee.Name, d.Assignee.Phone, d.Address, d.Notes
		dv.Scheduled, dv.Started, dv.Completed = displayTimePtr(ctx, d.ScheduledFor), displayTimePtr(ctx, d.StartedAt), displayTimePtr(ctx, d.CompletedAt)
		form = ui.DeliveryForm{Name: d.Assignee.Name, Phone: d.Assignee.Phone, Address: d.Address, Notes: d.Notes}
		if d.ScheduledFor != nil {
			form.Scheduled = d.ScheduledFor.In(zoneFrom(ctx)).Format(datetimeLocal)
		}
		if can {
			for _, to := range app.DeliveryNext(d.Status) {
				if to == app.DeliveryAssigned {
					continue // assigning is naming the courier, in the form
				}
				dv.Moves = append(dv.Moves, ui.OrderMove{Status: to, Label: deliveryMoveWords[to]})
			}
		}
		dv.Open = !deliveryFinished(d.Status)
	}
	// A finished task's section offers a new one, unless the order is done.
	dv.Ended = final
	if df != nil {
		form = *df
	}
	dv.Form = form
	return dv
}

// datetimeLocal is the value format of an <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

func deliveryFinished(status string) bool {
	return status == app.DeliveryDone || status == app.DeliveryFailed || status == app.DeliveryCancelled
}

// streamOrder keeps an order's page current: its events re-render
// #order-view, and a periodic re-read catches the stock problem, which the
// order's job records without an event.
func (s *Server) streamOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := s.orderByRef(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	can := layout(r, "", "").User.CanOperate()
	sub := s.broker.Subscribe(dashboardBuffer)
	defer sub.Close()
	ticks := 0
	patch := func(ctx context.Context, st *stream) error {
		cur, err := s.db.Order(ctx, o.ID)
		if err != nil {
			return err
		}
		v, err := s.orderView(ctx, cur, can, nil)
		if err != nil {
			return err
		}
		return st.patch(ctx, "order-view "+o.ID, fragmentKey(ctx, v), func() templ.Component { return ui.OrderViewFragment(v) })
	}
	return s.live(w, r, sub,
		func(ctx context.Context, st *stream) error {
			// The first refresh only marks what the page shows, which the
			// GET just rendered; then one read in every ten ticks.
			ticks++
			if ticks%10 != 1 {
				return nil
			}
			return patch(ctx, st)
		},
		func(ctx context.Context, st *stream, e app.Event) error {
			if orderOf(e) != o.ID {
				return nil
			}
			return patch(ctx, st)
		})
}
