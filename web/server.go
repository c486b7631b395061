// Package web is Smartbot's HTTP face: the JSON API under /api, the admin
// panel, the health endpoints and the metrics, with every route and the
// role it needs declared in one table (routes.go).
package web

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"smartbot/app/account"
	"smartbot/app/catalog"
	"smartbot/app/commerce"
	"smartbot/app/event"
	"smartbot/app/media"
	"smartbot/app/messaging"
	"smartbot/app/settings"
	"smartbot/app/template"
	"smartbot/app/webhook"
	"smartbot/app/whatsapp/simulator"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/web/ui"
)

// Options configure New. DB is required; the rest default to nothing.
type Options struct {
	DB      *store.DB
	Queues  *queue.Queues
	Runner  *queue.Runner
	Broker  *event.Broker
	Emitter *event.Emitter
	// Accounts and Catalog are the services the handlers call; nil makes
	// them from DB and Emitter.
	Accounts *account.Service
	Catalog  *catalog.Service
	// Settings holds the shop's timezone; nil makes one on DB.
	Settings *settings.Service
	// Templates saves message templates with their versions; nil makes one
	// on DB.
	Templates *template.Service
	// Media takes uploads and serves their files; nil makes one on DB,
	// keeping files under the data directory's media folder.
	Media *media.Service
	// Log receives request logs and errors; nil discards.
	// Messaging sends and lists WhatsApp messages; nil disables the
	// messages, conversations and WhatsApp endpoints (503).
	Messaging *messaging.Service
	// Commerce runs orders, payments and deliveries; nil makes one
	// without customer notifications.
	Commerce *commerce.Service
	// Simulator is the simulated WhatsApp, when it is the transport in
	// use; nil disables the simulator endpoints.
	Simulator *simulator.Simulator
	// Webhooks manages the webhook endpoints; nil makes one on DB.
	Webhooks *webhook.Service
	Log      *slog.Logger
	Version  string
	// SecureCookies marks the session cookie Secure with the __Host- prefix
	// and sends HSTS: set it when Smartbot is reached over HTTPS.
	SecureCookies bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server serves Smartbot's HTTP routes.
type Server struct {
	db            *store.DB
	queues        *queue.Queues
	runner        *queue.Runner
	broker        *event.Broker
	emitter       *event.Emitter
	accounts      *account.Service
	catalog       *catalog.Service
	settings      *settings.Service
	media         *media.Service
	templates     *template.Service
	messaging     *messaging.Service
	commerce      *commerce.Service
	simulator     *simulator.Simulator
	webhooks      *webhook.Service
	log           *slog.Logger
	version       string
	secureCookies bool
	now           func() time.Time
	metrics       *metrics
	routes        []route
	handler       http.Handler

	accountLimiter *limiter
	addressLimiter *limiter
	// inboundLimiter counts refused payment notifications per address.
	inboundLimiter *limiter

	touchMu sync.Mutex
	touched map[string]time.Time

	closing   chan struct{}
	closeOnce sync.Once
	figures   *figures
	// fragments renders each live fragment once for every stream.
	fragments fragments
	// flashes are the notices (and once, a new key) that a form's redirect
	// leaves for the next page (page_flash.go).
	flashes flashStore

	// crashAt, set only by the idempotency crash test, runs at each step
	// of a create request (idempotency.go).
	crashAt func(step string)
}

// New returns a server with every route registered.
func New(opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Broker == nil {
		opts.Broker = event.NewBroker()
	}
	if opts.Emitter == nil && opts.Queues != nil {
		opts.Emitter = event.NewEmitter(opts.Queues, opts.Broker, opts.Now)
	}
	if opts.Settings == nil {
		opts.Settings = settings.New(settings.Options{DB: opts.DB})
	}
	if opts.Accounts == nil {
		opts.Accounts = account.New(account.Options{DB: opts.DB, Now: opts.Now, Settings: opts.Settings})
	}
	if opts.Catalog == nil {
		opts.Catalog = catalog.New(catalog.Options{DB: opts.DB, Emitter: opts.Emitter})
	}
	if opts.Commerce == nil {
		opts.Commerce = commerce.New(commerce.Options{DB: opts.DB, Queues: opts.Queues, Emitter: opts.Emitter, Messaging: opts.Messaging, Now: opts.Now})
	}
	if opts.Templates == nil {
		opts.Templates = template.New(template.Options{DB: opts.DB})
	}
	if opts.Media == nil {
		files, err := media.OpenFiles(filepath.Join(opts.DB.DataDir(), "media"))
		if err != nil {
			panic("web: no media service given, and its files cannot be kept: " + err.Error())
		}
		opts.Media = media.New(media.Options{DB: opts.DB, Queues: opts.Queues, Files: files, Attach: opts.Catalog.AttachUploadTx})
	}
	if opts.Webhooks == nil {
		opts.Webhooks = webhook.New(webhook.Options{DB: opts.DB, Queues: opts.Queues, Version: opts.Version, Now: opts.Now})
	}
	var counter EventCounter
	if opts.Emitter != nil {
		counter = opts.Emitter
	}
	s := &Server{
		db: opts.DB, queues: opts.Queues, runner: opts.Runner, broker: opts.Broker, emitter: opts.Emitter,
		accounts: opts.Accounts, catalog: opts.Catalog, settings: opts.Settings, media: opts.Media, templates: opts.Templates,
		messaging: opts.Messaging, simulator: opts.Simulator, commerce: opts.Commerce, webhooks: opts.Webhooks,
		log: opts.Log, version: opts.Version, secureCookies: opts.SecureCookies, now: opts.Now,
		metrics:        newMetrics(opts.Queues, opts.Runner, counter),
		accountLimiter: newLimiter(10, time.Minute),
		addressLimiter: newLimiter(30, time.Minute),
		inboundLimiter: newLimiter(60, time.Minute),
		touched:        make(map[string]time.Time),
		closing:        make(chan struct{}),
	}
	s.figures = &figures{load: func(ctx context.Context) ([]ui.Counter, []ui.QueueRow, error) {
		c, err := s.counters(ctx)
		if err != nil {
			return nil, nil, err
		}
		q, err := s.queueRows(ctx)
		return c, q, err
	}}
	mux := http.NewServeMux()
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		mux.Handle(rt.pattern, s.guard(rt))
	}
	mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.apiFallback(w, r, mux) }))
	mux.Handle("/", s.notFound(mux)) // instead of ServeMux's plain 404 and 405 (notfound.go)
	s.handler = s.observe(s.secure(mux))
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// healthz answers while the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.version})
	return nil
}

// readyz answers 200 when the database answers and is migrated and the
// runner has started; 503 otherwise, naming the check that failed.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "migrations": "ok", "runner": "ok"}
	ready := true
	fail := func(name, why string) {
		checks[name] = why
		ready = false
	}
	if err := s.db.Ping(ctx); err != nil {
		fail("database", "not answering: "+err.Error())
	} else if v, err := s.db.Version(ctx); err != nil {
		fail("migrations", err.Error())
	} else if v != store.LatestVersion() {
		fail("migrations", "schema is not at this binary's version")
	}
	if s.runner == nil || !s.runner.Started() {
		fail("runner", "not started")
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"ready": ready, "checks": checks})
	return nil
}
