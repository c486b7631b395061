// Package webhook delivers Smartbot's events to the endpoints that subscribe
// to them, signed as Standard Webhooks specifies, one durable
// webhook_delivery job per event and endpoint, every attempt logged; and it
// manages the endpoints: create, change, rotate their secret, ping, re-enable
// and redeliver. An SSRF guard keeps deliveries off the machine's own
// network unless the operator allows private targets.
package webhook

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
)

// SettingAllowPrivate is the setting (true or false) that lets webhooks go
// to private, loopback and other reserved addresses: LAN integrations, and
// the test suite's loopback receivers.
const SettingAllowPrivate = "webhooks.allow_private"

// DefaultSchedule is the wait before each retry: immediately, then 5 s,
// 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; nine attempts over about a day and a
// half, which outlasts most outages a receiver has.
var DefaultSchedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// DefaultTimeout is how long an endpoint has to answer an attempt.
const DefaultTimeout = 15 * time.Second

// disableAfter is how long an endpoint may fail every delivery before it is
// turned off: long enough for a weekend's outage, short enough that a dead
// endpoint does not fill the log for ever.
const disableAfter = 5 * 24 * time.Hour

// Options configure New. DB and Queues are required.
type Options struct {
	DB     *store.DB
	Queues *queue.Queues
	// AllowPrivate lets deliveries reach private targets whatever the
	// setting says (SMARTBOT_WEBHOOK_ALLOW_PRIVATE=true).
	AllowPrivate bool
	// Resolver resolves endpoint hosts; nil is the system's.
	Resolver Resolver
	// Timeout is an attempt's deadline (default DefaultTimeout).
	Timeout time.Duration
	// Schedule is the wait before each retry (default DefaultSchedule);
	// tests pass a scaled one.
	Schedule []time.Duration
	// Version goes in the User-Agent: Smartbot/<version>.
	Version string
	// Now is the clock; nil means the store's.
	Now func() time.Time
	Log *slog.Logger
}

// Service delivers events to webhooks and manages the endpoints.
type Service struct {
	db           *store.DB
	queues       *queue.Queues
	guard        *guard
	client       *http.Client
	allowPrivate bool
	// private caches the setting; SetAllowPrivate replaces it on commit.
	private   atomic.Pointer[bool]
	timeout   time.Duration
	schedule  []time.Duration
	backoff   func(attempt int) time.Duration
	userAgent string
	now       func() time.Time
	log       *slog.Logger
}

// New returns the webhook service.
func New(opts Options) *Service {
	s := &Service{db: opts.DB, queues: opts.Queues, allowPrivate: opts.AllowPrivate, timeout: opts.Timeout,
		schedule: opts.Schedule, userAgent: "Smartbot/" + opts.Version, now: opts.Now, log: opts.Log}
	if opts.Version == "" {
		s.userAgent = "Smartbot"
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if len(s.schedule) == 0 {
		s.schedule = DefaultSchedule
	}
	s.backoff = queue.Schedule(s.schedule...)
	if s.now == nil {
		s.now = opts.DB.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var r Resolver = net.DefaultResolver
	if opts.Resolver != nil {
		r = opts.Resolver
	}
	s.guard = &guard{resolver: r, allowPrivate: s.AllowsPrivate}
	s.client = s.guard.client()
	return s
}

// QueueConfig is the webhook_delivery queue's configuration: an attempt
// for the first try and each delay of the schedule, with its jitter; many
// deliveries at once, as they mostly wait on the network, so one slow or
// failing endpoint never holds up the others; and a job deadline past the
// attempt's timeout.
func (s *Service) QueueConfig() queue.Config {
	return queue.Config{Concurrency: 32, MaxAttempts: len(s.schedule) + 1, Backoff: s.backoff, JobTimeout: s.timeout + 15*time.Second}
}

// AllowsPrivate reports whether deliveries may go to private targets: the
// operator's option or the shop's setting.
func (s *Service) AllowsPrivate(ctx context.Context) bool {
	if s.allowPrivate {
		return true
	}
	if p := s.private.Load(); p != nil {
		return *p
	}
	var v bool
	if err := s.db.Setting(ctx, SettingAllowPrivate, &v); err != nil && app.ErrorCode(err) != app.ENOTFOUND {
		return false // unknown: the safe answer
	}
	s.private.Store(&v)
	return v
}

// SetAllowPrivate changes the setting that lets webhooks reach private targets.
func (s *Service) SetAllowPrivate(ctx context.Context, allow bool) error {
	return s.db.Write(ctx, func(tx *store.Tx) error { return s.SetAllowPrivateTx(ctx, tx, allow) })
}

// SetAllowPrivateTx is SetAllowPrivate inside tx.
func (s *Service) SetAllowPrivateTx(ctx context.Context, tx *store.Tx, allow bool) error {
	if err := tx.SetSetting(ctx, SettingAllowPrivate, allow); err != nil {
		return err
	}
	tx.OnCommit(func() { s.private.Store(&allow) })
	return nil
}

// Prepare readies the statements every delivery runs; serve calls it once.
func (s *Service) Prepare(ctx context.Context) error { return s.db.PrepareWebhookLogs(ctx) }
