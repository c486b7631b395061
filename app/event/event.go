// Package event emits Smartbot's events: inside the transaction of the change
// that caused it, an event is stored in the history (the outbox) and one
// webhook_delivery job is enqueued per active subscribed webhook; live
// listeners hear of it only after the commit.
package event

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
)

// Emitter emits events. It is safe for concurrent use.
type Emitter struct {
	queues *queue.Queues
	broker *Broker
	now    func() time.Time
	counts map[app.EventType]*atomic.Int64
}

// NewEmitter returns an emitter that enqueues on queues and publishes to
// broker after commit. now nil means time.Now.
func NewEmitter(queues *queue.Queues, broker *Broker, now func() time.Time) *Emitter {
	if now == nil {
		now = time.Now
	}
	counts := make(map[app.EventType]*atomic.Int64, len(app.EventTypes))
	for _, t := range app.EventTypes {
		counts[t] = &atomic.Int64{}
	}
	return &Emitter{queues: queues, broker: broker, now: now, counts: counts}
}

// Emit records data as an event inside tx and enqueues its webhook
// deliveries there; after tx commits, live listeners receive it. Nothing of
// it survives a rollback.
func (em *Emitter) Emit(ctx context.Context, tx *store.Tx, data app.EventData) (app.Event, error) {
	e, err := app.NewEvent(em.now(), data)
	if err != nil {
		return e, fmt.Errorf("event: emit %s: %w", data.EventType(), err)
	}
	if !e.Type.Valid() {
		return e, fmt.Errorf("event: emit: unknown event type %q", e.Type)
	}
	if err := tx.InsertEvent(ctx, e); err != nil {
		return e, err
	}
	hooks, err := tx.SubscribedWebhooks(ctx, e.Type)
	if err != nil {
		return e, err
	}
	for _, id := range hooks {
		body, _ := json.Marshal(app.WebhookDeliveryJob{EventID: e.ID, WebhookID: id})
		if err := em.queues.Send(ctx, tx, queue.WebhookDelivery, body); err != nil {
			return e, fmt.Errorf("event: emit %s: %w", e.ID, err)
		}
	}
	tx.OnCommit(func() {
		em.counts[e.Type].Add(1)
		em.broker.Publish(e)
	})
	return e, nil
}

// Counts returns how many events of each type were committed since start.
func (em *Emitter) Counts() map[app.EventType]int64 {
	out := make(map[app.EventType]int64, len(em.counts))
	for t, c := range em.counts {
		out[t] = c.Load()
	}
	return out
}

// Broker fans committed events out to live listeners (the panel's streams).
// A listener that falls behind loses events rather than slowing the writer;
// its Dropped count tells it to reload.
type Broker struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// NewBroker returns a broker with no listeners.
func NewBroker() *Broker {
	return &Broker{subs: make(map[*Subscription]struct{})}
}

// Subscription receives events on C until Close.
type Subscription struct {
	C       <-chan app.Event
	c       chan app.Event
	broker  *Broker
	dropped atomic.Int64
}

// Subscribe returns a subscription buffering up to buffer events.
func (b *Broker) Subscribe(buffer int) *Subscription {
	c := make(chan app.Event, max(buffer, 1))
	s := &Subscription{C: c, c: c, broker: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Close stops the subscription and closes C.
func (s *Subscription) Close() {
	s.broker.mu.Lock()
	defer s.broker.mu.Unlock()
	if _, ok := s.broker.subs[s]; ok {
		delete(s.broker.subs, s)
		close(s.c)
	}
}

// Dropped is how many events this subscription missed because it was full.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Publish hands e to every subscription without blocking.
func (b *Broker) Publish(e app.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.c <- e:
		default:
			s.dropped.Add(1)
		}
	}
}
