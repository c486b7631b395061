// Package queue holds Smartbot's four durable job queues and the runner that
// works them. Jobs live in goqite's table in the same SQLite file as
// everything else and are enqueued inside the transaction of the change that
// needs them, so a rolled-back change never runs a job and a committed one
// always does.
//
// Enqueueing goes through goqite's SendTx. Receiving does not: goqite
// receives one message per transaction and, with its poll loop, sleeps while
// busy, which caps a queue far below what this file can do. The runner claims
// several jobs per transaction and commits acknowledgements in groups, with
// its own queries on goqite's table (see claim, renew and settle in
// coordinator.go). Jobs that used their attempts move to
// queue_dead_letters, out of the receive path, where they can be retried or
// discarded.
//
// A claim counts an attempt (goqite's received column) and holds the job
// for its queue's Timeout; the runner renews the claims of every job it
// holds, running or still waiting for a worker, so in a running process a
// claim never lapses and an attempt counts only for a job that started.
// Jobs put back unstarted (by Pause or Shutdown) or snoozed by their
// handler (Snooze) get their attempt back.
package queue

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"maragu.dev/goqite"

	"smartbot/store"
)

// Name is a queue's name, as stored in goqite's queue column.
type Name string

// The four queues of DESIGN.md §4.
const (
	MediaProcessing Name = "media_processing"
	MessageSending  Name = "message_sending"
	OrderProcessing Name = "order_processing"
	WebhookDelivery Name = "webhook_delivery"
)

// Names lists the queues in the order the panel shows them.
var Names = []Name{MediaProcessing, MessageSending, OrderProcessing, WebhookDelivery}

// Valid reports whether n is one of the four queues.
func (n Name) Valid() bool {
	for _, k := range Names {
		if n == k {
			return true
		}
	}
	return false
}

// Queues enqueues jobs on the four queues and tells a running Runner the
// moment a transaction that enqueued commits.
type Queues struct {
	db     *store.DB
	goqite map[Name]*goqite.Queue
	// pending marks the queues that had a job committed since the runner
	// last looked; wake tells it to look.
	pending map[Name]*atomic.Bool
	wake    chan struct{}
}

// New returns the queues on db.
func New(db *store.DB) *Queues {
	q := &Queues{
		db:      db,
		goqite:  make(map[Name]*goqite.Queue, len(Names)),
		pending: make(map[Name]*atomic.Bool, len(Names)),
		wake:    make(chan struct{}, 1),
	}
	for _, n := range Names {
		// goqite's own receive (and so its MaxReceive and Timeout) is not
		// used; the runner has its own settings per queue.
		q.goqite[n] = goqite.New(goqite.NewOpts{DB: db.W, Name: string(n)})
		q.pending[n] = &atomic.Bool{}
	}
	return q
}

// SendOptions are optional settings of one job.
type SendOptions struct {
	// Delay keeps the job invisible for this long after the commit.
	Delay time.Duration
	// Priority: higher runs first; 0 is normal.
	Priority int
}

// Send enqueues body on queue name inside tx. The job becomes visible when
// tx commits, and a running Runner starts it at once.
func (q *Queues) Send(ctx context.Context, tx *store.Tx, name Name, body []byte, opts ...SendOptions) error {
	gq, ok := q.goqite[name]
	if !ok {
		return fmt.Errorf("queue: send: unknown queue %q", name)
	}
	var o SendOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Delay < 0 {
		o.Delay = 0
	}
	if err := gq.SendTx(ctx, tx.Tx, goqite.Message{Body: body, Delay: o.Delay, Priority: o.Priority}); err != nil {
		return fmt.Errorf("queue: send to %s: %w", name, err)
	}
	// A delayed job wakes the runner too: it then learns when the job is due.
	tx.OnCommit(func() { q.notify(name) })
	return nil
}

// notify marks name as having new work and wakes the runner.
func (q *Queues) notify(name Name) {
	q.pending[name].Store(true)
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
