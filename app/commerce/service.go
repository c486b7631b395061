// Package commerce is the shop: orders with their stock and state machine,
// payments (recorded by staff or reported by a signed notification) and
// deliveries with their courier links. The API, the panel, the inbound
// payment endpoint and the bot call its Service; every change writes its
// audit row and, where the event catalog says so, its event in the same
// transaction.
package commerce

import (
	"log/slog"
	"time"

	"smartbot/app/event"
	"smartbot/app/messaging"
	"smartbot/queue"
	"smartbot/store"
)

// Options configure New. DB, Queues and Emitter are required.
type Options struct {
	DB      *store.DB
	Queues  *queue.Queues
	Emitter *event.Emitter
	// Messaging sends the customer notifications; nil sends none.
	Messaging *messaging.Service
	// Now is the clock; nil means the store's.
	Now func() time.Time
	Log *slog.Logger
}

// Service runs the commerce use cases.
type Service struct {
	db        *store.DB
	queues    *queue.Queues
	emitter   *event.Emitter
	messaging *messaging.Service
	now       func() time.Time
	log       *slog.Logger
}

// New returns the commerce service.
func New(opts Options) *Service {
	s := &Service{db: opts.DB, queues: opts.Queues, emitter: opts.Emitter, messaging: opts.Messaging, now: opts.Now, log: opts.Log}
	if s.now == nil {
		s.now = opts.DB.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}
