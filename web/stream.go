package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/starfederation/datastar-go/datastar"

	"smartbot/app"
	"smartbot/app/event"
	"smartbot/app/messaging"
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

// dashboardBuffer is how many events a dashboard stream holds while it is
// busy; past it, events are dropped and the next refresh reads the feed
// afresh. A variable only so that a test can make drops certain.
var dashboardBuffer = 64

// streamMaxAge ends a stream after this long; the page's Datastar client
// (retry 'always') opens a new one. It bounds what one connection holds.
const streamMaxAge = time.Hour

// stream is one open SSE connection with the key of what it last sent
// per fragment.
type stream struct {
	sse    *datastar.ServerSentEventGenerator
	w      http.ResponseWriter
	rc     *http.ResponseController
	sent   map[string]string
	shared *fragments
}

// fragments frames each live change once and hands the same bytes to every
// stream that shows it: with 200 dashboards open, an event is rendered and
// framed as an SSE event once, and each stream only writes the bytes. A
// change is known by an id and a key that names everything its bytes
// depend on.
type fragments struct {
	mu   sync.Mutex
	last map[string]fragment // by id
}

type fragment struct {
	key   string
	frame []byte
}

// frame returns the SSE bytes of change id for key, running build only when
// key differs from the last one framed; build writes its patches to the
// generator it is given. The lock is held while building, so streams that
// wake together for one change wait for the one rendering rather than each
// render it again.
func (f *fragments) frame(ctx context.Context, id, key string, build func(*datastar.ServerSentEventGenerator) error) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if last, ok := f.last[id]; ok && last.key == key {
		return last.frame, nil
	}
	c := &capture{header: http.Header{}}
	// The stream that asks first may be leaving; the bytes are for all.
	r := (&http.Request{ProtoMajor: 1, Header: http.Header{}}).WithContext(context.WithoutCancel(ctx))
	if err := build(datastar.NewSSE(c, r)); err != nil {
		return nil, err
	}
	if f.last == nil {
		f.last = make(map[string]fragment)
	}
	f.last[id] = fragment{key, c.Bytes()}
	return c.Bytes(), nil
}

// capture is the response writer that fragments frames into: it keeps what
// datastar writes and throws away headers.
type capture struct {
	bytes.Buffer
	header http.Header
}

func (c *capture) Header() http.Header { return c.header }
func (c *capture) WriteHeader(int)     {}
func (c *capture) Flush()              {}

// openStream prepares r's response for SSE: no write deadline, no proxy
// buffering. It must come after reading anything from the request.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request) *stream {
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{})
	w.Header().Set("X-Accel-Buffering", "no")
	w.Header().Set("Cache-Control", "no-store")
	return &stream{sse: datastar.NewSSE(w, r), w: w, rc: rc, sent: make(map[string]string), shared: &s.fragments}
}

// signal tells the page's panel.js how the stream is: "open" on every
// heartbeat, "closing" just before the server ends it, so the page shows
// "Reconnecting…" at once instead of "Live" until the retry fails.
func (st *stream) signal(state string) error {
	return st.sse.PatchSignals([]byte(`{"_stream":"` + state + `"}`))
}

// patch sends fragment id when key differs from what this stream sent
// last. key names everything the fragment's HTML depends on (fragmentKey,
// feedKey); build makes the component, and runs once for all streams.
func (st *stream) patch(ctx context.Context, id, key string, build func() templ.Component) error {
	if last, ok := st.sent[id]; ok && last == key {
		return nil
	}
	err := st.send(ctx, id, key, func(sse *datastar.ServerSentEventGenerator) error {
		return sse.PatchElementTempl(build())
	})
	if err != nil {
		return err
	}
	st.sent[id] = key
	return nil
}

// step moves fragment id from key from to key to with the smaller patches
// build writes, when from is what this stream shows; it reports false, and
// sends nothing, when the stream shows something else: the caller then
// sends the whole fragment.
func (st *stream) step(ctx context.Context, id, from, to string, build func(*datastar.ServerSentEventGenerator) error) (bool, error) {
	if last, ok := st.sent[id]; !ok || last != from {
		return false, nil
	}
	// The step's key names both ends: another from may reach the same to
	// with other patches.
	if err := st.send(ctx, id+" step", from+" > "+to, build); err != nil {
		return true, err
	}
	st.sent[id] = to
	return true, nil
}

// send writes the frame of change at key, built once for every stream, and
// flushes it.
func (st *stream) send(ctx context.Context, change, key string, build func(*datastar.ServerSentEventGenerator) error) error {
	frame, err := st.shared.frame(ctx, change, key, build)
	if err != nil {
		return err
	}
	if _, err := st.w.Write(frame); err != nil {
		return err
	}
	return st.rc.Flush()
}

// fragmentKey names a fragment's data: its view rows as Go prints them, and
// the shop's zone its times are shown in.
func fragmentKey(ctx context.Context, data ...any) string {
	return zoneFrom(ctx).String() + "|" + fmt.Sprint(data...)
}

// live runs a stream until the client leaves, the server shuts down or the
// stream's age runs out: refresh on every tick, onEvent on every committed
// event of sub (nil for a page without events).
func (s *Server) live(w http.ResponseWriter, r *http.Request, sub *event.Subscription, refresh func(ctx context.Context, st *stream) error, onEvent func(ctx context.Context, st *stream, e app.Event) error) error {
	src := wakers{every: refreshEvery, onEvent: onEvent}
	if sub != nil {
		src.events = sub.C
	}
	return s.run(w, r, src, refresh)
}

// wakers are what moves a live stream besides its heartbeat: its refresh
// ticks, committed events, the messaging service's changes, and wake (a
// channel that closes at the next change of something else the page shows;
// refresh runs then). A nil channel or func is never heard from.
type wakers struct {
	every    time.Duration
	events   <-chan app.Event
	onEvent  func(ctx context.Context, st *stream, e app.Event) error
	changes  <-chan messaging.Change
	onChange func(ctx context.Context, st *stream, c messaging.Change) error
	wake     func() <-chan struct{}
}

// run is the loop of every live stream: it refreshes first and on every
// tick, hands events and changes to their handlers, and ends when the
// client leaves, the server shuts down or the stream's age runs out.
func (s *Server) run(w http.ResponseWriter, r *http.Request, src wakers, refresh func(ctx context.Context, st *stream) error) error {
	st := s.openStream(w, r)
	ctx := r.Context()
	if err := st.signal("open"); err != nil {
		return nil
	}
	var woken <-chan struct{}
	if src.wake != nil {
		woken = src.wake()
	}
	if err := refresh(ctx, st); err != nil {
		// The answer has begun: no problem document can follow it. A
		// client still there retries; the error is for the log.
		if ctx.Err() == nil {
			s.logWarn(r, "a live stream's first refresh failed", err)
		}
		return nil
	}
	tick := time.NewTicker(src.every)
	defer tick.Stop()
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	maxAge := time.NewTimer(streamMaxAge)
	defer maxAge.Stop()
	for {
		var err error
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
			err = st.signal("open")
		case <-tick.C:
			err = refresh(ctx, st)
		case <-woken:
			// Take the next channel before reading, as Changed asks.
			woken = src.wake()
			err = refresh(ctx, st)
		case e, ok := <-src.events:
			if !ok {
				return nil
			}
			err = src.onEvent(ctx, st, e)
		case c := <-src.changes:
			err = src.onChange(ctx, st, c)
		}
		if err != nil {
			return nil // the client is gone or the database is; either way the stream ends
		}
	}
}

func (s *Server) streamDashboard(w http.ResponseWriter, r *http.Request) error {
	// Subscribe before reading the feed, so that an event committed in
	// between is not lost; one that is both read and heard is shown once.
	sub := s.broker.Subscribe(dashboardBuffer)
	defer sub.Close()
	feed, err := s.feed(r.Context())
	if err != nil {
		return err
	}
	var dropped int64
	patchFeed := func(ctx context.Context, st *stream) error {
		return st.patch(ctx, "events", feedKey(ctx, feed), func() templ.Component {
			rows := make([]ui.EventRow, len(feed))
			for i, e := range feed {
				rows[i] = eventRow(ctx, e)
			}
			return ui.EventFeed(rows)
		})
	}
	return s.live(w, r, sub,
		func(ctx context.Context, st *stream) error {
			// A stream that fell behind missed events: read the feed
			// afresh rather than show it with holes.
			if n := sub.Dropped(); n > dropped {
				dropped = n
				if feed, err = s.feed(ctx); err != nil {
					return err
				}
			}
			counters, queues, err := s.figures.get(ctx)
			if err != nil {
				return err
			}
			if err := st.patch(ctx, "counters", fragmentKey(ctx, counters), func() templ.Component { return ui.Counters(counters) }); err != nil {
				return err
			}
			if err := st.patch(ctx, "queues", fragmentKey(ctx, queues), func() templ.Component { return ui.QueuesTable(queues) }); err != nil {
				return err
			}
			return patchFeed(ctx, st)
		},
		func(ctx context.Context, st *stream, e app.Event) error {
			for _, f := range feed {
				if f.ID == e.ID {
					return nil
				}
			}
			before, dropped := feed, ""
			feed = append([]app.Event{e}, feed...)
			if len(feed) > feedSize {
				dropped, feed = feed[feedSize].ID, feed[:feedSize]
			}
			// A page that shows the feed as it was needs only the new row,
			// and the oldest one taken away: a few hundred bytes instead of
			// the whole feed, on every open page.
			if len(before) > 0 {
				ok, err := st.step(ctx, "events", feedKey(ctx, before), feedKey(ctx, feed), func(sse *datastar.ServerSentEventGenerator) error {
					err := sse.PatchElementTempl(ui.EventItem(eventRow(ctx, e)), datastar.WithSelector("#events > .feed"), datastar.WithModePrepend())
					if err == nil && dropped != "" {
						err = sse.RemoveElementByID("event-" + dropped)
					}
					return err
				})
				if ok || err != nil {
					return err
				}
			}
			return patchFeed(ctx, st)
		})
}

// feed reads the newest events, as the dashboard's feed shows them.
func (s *Server) feed(ctx context.Context) ([]app.Event, error) {
	records, err := s.db.ListEvents(ctx, store.EventFilter{Limit: feedSize})
	if err != nil {
		return nil, err
	}
	events := make([]app.Event, len(records))
	for i, rec := range records {
		events[i] = rec.Event
	}
	return events, nil
}

// feedKey names a feed by its events' ids: an event never changes, so the
// ids and the shop's zone decide the feed's HTML.
func feedKey(ctx context.Context, feed []app.Event) string {
	var b strings.Builder
	b.WriteString(zoneFrom(ctx).String())
	for _, e := range feed {
		b.WriteByte('|')
		b.WriteString(e.ID)
	}
	return b.String()
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
	if err := st.patch(ctx, "queues", fragmentKey(ctx, queues), func() templ.Component { return ui.QueuesTable(queues) }); err != nil {
		return err
	}
	return st.patch(ctx, "dead-letters", fragmentKey(ctx, dead, canOperate), func() templ.Component { return ui.DeadLetters(dead, canOperate) })
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
