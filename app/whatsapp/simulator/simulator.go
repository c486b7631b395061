// Package simulator is Smartbot's built-in WhatsApp stand-in: an in-process,
// in-memory app.Transport with made-up test customers.
//
// It is a product feature and a test fixture at once. In the panel a shop
// owner chats with the bot as a test customer before pairing a real number;
// the test suite drives every WhatsApp flow end to end through it. Messages
// the shop sends land in the customer's Inbox and are reported delivered and
// read after configurable delays; a customer speaks with Say (text, a button
// or list reply, a poll vote, media); Fault brings on the failures a real
// number meets (disconnects, a temporary ban, refused sends, lost acks).
//
// Like WhatsApp, it never loses a happening while it runs: receipts and
// messages the handler refused, or that arrived while the shop was
// disconnected, are kept and handed over again (in order per chat) when the
// connection is back, with a growing delay between attempts.
package simulator

import (
	"context"
	"io"
	"sync"
	"time"

	"smartbot/app"
)

// Defaults of Options.
const (
	DefaultDeliveredAfter = time.Second
	DefaultReadAfter      = 3 * time.Second
	DefaultPhone          = "+15550100000" // 555-01xx numbers are reserved for fiction
)

// Retry delays of happenings the handler refused: short first, so a blip
// costs little, capped so a long outage is retried at a steady pace.
const (
	firstRetry = time.Second
	maxRetry   = time.Minute
)

// Options configure a Simulator. The zero value is a working simulator on
// the real clock.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// After runs f once d has passed and returns a func that cancels it,
	// reporting whether it did; nil means time.AfterFunc. It must not call
	// f before it returns: tests collect f and fire it by hand.
	After func(d time.Duration, f func()) (stop func() bool)
	// DeliveredAfter and ReadAfter are how long after a send the customer's
	// phone reports the message delivered, then read. Zero means the
	// default (1 s, 3 s); a negative value means never (a phone that is
	// off, or read receipts turned off). Read never comes before delivered.
	DeliveredAfter, ReadAfter time.Duration
	// Open fetches the file a test customer sent (Said.MediaRef); Download
	// uses it. nil means the simulator has no files to download.
	Open func(ctx context.Context, ref []byte) (io.ReadCloser, error)
	// Phone is the shop's made-up number (E.164); empty means DefaultPhone.
	Phone string
	// OnSend, when set, is called with each message the simulator takes in
	// (once per WAID: not for a repeated Send), after it is in the inbox, on
	// the sender's goroutine. Tests synchronise on it instead of sleeping.
	OnSend func(app.Outgoing)
}

// Simulator is the simulated WhatsApp connection and the phones of its test
// customers. It is safe for concurrent use. Customers, inboxes and counts
// live as long as the Simulator, across Stop and Start.
type Simulator struct {
	now                       func() time.Time
	after                     func(time.Duration, func()) func() bool
	deliveredAfter, readAfter time.Duration
	open                      func(context.Context, []byte) (io.ReadCloser, error)
	phone                     string
	onSend                    func(app.Outgoing)

	mu      sync.Mutex
	running bool
	handle  app.InboundHandler
	// ctx is for the handler calls the simulator makes on its own (timers,
	// retries): they have no caller whose context they could use. Stop
	// cancels it so a handler stuck in a slow write gives up.
	ctx    context.Context
	cancel context.CancelFunc

	state, reason string
	until, since  time.Time
	reconnect     func() bool // cancels the end of the current fault (hold s.mu)
	failSends     int
	loseAcks      int

	customers []*customer
	byPhone   map[string]*customer
	sent      map[string]*sentMessage // by WAID
	total     int
	changed   chan struct{} // closed and replaced on every change

	undelivered []pending
	retry       func() bool // cancels the armed retry; nil when none is armed
	retryDelay  time.Duration

	timers    map[uint64]func() bool
	nextTimer uint64
	wg        sync.WaitGroup         // timer callbacks running now; Stop waits for them
	chats     map[string]*sync.Mutex // one per chat: handler calls for it never overlap
}

// pending is a happening on its way to the handler.
type pending struct {
	chat string // the customer's phone; "" for connection changes
	h    app.Happening
	// gated happenings (messages, receipts) reach the shop only while it is
	// connected; connection changes are news about the connection itself.
	gated bool
}

// New returns a stopped simulator; Start connects it.
func New(o Options) *Simulator {
	s := &Simulator{
		now: o.Now, after: o.After,
		deliveredAfter: o.DeliveredAfter, readAfter: o.ReadAfter,
		open: o.Open, phone: o.Phone, onSend: o.OnSend,
		state: app.ConnDisconnected, reason: "not started",
		byPhone: map[string]*customer{}, sent: map[string]*sentMessage{},
		changed: make(chan struct{}), retryDelay: firstRetry,
		timers: map[uint64]func() bool{}, chats: map[string]*sync.Mutex{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.after == nil {
		s.after = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if s.deliveredAfter == 0 {
		s.deliveredAfter = DefaultDeliveredAfter
	}
	if s.readAfter == 0 {
		s.readAfter = DefaultReadAfter
	}
	if s.phone == "" {
		s.phone = DefaultPhone
	}
	s.since = s.now()
	return s
}

var _ app.Transport = (*Simulator)(nil)

// Start connects: the state becomes connected and the handler hears so. It
// hands over what was kept while stopped and resumes the receipts of
// messages not yet read. Starting a running simulator is a conflict.
func (s *Simulator) Start(ctx context.Context, handle app.InboundHandler) error {
	if handle == nil {
		return app.Errorf(app.EINVALID, "the simulator needs a handler")
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return app.Errorf(app.ECONFLICT, "the simulator is already running")
	}
	s.running, s.handle = true, handle
	// Without the caller's cancellation: Start's ctx ends when Start's
	// caller returns, the connection lives until Stop.
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.setState(app.ConnConnected, "", time.Time{})
	change := s.connectionChange()
	for _, c := range s.customers {
		for _, r := range c.inbox {
			s.scheduleReceipt(c.Phone, r)
		}
	}
	s.mu.Unlock()
	s.deliver(pending{h: change})
	s.flush()
	return nil
}

// Stop disconnects, cancels every timer (faults end with it) and waits for
// the timer callbacks running now. The handler is not told: it is going
// away too. Happenings not yet handed over are kept for the next Start.
func (s *Simulator) Stop() {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return
	}
	s.running = false
	for _, stop := range s.timers {
		stop()
	}
	clear(s.timers)
	s.retry, s.reconnect = nil, nil
	s.failSends, s.loseAcks = 0, 0
	s.setState(app.ConnDisconnected, "stopped", time.Time{})
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
}

// Status is the connection now. Phone is always the shop's made-up number.
func (s *Simulator) Status() app.TransportStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return app.TransportStatus{
		Transport: app.TransportSimulator, State: s.state, Reason: s.reason,
		Until: s.until, Phone: s.phone, Since: s.since,
	}
}

var errNoPairing = app.Errorf(app.EINVALID, "the simulator needs no pairing: choose the whatsapp transport in settings to pair a real number")

// PairQR is refused: there is nothing to pair.
func (s *Simulator) PairQR(context.Context) error { return errNoPairing }

// PairPhone is refused: there is nothing to pair.
func (s *Simulator) PairPhone(context.Context, string) (string, error) { return "", errNoPairing }

// Logout is refused rather than a silent no-op: no number is linked, and a
// panel that showed "logged out" would be lying.
func (s *Simulator) Logout(context.Context) error {
	return app.Errorf(app.EINVALID, "the simulator has no linked number to log out of")
}

// setState changes the connection state; callers hold s.mu.
func (s *Simulator) setState(state, reason string, until time.Time) {
	s.state, s.reason, s.until, s.since = state, reason, until, s.now()
	s.notify()
}

// connectionChange reports the state now; callers hold s.mu.
func (s *Simulator) connectionChange() *app.ConnectionChange {
	c := &app.ConnectionChange{State: s.state, Reason: s.reason, Until: s.until, At: s.since}
	if s.state == app.ConnConnected {
		c.Phone = s.phone
	}
	return c
}

// notify wakes whoever waits on Changed; callers hold s.mu.
func (s *Simulator) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Changed returns a channel closed at the next change (a message sent, a
// status, a customer, the connection, a happening the handler took). Take it before checking what you
// wait for, then wait on it, so no change slips between the two.
func (s *Simulator) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// schedule runs f after d unless Stop comes first. The returned func
// cancels it. Callers of both hold s.mu.
func (s *Simulator) schedule(d time.Duration, f func()) func() bool {
	id := s.nextTimer
	s.nextTimer++
	stop := s.after(d, func() {
		s.mu.Lock()
		if _, ok := s.timers[id]; !ok { // cancelled, or Stop came first
			s.mu.Unlock()
			return
		}
		delete(s.timers, id)
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		f()
	})
	s.timers[id] = stop
	return func() bool {
		if _, ok := s.timers[id]; !ok {
			return false
		}
		delete(s.timers, id)
		return stop()
	}
}

// deliver hands p to the handler now, or keeps it when the shop is not
// connected, something earlier for the same chat is still waiting (order
// per chat), or the handler refuses it.
func (s *Simulator) deliver(p pending) {
	s.mu.Lock()
	if !s.running || (p.gated && s.state != app.ConnConnected) || s.waiting(p.chat) {
		s.undelivered = append(s.undelivered, p)
		s.mu.Unlock()
		return
	}
	ctx, handle := s.ctx, s.handle
	s.mu.Unlock()
	if err := s.call(ctx, handle, p); err != nil {
		s.mu.Lock()
		s.undelivered = append(s.undelivered, p)
		s.armRetry()
		s.mu.Unlock()
	}
}

// waiting reports whether a happening of chat is kept; callers hold s.mu.
func (s *Simulator) waiting(chat string) bool {
	for _, p := range s.undelivered {
		if p.chat == chat {
			return true
		}
	}
	return false
}

// call gives p to handle, one at a time per chat as app.Transport promises.
func (s *Simulator) call(ctx context.Context, handle app.InboundHandler, p pending) error {
	s.mu.Lock()
	m, ok := s.chats[p.chat]
	if !ok {
		m = &sync.Mutex{}
		s.chats[p.chat] = m
	}
	s.mu.Unlock()
	m.Lock()
	err := handle(ctx, p.h)
	m.Unlock()
	if err == nil {
		s.mu.Lock()
		s.notify() // waiters on Changed may be waiting for the handler to have it
		s.mu.Unlock()
	}
	return err
}

// flush hands over what was kept, in order; a chat whose first happening is
// refused again keeps the rest of its happenings behind it.
func (s *Simulator) flush() {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return
	}
	items := s.undelivered
	s.undelivered = nil
	ctx, handle, connected := s.ctx, s.handle, s.state == app.ConnConnected
	s.mu.Unlock()

	var kept []pending
	blocked := map[string]bool{}
	for _, p := range items {
		if (p.gated && !connected) || blocked[p.chat] {
			kept = append(kept, p)
			continue
		}
		if err := s.call(ctx, handle, p); err != nil {
			kept = append(kept, p)
			blocked[p.chat] = true
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.undelivered = append(kept, s.undelivered...)
	if len(blocked) > 0 {
		s.retryDelay = min(2*s.retryDelay, maxRetry)
	} else {
		s.retryDelay = firstRetry
	}
	s.armRetry()
}

// armRetry schedules a flush when something kept could be handed over now;
// what waits for the connection goes with the reconnect instead. Callers
// hold s.mu.
func (s *Simulator) armRetry() {
	if !s.running || s.retry != nil {
		return
	}
	for _, p := range s.undelivered {
		if !p.gated || s.state == app.ConnConnected {
			s.retry = s.schedule(s.retryDelay, func() {
				s.mu.Lock()
				s.retry = nil
				s.mu.Unlock()
				s.flush()
			})
			return
		}
	}
}
