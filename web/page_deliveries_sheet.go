package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/web/ui"
)

// The run sheet: a courier's day on paper (A4) or on a phone. A plain
// page without the panel's navigation: one block per stop in the order
// they are due, with what to collect in cash and a line to sign.

func (s *Server) pageRunSheet(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	day := s.deliveryDay(ctx, q.Get("date"))
	courier := strings.TrimSpace(q.Get("courier"))
	tasks, err := s.dayTasks(ctx, day)
	if err != nil {
		return err
	}
	m := s.moneyOf(ctx)
	p := ui.RunSheetPage{Title: "Run sheet", Date: day.Format("Monday 2 January 2006"), Courier: courier,
		Zone: zoneFrom(ctx).String(), BackURL: deliveriesURL(day)}
	if courier != "" {
		p.Title = "Run sheet: " + courier
	}
	cash := map[string]int64{}
	var currencies []string
	for _, d := range tasks {
		if d.Status == app.DeliveryCancelled || !courierMatches(d.Assignee, courier) {
			continue
		}
		o, err := s.db.Order(ctx, d.OrderID)
		if err != nil {
			return err
		}
		stop := ui.RunSheetStop{N: len(p.Stops) + 1, Time: "Any time", Number: d.OrderNumber,
			Customer: orDefault(strings.TrimSpace(o.CustomerName), "—"), Phone: o.CustomerPhone, Address: d.Address,
			Notes: strings.TrimSpace(strings.Join(nonEmpty(d.Notes, o.Notes), "\n")), Status: deliveryLabels[d.Status]}
		if t := d.ScheduledFor; t != nil {
			stop.Time = t.In(zoneFrom(ctx)).Format("15:04")
		}
		for _, it := range o.Items {
			stop.Items = append(stop.Items, strconv.FormatInt(it.Quantity, 10)+" × "+it.Name)
		}
		if due := o.Total - o.Paid; due > 0 && d.Status != app.DeliveryDone {
			stop.ToCollect = m.format(due, o.Currency)
			if _, ok := cash[o.Currency]; !ok {
				currencies = append(currencies, o.Currency)
			}
			cash[o.Currency] += due
		} else {
			stop.Paid = true
		}
		p.Stops = append(p.Stops, stop)
	}
	var totals []string
	for _, c := range currencies {
		totals = append(totals, m.format(cash[c], c))
	}
	p.TotalCash, p.Count = strings.Join(totals, " + "), plural(len(p.Stops), "stop")
	return render(w, r, http.StatusOK, ui.RunSheet(p))
}

// courierMatches reports whether a task's courier is the one the sheet is
// for, by name (any case) or phone; an empty courier takes every task.
func courierMatches(a app.Assignee, courier string) bool {
	if courier == "" {
		return true
	}
	return strings.EqualFold(a.Name, courier) || (a.Phone != "" && a.Phone == courier)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// runSheetURL is the run sheet of day for courier ("" for everyone).
func runSheetURL(day time.Time, courier string) string {
	v := url.Values{"date": {day.Format(time.DateOnly)}}
	if courier != "" {
		v.Set("courier", courier)
	}
	return "/deliveries/run-sheet?" + v.Encode()
}
