package web

import (
	"context"
	"net/http"
	"strconv"

	"smartbot/app"
	"smartbot/store"
	"smartbot/web/ui"
)

// The dashboard: counters, queues and the live event feed (its stream is
// streamDashboard in stream.go).

func (s *Server) pageDashboard(w http.ResponseWriter, r *http.Request) error {
	p, err := s.dashboard(r.Context())
	if err != nil {
		return err
	}
	var f flash
	p.Layout, f = s.frame(w, r, "Dashboard", "dashboard")
	// A phone-number pairing code comes as the flash's secret (page_connection.go).
	p.Connection = s.connectionCard(r.Context(), p.Layout.User.CanAdmin(), f.secret)
	return render(w, r, http.StatusOK, ui.Dashboard(p))
}

// dashboard gathers the dashboard's figures.
func (s *Server) dashboard(ctx context.Context) (ui.DashboardPage, error) {
	var p ui.DashboardPage
	counters, err := s.counters(ctx)
	if err != nil {
		return p, err
	}
	queues, err := s.queueRows(ctx)
	if err != nil {
		return p, err
	}
	events, err := s.db.ListEvents(ctx, store.EventFilter{Limit: feedSize})
	if err != nil {
		return p, err
	}
	p.Counters, p.Queues = counters, queues
	for _, e := range events {
		p.Events = append(p.Events, eventRow(ctx, e.Event))
	}
	return p, nil
}

// feedSize is how many events the live feed shows.
const feedSize = 20

func (s *Server) counters(ctx context.Context) ([]ui.Counter, error) {
	// "Today" is the shop's day, in its timezone.
	c, err := s.db.Counters(ctx, app.DayStart(s.now(), zoneFrom(ctx)))
	if err != nil {
		return nil, err
	}
	return []ui.Counter{
		{ID: "orders-today", Label: "Orders today", Value: strconv.FormatInt(c.OrdersToday, 10)},
		{ID: "messages-today", Label: "Messages today", Value: strconv.FormatInt(c.MessagesToday, 10)},
		{ID: "events-today", Label: "Events today", Value: strconv.FormatInt(c.EventsToday, 10)},
		{ID: "customers", Label: "Customers", Value: strconv.FormatInt(c.Customers, 10)},
		{ID: "dead-letters", Label: "Failed jobs", Value: strconv.FormatInt(c.DeadLetters, 10)},
	}, nil
}

func (s *Server) queueRows(ctx context.Context) ([]ui.QueueRow, error) {
	stats, err := s.queues.Stats(ctx, s.runner)
	if err != nil {
		return nil, err
	}
	rows := make([]ui.QueueRow, len(stats))
	for i, st := range stats {
		rows[i] = ui.QueueRow{Name: string(st.Queue), Label: queueLabel(string(st.Queue)), Depth: st.Depth, Scheduled: st.Scheduled, InFlight: st.InFlight, Dead: st.Dead, Processed: st.Processed, Failed: st.Failed}
	}
	return rows, nil
}

// eventRow is an event as the feed shows it: a sentence (page_words.go).
func eventRow(ctx context.Context, e app.Event) ui.EventRow {
	return ui.EventRow{ID: e.ID, Type: string(e.Type), Kind: orDefault(eventKinds[e.Type], "Event"), Time: displayTime(ctx, e.Timestamp), Summary: eventSentence(e)}
}
