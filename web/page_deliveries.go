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
	"smartbot/app/commerce"
	"smartbot/store"
	"smartbot/web/ui"
)

// The deliveries page: one day's tasks in the shop's timezone (today by
// default), grouped by status, live; operators assign a courier and a
// time, move a task along its legal statuses, and make a courier link
// (shown once). The run sheet is in page_deliveries_sheet.go.

// deliveryDayMax bounds how many tasks a day shows: far more than a small
// shop's couriers carry.
const deliveryDayMax = 1000

var deliveryLabels = map[string]string{
	app.DeliveryPending: "Waiting for a courier", app.DeliveryAssigned: "Assigned", app.DeliveryInTransit: "On the way",
	app.DeliveryDone: "Delivered", app.DeliveryFailed: "Failed", app.DeliveryCancelled: "Cancelled",
}

var deliveryMoveLabels = map[string]string{
	app.DeliveryAssigned: "Assigned", app.DeliveryInTransit: "Set off", app.DeliveryDone: "Delivered",
	app.DeliveryFailed: "Failed", app.DeliveryCancelled: "Cancel",
}

// deliveryOrder is the order groups are shown in: what needs doing first.
var deliveryOrder = []string{app.DeliveryPending, app.DeliveryAssigned, app.DeliveryInTransit, app.DeliveryDone, app.DeliveryFailed, app.DeliveryCancelled}

// deliveryDay is the day the URL (or a form) names in the shop's zone,
// today when it names none or a wrong one.
func (s *Server) deliveryDay(ctx context.Context, v string) time.Time {
	loc := zoneFrom(ctx)
	if day, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		return day
	}
	return app.DayStart(s.now(), loc).In(loc)
}

func deliveriesURL(day time.Time) string {
	return "/deliveries?date=" + day.Format(time.DateOnly)
}

// dayTasks reads day's tasks in the order they are due; today's also has
// the open tasks nobody scheduled, which belong to no day.
func (s *Server) dayTasks(ctx context.Context, day time.Time) ([]app.DeliveryTask, error) {
	f := store.DeliveryFilter{From: day.UTC(), Until: day.AddDate(0, 0, 1).UTC(), Limit: 500}
	var out []app.DeliveryTask
	for len(out) < deliveryDayMax {
		list, next, err := s.db.ListDeliveries(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if !day.Equal(app.DayStart(s.now(), zoneFrom(ctx)).In(zoneFrom(ctx))) {
		return out, nil
	}
	for _, st := range []string{app.DeliveryPending, app.DeliveryAssigned} {
		list, _, err := s.db.ListDeliveries(ctx, store.DeliveryFilter{Status: st, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, d := range list {
			if d.ScheduledFor == nil {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// assignInput is an assign form as typed, shown again when refused.
type assignInput struct {
	taskID, name, phone, at, problem string
}

// deliveryBoard reads day's tasks as the page shows them.
func (s *Server) deliveryBoard(ctx context.Context, day time.Time, canEdit bool, typed *assignInput) (ui.DeliveryBoard, []string, error) {
	tasks, err := s.dayTasks(ctx, day)
	if err != nil {
		return ui.DeliveryBoard{}, nil, err
	}
	byStatus := map[string][]ui.DeliveryCard{}
	var couriers []string
	for _, d := range tasks {
		o, err := s.db.Order(ctx, d.OrderID)
		if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
			return ui.DeliveryBoard{}, nil, err
		}
		c := deliveryCard(ctx, d, o, canEdit, day)
		if typed != nil && typed.taskID == d.ID {
			c.Courier, c.CourierPhone, c.TimeValue, c.Problem = typed.name, typed.phone, typed.at, typed.problem
		}
		byStatus[d.Status] = append(byStatus[d.Status], c)
		if n := d.Assignee.Name; n != "" && !slices.Contains(couriers, n) {
			couriers = append(couriers, n)
		}
	}
	var b ui.DeliveryBoard
	for _, st := range deliveryOrder {
		if cards := byStatus[st]; len(cards) > 0 {
			b.Groups = append(b.Groups, ui.DeliveryGroup{Status: st, Label: deliveryLabels[st], Tasks: cards})
		}
	}
	if len(b.Groups) == 0 {
		b.Empty = "No deliveries on " + day.Format("Monday 2 January 2006") + ". A delivery is planned from its order's page."
	}
	slices.Sort(couriers)
	return b, couriers, nil
}

func deliveryCard(ctx context.Context, d app.DeliveryTask, o app.Order, canEdit bool, day time.Time) ui.DeliveryCard {
	c := ui.DeliveryCard{ID: d.ID, OrderNumber: d.OrderNumber, OrderHref: shopPath("orders", d.OrderID), Address: d.Address,
		Customer: orDefault(strings.TrimSpace(o.CustomerName), o.CustomerPhone), CustomerPhone: o.CustomerPhone,
		Courier: d.Assignee.Name, CourierPhone: d.Assignee.Phone, Status: d.Status, Notes: d.Notes, CanEdit: canEdit,
		Finished: len(app.DeliveryNext(d.Status)) == 0, Date: day.Format(time.DateOnly), Time: "Not scheduled",
		AssignURL: shopPath("deliveries", d.ID, "assign"), StatusURL: shopPath("deliveries", d.ID, "status"),
		LinkURL: shopPath("deliveries", d.ID, "courier-link")}
	if t := d.ScheduledFor; t != nil {
		local := t.In(zoneFrom(ctx))
		c.Time, c.TimeValue = local.Format("15:04"), local.Format("2006-01-02T15:04")
	}
	for _, next := range app.DeliveryNext(d.Status) {
		c.Moves = append(c.Moves, ui.DeliveryMove{Status: next, Label: deliveryMoveLabels[next],
			Danger: next == app.DeliveryFailed || next == app.DeliveryCancelled})
	}
	return c
}

func (s *Server) pageDeliveries(w http.ResponseWriter, r *http.Request) error {
	return s.renderDeliveries(w, r, http.StatusOK, r.URL.Query().Get("date"), nil)
}

func (s *Server) renderDeliveries(w http.ResponseWriter, r *http.Request, status int, date string, typed *assignInput) error {
	ctx := r.Context()
	day := s.deliveryDay(ctx, date)
	l, f := s.frame(w, r, "Deliveries", "deliveries")
	board, couriers, err := s.deliveryBoard(ctx, day, l.User.CanOperate(), typed)
	if err != nil {
		return err
	}
	if typed != nil {
		l.Error = typed.problem
	}
	p := ui.DeliveriesPage{Layout: l, Date: day.Format(time.DateOnly), Today: app.DayStart(s.now(), zoneFrom(ctx)).In(zoneFrom(ctx)).Format(time.DateOnly),
		PrevURL: deliveriesURL(day.AddDate(0, 0, -1)), NextURL: deliveriesURL(day.AddDate(0, 0, 1)), Board: board,
		Stream: "/deliveries/stream?date=" + day.Format(time.DateOnly), CanEdit: l.User.CanOperate(), Link: f.secret,
		RunSheetURL: runSheetURL(day, "")}
	for _, c := range couriers {
		p.Couriers = append(p.Couriers, ui.CourierSheet{Name: c, Href: runSheetURL(day, c)})
	}
	return render(w, r, status, ui.Deliveries(p))
}

// streamDeliveries keeps the day's board current: on delivery, order and
// payment events, and on the refresh tick for edits that emit none (a
// courier assigned, a time moved).
func (s *Server) streamDeliveries(w http.ResponseWriter, r *http.Request) error {
	day := s.deliveryDay(r.Context(), r.URL.Query().Get("date"))
	canEdit := layout(r, "", "").User.CanOperate()
	sub := s.broker.Subscribe(dashboardBuffer)
	defer sub.Close()
	refresh := func(ctx context.Context, st *stream) error {
		b, _, err := s.deliveryBoard(ctx, day, canEdit, nil)
		if err != nil {
			return err
		}
		return st.patch(ctx, "deliveries", fragmentKey(ctx, b), func() templ.Component { return ui.DeliveryTasks(b) })
	}
	return s.live(w, r, sub, refresh, func(ctx context.Context, st *stream, e app.Event) error {
		switch e.Type {
		case app.DeliveryStarted, app.DeliveryCompleted, app.OrderStatusChanged, app.OrderCreated, app.PaymentReceived:
			return refresh(ctx, st)
		}
		return nil
	})
}

func (s *Server) deliveryByPath(r *http.Request) (app.DeliveryTask, error) {
	id, err := pathID(r, app.PrefixDelivery, "delivery")
	if err != nil {
		return app.DeliveryTask{}, app.Errorf(app.ENOTFOUND, "This delivery does not exist: the link is wrong.")
	}
	return s.db.Delivery(r.Context(), id)
}

// postTaskAssign sets a task's courier and time.
func (s *Server) postTaskAssign(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	d, err := s.deliveryByPath(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	date := r.PostFormValue("date")
	in := assignInput{taskID: d.ID, name: strings.TrimSpace(r.PostFormValue("courier_name")),
		phone: strings.TrimSpace(r.PostFormValue("courier_phone")), at: strings.TrimSpace(r.PostFormValue("scheduled_for"))}
	ch := commerce.DeliveryChange{Assignee: &app.Assignee{Name: in.name, Phone: in.phone}}
	if in.at != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", in.at, zoneFrom(ctx))
		if err != nil {
			in.problem = "Not saved: the time must be a day and a time, like 2026-05-01 14:30."
			return s.renderDeliveries(w, r, http.StatusUnprocessableEntity, date, &in)
		}
		ch.ScheduledFor = &t
	}
	if _, err := s.commerce.UpdateDelivery(ctx, d.ID, ch); err != nil {
		return formFailed(err, func(status int, msg string) error {
			in.problem = "Not saved. " + msg
			return s.renderDeliveries(w, r, status, date, &in)
		})
	}
	return s.redirectWith(w, r, deliveriesURL(s.deliveryDay(ctx, date)), flash{notice: d.OrderNumber + " goes with " + in.name + "."})
}

// postTaskMove moves a task to the status its button names.
func (s *Server) postTaskMove(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	d, err := s.deliveryByPath(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	date, to := r.PostFormValue("date"), r.PostFormValue("status")
	if _, err := s.commerce.ChangeDeliveryStatus(ctx, d.ID, to, strings.TrimSpace(r.PostFormValue("reason"))); err != nil {
		return formFailed(err, func(status int, msg string) error {
			return s.renderDeliveries(w, r, status, date, &assignInput{problem: msg})
		})
	}
	return s.redirectWith(w, r, deliveriesURL(s.deliveryDay(ctx, date)), flash{notice: d.OrderNumber + ": " + strings.ToLower(deliveryLabels[to]) + "."})
}

// postTaskLink makes a new courier link, shown once on the page it
// returns to; the task's earlier link stops working.
func (s *Server) postTaskLink(w http.ResponseWriter, r *http.Request) error {
	if err := form(w, r); err != nil {
		return err
	}
	d, err := s.deliveryByPath(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	path, err := s.commerce.CourierLink(ctx, d.ID)
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			return s.renderDeliveries(w, r, status, r.PostFormValue("date"), &assignInput{problem: msg})
		})
	}
	scheme := "http"
	if r.TLS != nil || s.secureCookies {
		scheme = "https"
	}
	link := (&url.URL{Scheme: scheme, Host: r.Host, Path: path}).String()
	return s.redirectWith(w, r, deliveriesURL(s.deliveryDay(ctx, r.PostFormValue("date"))), flash{
		notice: "Courier link for " + d.OrderNumber + ": send it to the courier now. It is shown only this once; making another stops this one.",
		secret: link})
}
