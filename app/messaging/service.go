// Package messaging is the WhatsApp pipeline: every message the shop sends
// goes through Send, every happening a transport reports through Handle.
// Commerce notifications, the bot, the API and the inbox send through this
// service and nothing else.
//
// Sending is two steps. Send stores the message as queued, with the id
// WhatsApp will know it by, and enqueues a message_sending job, in one
// transaction. The job (Process) waits its turn under the pacing rules by
// snoozing, never spending an attempt on waiting, hands the message to the
// transport with that same id, and records it as sent with a message_sent
// event. A job that runs twice after a crash finds the message sent and
// stops; one that crashed between the transport and the record sends the
// same id again, which WhatsApp (and the simulator) take as the same
// message.
//
// Receiving is one step: Handle stores an inbound message with its
// customer and a message_received event, and runs the OnInbound hook (the
// bot's), in one transaction, before the transport acknowledges it.
package messaging

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"smartbot/app"
	"smartbot/app/event"
	"smartbot/app/media"
	"smartbot/queue"
	"smartbot/store"
)

// Options configure New. DB, Queues and Emitter are required.
type Options struct {
	DB      *store.DB
	Queues  *queue.Queues
	Emitter *event.Emitter
	// Transports are the transports the shop may choose, by name
	// (app.TransportWhatsApp, app.TransportSimulator): Start and Choose
	// pick one. Use takes any transport directly.
	Transports map[string]app.Transport
	// Runner, when set, is paused while the circuit breaker is open, so
	// queued messages wait without being claimed.
	Runner *queue.Runner
	// Media opens stored files for sending; nil refuses media messages.
	Media MediaFiles
	// Library keeps the files customers send; nil leaves them on WhatsApp.
	Library *media.Service
	// Render fills a template for sending; nil refuses template messages.
	Render Renderer
	// OnInbound runs inside the transaction that stores each new inbound
	// message: the conversation engine enqueues its work there.
	OnInbound func(ctx context.Context, tx *store.Tx, c app.Customer, m app.Message, in *app.Inbound) error
	// Now is the clock; nil means the store's. Sleep waits d or until ctx
	// ends; nil means a timer. Jitter returns a random duration in [0, d);
	// nil means math/rand.
	Now    func() time.Time
	Jitter func(d time.Duration) time.Duration
	// MaxAttempts is the message_sending queue's attempts: the last failed
	// one marks the message failed. 0 means 8.
	MaxAttempts int
	Log         *slog.Logger
}

// MediaFiles is what sending needs of the media library: a media record and
// the path of the file to send for it.
type MediaFiles interface {
	Media(ctx context.Context, id string) (app.Media, error)
	SendPath(m app.Media) (string, error)
}

// Renderer fills the template ref names with its variables for sending: the
// messages to send, in order (a poll that needs an intro is two), and the
// options a reply is matched against.
type Renderer func(ctx context.Context, ref TemplateRef) (Rendered, error)

// Rendered is a template as it will be sent.
type Rendered struct {
	TemplateID string
	Version    int
	Parts      []app.Outgoing
	Options    []Option
}

// Option is one choice a sent message offers (a button, a row, a poll
// option), kept with the message for matching the reply.
type Option struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Service runs the messaging use cases.
type Service struct {
	db          *store.DB
	queues      *queue.Queues
	emitter     *event.Emitter
	runner      *queue.Runner
	transports  map[string]app.Transport
	media       MediaFiles
	library     *media.Service
	render      Renderer
	onInbound   func(ctx context.Context, tx *store.Tx, c app.Customer, m app.Message, in *app.Inbound) error
	now         func() time.Time
	jitter      func(time.Duration) time.Duration
	maxAttempts int
	log         *slog.Logger

	transport atomic.Pointer[transportBox]
	pacer     *pacer
	// typing holds, by message id, when the typing shown before it ends.
	typing   sync.Map
	status   atomic.Pointer[app.TransportStatus]
	watchers watchers
}

type transportBox struct{ t app.Transport }

// New returns the messaging service. Call Use to give it a transport.
func New(opts Options) *Service {
	s := &Service{db: opts.DB, queues: opts.Queues, emitter: opts.Emitter, runner: opts.Runner, transports: opts.Transports, media: opts.Media, library: opts.Library,
		render: opts.Render, onInbound: opts.OnInbound, now: opts.Now, jitter: opts.Jitter,
		maxAttempts: opts.MaxAttempts, log: opts.Log}
	if s.now == nil {
		s.now = opts.DB.Now
	}
	if s.jitter == nil {
		s.jitter = randomJitter
	}
	if s.maxAttempts <= 0 {
		s.maxAttempts = 8
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.pacer = newPacer(app.DefaultPacing)
	s.status.Store(&app.TransportStatus{State: app.ConnDisconnected, Since: s.now()})
	return s
}

// Use makes t the transport: the old one (if any) stops, t starts with
// Handle as its handler, and the pacing restarts from what the database
// says was sent lately.
func (s *Service) Use(ctx context.Context, t app.Transport) error {
	if err := s.loadPacing(ctx); err != nil {
		return err
	}
	if old := s.transport.Swap(&transportBox{t}); old != nil && old.t != nil {
		old.t.Stop()
	}
	// The new transport's state goes through the same path as its later
	// changes: leaving a connected one emits bot_disconnected and pauses
	// sending until the new one connects.
	st := t.Status()
	if err := s.connection(ctx, &app.ConnectionChange{State: st.State, Reason: st.Reason, Until: st.Until, Phone: st.Phone}); err != nil {
		return err
	}
	return t.Start(ctx, s.Handle)
}

// Stop stops the transport in use.
func (s *Service) Stop() {
	if b := s.transport.Load(); b != nil && b.t != nil {
		b.t.Stop()
	}
}

// Transport returns the transport in use, or nil.
func (s *Service) Transport() app.Transport {
	if b := s.transport.Load(); b != nil {
		return b.t
	}
	return nil
}

// Status is the connection as the panel shows it.
func (s *Service) Status() app.TransportStatus { return *s.status.Load() }

func (s *Service) setStatus(st app.TransportStatus) {
	if st.Since.IsZero() {
		st.Since = s.now()
	}
	s.status.Store(&st)
}

// Pacing returns the pacing in force.
func (s *Service) Pacing() app.Pacing { return s.pacer.config() }

// SetPacing validates p, stores it in settings and puts it in force.
func (s *Service) SetPacing(ctx context.Context, p app.Pacing) error {
	if errs := p.Validate(); len(errs) > 0 {
		return app.Invalid(errs...)
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(ctx, app.SettingPacing, p) })
	if err != nil {
		return err
	}
	s.pacer.setConfig(p)
	return nil
}

// loadPacing reads the pacing setting and what was sent lately.
func (s *Service) loadPacing(ctx context.Context) error {
	p := app.DefaultPacing
	if err := s.db.Setting(ctx, app.SettingPacing, &p); err != nil && app.ErrorCode(err) != app.ENOTFOUND {
		return err
	}
	s.pacer.setConfig(p)
	now := s.now()
	sent, err := s.db.PacingSince(ctx, now.Add(-time.Minute-p.ChatGap-p.ChatJitter), now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	s.pacer.restore(sent, now)
	return nil
}

// Change is what a live view is told: a message stored or moved, or the
// connection changing (Message nil).
type Change struct {
	Message *app.Message
	Status  *app.TransportStatus
}

// Watch returns a channel of changes, after they commit, and a function
// that stops them. A watcher too slow to keep up with buffer changes
// misses some; it should then reload what it shows.
func (s *Service) Watch(buffer int) (<-chan Change, func()) { return s.watchers.add(buffer) }

type watchers struct {
	mu   sync.Mutex
	subs map[chan Change]struct{}
}

func (w *watchers) add(buffer int) (<-chan Change, func()) {
	ch := make(chan Change, buffer)
	w.mu.Lock()
	if w.subs == nil {
		w.subs = make(map[chan Change]struct{})
	}
	w.subs[ch] = struct{}{}
	w.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			w.mu.Lock()
			delete(w.subs, ch)
			w.mu.Unlock()
		})
	}
}

func (w *watchers) tell(c Change) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.subs {
		select {
		case ch <- c:
		default:
		}
	}
}

// tellAfterCommit tells the watchers about m once tx commits.
func (s *Service) tellAfterCommit(tx *store.Tx, m app.Message) {
	tx.OnCommit(func() { s.watchers.tell(Change{Message: &m}) })
}

// payload is what an outgoing message's payload column holds: the shape to
// send and the options its reply is matched against.
type payload struct {
	Outgoing app.Outgoing `json:"outgoing"`
	Options  []Option     `json:"options,omitempty"`
}

func decodePayload(raw json.RawMessage) (payload, error) {
	var p payload
	err := json.Unmarshal(raw, &p)
	return p, err
}
