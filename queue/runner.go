package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"smartbot/store"
)

// Job is one claimed job as a handler sees it.
type Job struct {
	ID    string
	Queue Name
	Body  []byte
	// Attempt is 1 on the first run, 2 on the first retry, and so on. A
	// snoozed job comes back with the same Attempt.
	Attempt  int
	Enqueued time.Time
}

// Handler does one job. A nil error acknowledges it; an error retries it
// with backoff until its attempts are used, then moves it to the dead
// letters. Wrap the error with Permanent to give up at once, or RetryAfter to
// choose the delay; return Snooze(d) to put the job back for d without
// spending an attempt. A job may run more than once after a crash, so
// handlers must be idempotent. ctx is cancelled at the queue's JobTimeout
// and when shutdown's deadline passes.
type Handler func(ctx context.Context, job Job) error

// DefaultJobTimeout is a queue's job deadline unless its Config says
// otherwise: long enough to re-encode a WhatsApp-sized video (16 MB) on a
// small machine, short enough that a hung handler gives its job back within
// minutes.
const DefaultJobTimeout = 5 * time.Minute

// Config is one queue's settings.
type Config struct {
	// Concurrency is how many jobs of the queue run at once (default 2).
	Concurrency int
	// Prefetch is how many claimed jobs may wait in memory for a free worker
	// (default 16×Concurrency). Claiming ahead lets one transaction claim
	// many jobs. Waiting jobs keep their claims like running ones; a
	// graceful shutdown or a Pause puts them back untouched. After a crash
	// they return to the queue after Timeout with one attempt counted.
	Prefetch int
	// MaxAttempts is how many times a job runs before it is a dead letter (default 8).
	MaxAttempts int
	// Timeout is how long a claim keeps a job invisible to other claims.
	// The runner renews the claims of all its jobs, waiting or running,
	// every Timeout/3, so only a stopped process loses them (default 1 minute).
	Timeout time.Duration
	// JobTimeout is the deadline of one attempt (default DefaultJobTimeout).
	// Past it the handler's context is cancelled, the attempt counts as
	// failed at once (retried with backoff, or a dead letter when its
	// attempts are used) and the claim is no longer renewed. A handler that
	// ignores its context keeps its worker until it returns, and its late
	// result is ignored: the job may meanwhile run again.
	JobTimeout time.Duration
	// Backoff is the delay after a failed attempt (default Exponential(1s, 1h)).
	Backoff func(attempt int) time.Duration
}

func (c Config) withDefaults() Config {
	if c.Concurrency <= 0 {
		c.Concurrency = 2
	}
	if c.Prefetch <= 0 {
		c.Prefetch = 16 * c.Concurrency
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Minute
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.Backoff == nil {
		c.Backoff = Exponential(time.Second, time.Hour)
	}
	return c
}

// RunnerOptions configure NewRunner.
type RunnerOptions struct {
	Queues *Queues
	// Log receives job failures and runner errors; nil discards.
	Log *slog.Logger
	// Config per queue; queues left out get the defaults.
	Config map[Name]Config
	// PollInterval is how often an idle runner looks for jobs that another
	// process enqueued (default 1s). Jobs enqueued by this process wake the
	// runner at once, and a busy runner never waits on the poll.
	PollInterval time.Duration
	// BatchWindow is the least time between two rounds of claiming and
	// settling (default 500µs): under load, jobs and results gather for
	// that long and share one transaction. It bounds the added latency.
	BatchWindow time.Duration
}

// Runner works the queues that have a handler: it claims jobs, runs them on
// each queue's workers, and settles the outcomes, claims, renewals and
// settlements sharing one write transaction per round.
type Runner struct {
	queues      *Queues
	db          *store.DB
	log         *slog.Logger
	poll        time.Duration
	batchWindow time.Duration
	states      map[Name]*queueState

	results chan result
	// stopping is closed by Shutdown: claim nothing more. workersDone
	// closes when every worker has returned; abandon when a Shutdown's
	// deadline passes first, abandonErr then being that deadline's error.
	stopping    chan struct{}
	workersDone chan struct{}
	abandon     chan struct{}
	abandonErr  error
	loopDone    chan struct{}
	jobCtx      context.Context
	cancelJobs  context.CancelFunc
	workers     sync.WaitGroup
	started     atomic.Bool
	stopOnce    sync.Once
	abandonOnce sync.Once

	// onRound, when set (by tests, before Start), runs in the coordinator
	// after each of its rounds.
	onRound func()
}

type queueState struct {
	name    Name
	cfg     Config
	handler Handler
	jobs    chan Job

	// paused is checked by a worker on every job it takes.
	paused atomic.Bool

	// Owned by the coordinator goroutine.
	outstanding map[string]struct{} // claimed and not yet settled
	ready       bool
	nextAt      time.Time
	// renewAt is when the claims in outstanding must next be renewed.
	renewAt time.Time

	// Read by Stats: claimed mirrors outstanding.
	claimed   atomic.Int64
	processed atomic.Int64
	failed    atomic.Int64
}

type result struct {
	q   *queueState
	job Job
	err error
	// release puts an unstarted job back untouched, as if never claimed.
	release bool
	// due is set by settle when the job stays in the queue: when it is
	// visible again.
	due time.Time
}

// NewRunner returns a runner for the queues; register handlers with Handle,
// then Start it.
func NewRunner(opts RunnerOptions) *Runner {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.BatchWindow <= 0 {
		opts.BatchWindow = 500 * time.Microsecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{
		queues:      opts.Queues,
		db:          opts.Queues.db,
		log:         opts.Log,
		poll:        opts.PollInterval,
		batchWindow: opts.BatchWindow,
		states:      make(map[Name]*queueState),
		results:     make(chan result, 1024),
		stopping:    make(chan struct{}),
		workersDone: make(chan struct{}),
		abandon:     make(chan struct{}),
		loopDone:    make(chan struct{}),
		jobCtx:      ctx,
		cancelJobs:  cancel,
	}
	for _, n := range Names {
		r.states[n] = &queueState{name: n, cfg: opts.Config[n].withDefaults(), outstanding: make(map[string]struct{})}
	}
	return r
}

// Handle registers h for queue name. It must be called before Start.
func (r *Runner) Handle(name Name, h Handler) {
	if r.started.Load() {
		panic("queue: Handle after Start")
	}
	r.state(name).handler = h
}

func (r *Runner) state(name Name) *queueState {
	s, ok := r.states[name]
	if !ok {
		panic(fmt.Sprintf("queue: no queue %q", name))
	}
	return s
}

// Pause stops starting jobs of queue name, before or after Start, until
// Resume. Nothing is lost: running jobs finish, no job is claimed while the
// queue is paused, and claimed jobs still waiting in memory go back to the
// queue untouched (their attempt not counted). No job of the queue starts
// after Pause returns. The send circuit breaker and a paused WhatsApp
// connection use it.
func (r *Runner) Pause(name Name) {
	if !r.state(name).paused.Swap(true) {
		// Wake the coordinator to put back what waits in memory.
		r.queues.notify(name)
	}
}

// Resume undoes Pause: the queue's jobs run again in their order (priority,
// then age).
func (r *Runner) Resume(name Name) {
	if r.state(name).paused.Swap(false) {
		r.queues.notify(name)
	}
}

// Paused reports whether queue name is paused.
func (r *Runner) Paused(name Name) bool { return r.state(name).paused.Load() }

// Start launches the workers and the coordinator and returns.
func (r *Runner) Start() {
	if r.started.Swap(true) {
		return
	}
	if err := r.db.Prepare(context.Background(), claimSQL, nextDueSQL, deleteDoneSQL, renewSQL); err != nil {
		// Unprepared, the same queries still run, only slower.
		r.log.Warn("queue: prepare statements", "error", err)
	}
	for _, s := range r.states {
		if s.handler == nil {
			continue
		}
		s.jobs = make(chan Job, s.cfg.Concurrency+s.cfg.Prefetch)
		s.ready = true
		for range s.cfg.Concurrency {
			r.workers.Add(1)
			go r.work(s)
		}
	}
	go func() {
		r.workers.Wait()
		close(r.workersDone)
	}()
	go r.coordinate()
}

// Started reports whether Start was called and Shutdown not finished.
func (r *Runner) Started() bool {
	select {
	case <-r.loopDone:
		return false
	default:
		return r.started.Load()
	}
}

// Shutdown stops claiming jobs, waits for the running ones to finish, settles
// them and puts claimed jobs that never started back in their queue, then
// returns nil. When ctx ends first, running jobs' contexts are cancelled and
// they are left to be claimed again after a restart, once their timeout
// passes; Shutdown then writes what it knows (one short transaction) and
// returns ctx's error.
//
// Shutdown may be called any number of times, also concurrently: every call
// waits like the first, until the runner has stopped or its own ctx ends.
// Once one call's deadline abandoned running jobs, every call returns that
// call's error.
func (r *Runner) Shutdown(ctx context.Context) error {
	if !r.started.Load() {
		return nil
	}
	r.stopOnce.Do(func() { close(r.stopping) })
	select {
	case <-r.workersDone:
	case <-r.abandon:
	case <-ctx.Done():
		r.abandonOnce.Do(func() {
			r.abandonErr = ctx.Err()
			r.cancelJobs()
			close(r.abandon)
		})
	}
	<-r.loopDone
	r.cancelJobs()
	select {
	case <-r.abandon:
		return r.abandonErr
	default:
		return nil
	}
}

func (r *Runner) work(s *queueState) {
	defer r.workers.Done()
	for {
		// Check stopping first, so a worker that could take a job and stop
		// in the same instant stops.
		select {
		case <-r.stopping:
			return
		default:
		}
		select {
		case <-r.stopping:
			return
		case job := <-s.jobs:
			if s.paused.Load() {
				// Paused since the job was claimed: it goes back. The
				// coordinator puts back the others waiting.
				r.results <- result{q: s, job: job, release: true}
				continue
			}
			r.run(s, job)
		}
	}
}

// errDeadline is the cause of a job context that reached its JobTimeout.
var errDeadline = errors.New("job deadline")

// run calls the handler with the queue's deadline and panic recovery, and
// reports the outcome once: when the handler returns, or at the deadline
// if that comes first.
func (r *Runner) run(s *queueState, job Job) {
	ctx, cancel := context.WithTimeoutCause(r.jobCtx, s.cfg.JobTimeout, errDeadline)
	defer cancel()
	var reported atomic.Bool
	report := func(err error) bool {
		if !reported.CompareAndSwap(false, true) {
			return false
		}
		r.results <- result{q: s, job: job, err: err}
		return true
	}
	// At the deadline the attempt fails at once, so that its claim is
	// settled and no longer renewed even if the handler never returns.
	stop := context.AfterFunc(ctx, func() {
		if context.Cause(ctx) == errDeadline {
			report(fmt.Errorf("job ran past its %s deadline: %w", s.cfg.JobTimeout, context.DeadlineExceeded))
		}
	})
	err := r.call(ctx, s, job)
	stop()
	if !report(err) {
		r.log.Warn("job returned after its deadline; its result is ignored", "queue", s.name, "id", job.ID, "error", err)
	}
}

// call runs the handler, turning a panic into an error.
func (r *Runner) call(ctx context.Context, s *queueState, job Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("job panicked", "queue", s.name, "id", job.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return s.handler(ctx, job)
}
