package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/store"
	"smartbot/web/ui"
)

// The events page: the shop's event history as webhooks receive it, live,
// filtered by type and by days (in the shop's zone), in pages; each row
// opens to its whole payload.

// eventsPage is how many events one page shows.
const eventsPage = 50

// eventsScanMax bounds how many events a day filter reads past to find
// its page: the history has no index by time, only by order, and a page
// must answer quickly however long ago the chosen day was.
const eventsScanMax = 20000

// eventsQuery is the page's filters as the URL gives them.
type eventsQuery struct {
	typ          app.EventType
	since, until time.Time // until is the start of the day after the chosen one
	sinceText    string
	untilText    string
	before       int64
	id           string
}

func (s *Server) eventsQueryOf(ctx context.Context, q url.Values) eventsQuery {
	var eq eventsQuery
	if t := app.EventType(q.Get("type")); t.Valid() {
		eq.typ = t
	}
	loc := zoneFrom(ctx)
	if d, err := time.ParseInLocation(time.DateOnly, q.Get("since"), loc); err == nil {
		eq.since, eq.sinceText = d, q.Get("since")
	}
	if d, err := time.ParseInLocation(time.DateOnly, q.Get("until"), loc); err == nil {
		eq.until, eq.untilText = d.AddDate(0, 0, 1), q.Get("until")
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		eq.before = b
	}
	if id := q.Get("id"); app.ValidID(app.PrefixEvent, id) {
		eq.id = id
	}
	return eq
}

// live reports whether new events belong at the top of this page.
func (eq eventsQuery) live() bool { return eq.before == 0 && eq.until.IsZero() && eq.id == "" }

func (eq eventsQuery) values() url.Values {
	v := url.Values{}
	if eq.typ != "" {
		v.Set("type", string(eq.typ))
	}
	if eq.sinceText != "" {
		v.Set("since", eq.sinceText)
	}
	if eq.untilText != "" {
		v.Set("until", eq.untilText)
	}
	return v
}

// eventList reads the page eq asks for.
func (s *Server) eventList(ctx context.Context, eq eventsQuery) (ui.EventList, error) {
	var out ui.EventList
	if eq.id != "" {
		e, err := s.db.Event(ctx, eq.id)
		if err != nil {
			if app.ErrorCode(err) == app.ENOTFOUND {
				out.Empty = "There is no event " + eq.id + "."
				return out, nil
			}
			return out, err
		}
		out.Events = []ui.EventEntry{eventEntry(ctx, e)}
		out.Note = "Only event " + eq.id + " is shown."
		return out, nil
	}
	f := store.EventFilter{Type: eq.typ, Cursor: eq.before, Limit: 500}
	var shown []store.EventRecord
	more, scanned := false, 0
scan:
	for {
		recs, err := s.db.ListEvents(ctx, f)
		if err != nil {
			return out, err
		}
		for _, rec := range recs {
			scanned++
			if !eq.until.IsZero() && !rec.Timestamp.Before(eq.until) {
				continue
			}
			if !eq.since.IsZero() && rec.Timestamp.Before(eq.since) {
				break scan
			}
			if len(shown) == eventsPage {
				more = true
				break scan
			}
			shown = append(shown, rec)
		}
		if len(recs) < f.Limit {
			break
		}
		if scanned >= eventsScanMax {
			out.Note = "Only the latest " + strconv.Itoa(eventsScanMax) + " events were searched for these days: choose a narrower type, or use the API."
			break
		}
		f.Cursor = recs[len(recs)-1].Seq
	}
	for _, rec := range shown {
		out.Events = append(out.Events, eventEntry(ctx, rec.Event))
	}
	if more {
		v := eq.values()
		v.Set("before", strconv.FormatInt(shown[len(shown)-1].Seq, 10))
		out.NextURL = "/events?" + v.Encode()
	}
	if len(out.Events) == 0 {
		out.Empty = "No events yet. Orders, payments, messages, products and deliveries each add theirs here as they happen."
		if eq.typ != "" || !eq.since.IsZero() || !eq.until.IsZero() || eq.before != 0 {
			out.Empty = "No events match these filters."
		}
	}
	return out, nil
}

// eventEntry is an event with its payload as webhooks receive it,
// indented for reading; the template escapes it.
func eventEntry(ctx context.Context, e app.Event) ui.EventEntry {
	payload, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		payload = e.Data
	}
	return ui.EventEntry{ID: e.ID, Type: string(e.Type), Kind: orDefault(eventKinds[e.Type], "Event"),
		Time: displayTimeSeconds(ctx, e.Timestamp), Summary: eventSentence(e), Payload: string(payload)}
}

func (s *Server) pageEvents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	eq := s.eventsQueryOf(ctx, r.URL.Query())
	list, err := s.eventList(ctx, eq)
	if err != nil {
		return err
	}
	l, _ := s.frame(w, r, "Events", "events")
	p := ui.EventsPage{Layout: l, Type: string(eq.typ), Since: eq.sinceText, Until: eq.untilText, List: list}
	for _, t := range app.EventTypes {
		p.Types = append(p.Types, ui.EventChoice{Type: string(t), Label: string(t), Checked: t == eq.typ})
	}
	if eq.live() {
		p.Stream = "/events/stream"
		if v := eq.values(); len(v) > 0 {
			p.Stream += "?" + v.Encode()
		}
	}
	return render(w, r, http.StatusOK, ui.Events(p))
}

// streamEvents shows new events at the top of the first page as they are
// committed, when the page's filters take them.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) error {
	// Subscribe before the first read, so no event falls in between.
	sub := s.broker.Subscribe(dashboardBuffer)
	defer sub.Close()
	eq := s.eventsQueryOf(r.Context(), r.URL.Query())
	eq.before, eq.until, eq.id = 0, time.Time{}, ""
	refresh := func(ctx context.Context, st *stream) error {
		list, err := s.eventList(ctx, eq)
		if err != nil {
			return err
		}
		ids := make([]string, len(list.Events))
		for i, e := range list.Events {
			ids[i] = e.ID
		}
		return st.patch(ctx, "event-list", fragmentKey(ctx, strings.Join(ids, ","), list.NextURL, list.Empty, list.Note), func() templ.Component { return ui.EventListView(list) })
	}
	// Each event re-reads the page, so an event the subscription dropped
	// while this stream was busy shows with the next one; the slow tick
	// only catches up when none follows.
	return s.run(w, r, wakers{every: eventsCatchUp, events: sub.C, onEvent: func(ctx context.Context, st *stream, e app.Event) error {
		if eq.typ != "" && e.Type != eq.typ {
			return nil
		}
		return refresh(ctx, st)
	}}, refresh)
}

// eventsCatchUp is how often the events page re-reads the history without
// an event to say it changed.
const eventsCatchUp = time.Minute
