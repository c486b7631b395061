package web

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/starfederation/datastar-go/datastar"

	"smartbot/app"
	"smartbot/app/event"
	"smartbot/store"
	"smartbot/web/ui"
)

// Live pages open one long GET each; it sends Datastar patches of the
// page's fragments whenever they change. State changes go through POSTs;
// the open stream shows their result.

// refreshEvery is how often a stream re-reads figures that have no event of
// their own (queue depths, counters); it patches only what changed.
const refreshEvery = 2 * time.Second

// heartbeatEvery is how often a stream says it is alive when nothing else
// changed, so the page can tell a quiet stream from a dead one (panel.js
// calls a stream stale after three missed beats).
const heartbeatEvery = 15 * time.Second

// streamMaxAge ends a stream after this long; the page's Datastar client
// (retry 'always') opens a new one. It bounds what one connection holds.
const streamMaxAge = time.Hour

// stream is one open SSE connection with what it last sent per fragment.
type stream struct {
	sse  *datastar.ServerSentEventGenerator
	sent map[string]string
}

// openStream prepares r's response for SSE: no write deadline, no proxy
// buffering. It must come after reading anything from the request.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request) *stream {
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	w.Header().Set("X-Accel-Buffering", "no")
	w.Header().Set("Cache-Control", "no-store")
	return &stream{sse: datastar.NewSSE(w, r), sent: make(map[string]string)}
}

// signal tells the page's panel.js how the stream is: "open" on every
// heartbeat, "closing" just before the server ends it, so the page shows
// "Reconnecting…" at once instead of "Live" until the retry fails.
func (st *stream) signal(state string) error {
	return st.sse.PatchSignals([]byte(`{"_stream":"` + state + `"}`))
}

// patch sends fragment id when its HTML differs from what was sent last.
func (st *stream) patch(ctx context.Context, id string, c templ.Component) error {
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		return err
	}
	html := buf.String()
	if st.sent[id] == html {
		return nil
	}
	st.sent[id] = html
	return st.sse.PatchElements(html)
}

// live runs a stream until the client leaves, the server shuts down or the
// stream's age runs out: refresh on every tick, onEvent on every committed
// event of sub (nil for a page without events).
func (s *Server) live(w http.ResponseWriter, r *http.Request, sub *event.Subscription, refresh func(ctx context.Context, st *stream) error, onEvent func(ctx context.Context, st *stream, e app.Event) error) error {
	var events <-chan app.Event
	if sub != nil {
		events = sub.C
	}
	st := s.openStream(w, r)
	ctx := r.Context()
	if err := st.signal("open"); err != nil {
		return nil
	}
	if err := refresh(ctx, st); err != nil {
		return err
	}
	tick := time.NewTicker(refreshEvery)
	defer tick.Stop()
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	maxAge := time.NewTimer(streamMaxAge)
	defer maxAge.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.closing:
			st.signal("closing")
			return nil
		case <-maxAge.C:
			st.signal("closing")
			return nil
		case <-beat.C:
			if err := st.signal("open"); err != nil {
				return nil
			}
		case <-tick.C:
			if err := refresh(ctx, st); err != nil {
				return nil // the client is gone or the database is; either way the stream ends
			}
		case e, ok := <-events:
			if !ok {
				return nil
			}
			if err := onEvent(ctx, st, e); err != nil {
				return nil
			}
		}
	}
}

func (s *Server) streamDashboard(w http.ResponseWriter, r *http.Request) error {
	// Subscribe before reading the feed, so that an event committed in
	// between is not lost; one that is both read and heard is shown once.
	sub := s.broker.Subscribe(64)
	defer sub.Close()
	p, err := s.dashboard(r.Context())
	if err != nil {
		return err
	}
	feed := p.Events
	var dropped int64
	return s.live(w, r, sub,
		func(ctx context.Context, st *stream) error {
			// A stream that fell behind missed events: read the feed
			// afresh rather than show it with holes.
			if n := sub.Dropped(); n > dropped {
				dropped = n
				events, err := s.db.ListEvents(ctx, store.EventFilter{Limit: feedSize})
				if err != nil {
					return err
				}
				feed = feed[:0:0]
				for _, e := range events {
					feed = append(feed, eventRow(ctx, e.Event))
				}
			}
			counters, queues, err := s.figures.get(ctx)
			if err != nil {
				return err
			}
			if err := st.patch(ctx, "counters", ui.Counters(counters)); err != nil {
				return err
			}
			if err := st.patch(ctx, "queues", ui.QueuesTable(queues)); err != nil {
				return err
			}
			return st.patch(ctx, "events", ui.EventFeed(feed))
		},
		func(ctx context.Context, st *stream, e app.Event) error {
			for _, f := range feed {
				if f.ID == e.ID {
					return nil
				}
			}
			feed = append([]ui.EventRow{eventRow(ctx, e)}, feed...)
			if len(feed) > feedSize {
				feed = feed[:feedSize]
			}
			return st.patch(ctx, "events", ui.EventFeed(feed))
		})
}

func (s *Server) streamQueues(w http.ResponseWriter, r *http.Request) error {
	canOperate := layout(r, "", "").User.CanOperate()
	return s.live(w, r, nil, func(ctx context.Context, st *stream) error {
		return s.patchQueues(ctx, st, canOperate)
	}, nil)
}

func (s *Server) patchQueues(ctx context.Context, st *stream, canOperate bool) error {
	_, queues, err := s.figures.get(ctx)
	if err != nil {
		return err
	}
	dead, err := s.deadRows(ctx)
	if err != nil {
		return err
	}
	if err := st.patch(ctx, "queues", ui.QueuesTable(queues)); err != nil {
		return err
	}
	return st.patch(ctx, "dead-letters", ui.DeadLetters(dead, canOperate))
}

// postDeadRetry and postDeadDiscard answer Datastar's POST with patches of
// the queues page, so the clicker sees the result at once; other open
// pages see it on their next refresh. A plain form's POST (no JavaScript,
// or the discard confirmation page) redirects to the queues page.
func (s *Server) postDeadRetry(w http.ResponseWriter, r *http.Request) error {
	return s.deadAction(w, r, s.queues.Retry, "The job is back in its queue.")
}

func (s *Server) postDeadDiscard(w http.ResponseWriter, r *http.Request) error {
	return s.deadAction(w, r, s.queues.Discard, "The failed job was discarded.")
}

func (s *Server) deadAction(w http.ResponseWriter, r *http.Request, act func(context.Context, string) error, notice string) error {
	id, err := deadID(r)
	if err != nil {
		return err
	}
	if err := act(r.Context(), id); err != nil {
		return err
	}
	s.figures.invalidate()
	if !isDatastar(r) {
		return s.done(w, r, "/queues", flash{notice: notice})
	}
	st := s.openStream(w, r)
	return s.patchQueues(r.Context(), st, true)
}

// CloseStreams ends every open live stream; call it when the HTTP server
// shuts down (http.Server.RegisterOnShutdown), or shutdown waits for them.
func (s *Server) CloseStreams() {
	s.closeOnce.Do(func() { close(s.closing) })
}

// figures caches the dashboard's counters and queue rows for a second, so
// that every open stream's refresh shares one set of queries instead of
// each running its own.
type figures struct {
	mu       sync.Mutex
	load     func(ctx context.Context) ([]ui.Counter, []ui.QueueRow, error)
	at       time.Time
	counters []ui.Counter
	queues   []ui.QueueRow
}

func (f *figures) get(ctx context.Context) ([]ui.Counter, []ui.QueueRow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.at) < time.Second {
		return f.counters, f.queues, nil
	}
	c, q, err := f.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	f.counters, f.queues, f.at = c, q, time.Now()
	return c, q, nil
}

// invalidate makes the next get read afresh: after a change the clicker
// should see at once.
func (f *figures) invalidate() {
	f.mu.Lock()
	f.at = time.Time{}
	f.mu.Unlock()
}
