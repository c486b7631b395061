package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"smartbot/app"
	"smartbot/store"
)

// Job is one claimed job as a handler sees it.
type Job struct {
	ID    string
	Queue Name
	Body  []byte
	// Attempt is 1 on the first run, 2 on the first retry, and so on.
	Attempt  int
	Enqueued time.Time
}

// Handler does one job. A nil error acknowledges it; an error retries it
// with backoff until its attempts are used, then moves it to the dead
// letters. Wrap the error with Permanent to give up at once, or RetryAfter to
// choose the delay. A job may run more than once after a crash, so handlers
// must be idempotent. ctx is cancelled when shutdown's deadline passes.
type Handler func(ctx context.Context, job Job) error

// Config is one queue's settings.
type Config struct {
	// Concurrency is how many jobs of the queue run at once (default 2).
	Concurrency int
	// Prefetch is how many claimed jobs may wait in memory for a free worker
	// (default 16×Concurrency). Claiming ahead lets one transaction claim
	// many jobs; a crash returns them to the queue after Timeout. A job whose
	// claim lapses while it waits is claimed again, never run twice.
	Prefetch int
	// MaxAttempts is how many times a job runs before it is a dead letter (default 8).
	MaxAttempts int
	// Timeout is how long a claimed job stays invisible to other claims; a
	// running job's timeout is extended every Timeout/2 (default 1 minute).
	Timeout time.Duration
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
// each queue's workers, and settles the outcomes, claims and settlements
// sharing one write transaction per round.
type Runner struct {
	queues      *Queues
	db          *store.DB
	log         *slog.Logger
	poll        time.Duration
	batchWindow time.Duration
	states      map[Name]*queueState

	results chan result
	// outstanding holds the ids of the jobs claimed and not yet settled;
	// only the coordinator touches it.
	outstanding map[string]struct{}
	// stopping is closed by Shutdown: claim nothing more. workersDone
	// closes when every worker has returned; abandon when Shutdown's
	// deadline passes first.
	stopping    chan struct{}
	workersDone chan struct{}
	abandon     chan struct{}
	loopDone    chan struct{}
	jobCtx      context.Context
	cancelJobs  context.CancelFunc
	workers     sync.WaitGroup
	started     atomic.Bool
	stopOnce    sync.Once
}

type queueState struct {
	name    Name
	cfg     Config
	handler Handler
	jobs    chan Job

	// Owned by the coordinator goroutine.
	outstanding int // claimed and not yet settled
	ready       bool
	nextAt      time.Time

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
		outstanding: make(map[string]struct{}),
		stopping:    make(chan struct{}),
		workersDone: make(chan struct{}),
		abandon:     make(chan struct{}),
		loopDone:    make(chan struct{}),
		jobCtx:      ctx,
		cancelJobs:  cancel,
	}
	for _, n := range Names {
		r.states[n] = &queueState{name: n, cfg: opts.Config[n].withDefaults()}
	}
	return r
}

// Handle registers h for queue name. It must be called before Start.
func (r *Runner) Handle(name Name, h Handler) {
	if r.started.Load() {
		panic("queue: Handle after Start")
	}
	s, ok := r.states[name]
	if !ok {
		panic(fmt.Sprintf("queue: no queue %q", name))
	}
	s.handler = h
}

// Start launches the workers and the coordinator and returns.
func (r *Runner) Start() {
	if r.started.Swap(true) {
		return
	}
	if err := r.db.Prepare(context.Background(), claimSQL, nextDueSQL, deleteDoneSQL); err != nil {
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
// them and puts claimed jobs that never started back in their queue. When ctx
// ends first, running jobs' contexts are cancelled and they are left to be
// claimed again after a restart, once their timeout passes; Shutdown then
// returns ctx's error.
func (r *Runner) Shutdown(ctx context.Context) error {
	if !r.started.Load() {
		return nil
	}
	r.stopOnce.Do(func() { close(r.stopping) })
	var err error
	select {
	case <-r.workersDone:
	case <-ctx.Done():
		err = ctx.Err()
		r.cancelJobs()
		close(r.abandon)
	}
	<-r.loopDone
	r.cancelJobs()
	return err
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
			err := r.run(s, job)
			r.results <- result{q: s, job: job, err: err}
		}
	}
}

// run calls the handler with panic recovery, extending the job's timeout
// while it runs.
func (r *Runner) run(s *queueState, job Job) (err error) {
	ext := r.extender(s, job)
	defer ext.Stop()
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("job panicked", "queue", s.name, "id", job.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return s.handler(r.jobCtx, job)
}

// extension pushes a running job's timeout forward every Timeout/2 until
// stopped, so a long job is not claimed a second time while it runs.
type extension struct {
	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

func (r *Runner) extender(s *queueState, job Job) *extension {
	every := s.cfg.Timeout / 2
	e := &extension{}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.t = time.AfterFunc(every, func() {
		until := app.FormatTime(r.db.Now().Add(s.cfg.Timeout))
		err := r.db.Write(r.jobCtx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(r.jobCtx, `update goqite set timeout = ? where id = ?`, until, job.ID)
			return err
		})
		if err != nil {
			r.log.Warn("extend job timeout", "queue", s.name, "id", job.ID, "error", err)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if !e.stopped {
			e.t.Reset(every)
		}
	})
	return e
}

// Stop ends the extension; a push under way finishes, none follows.
func (e *extension) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopped = true
	e.t.Stop()
}

// coordinate is the one goroutine that touches the database for the runner:
// each round it settles the finished jobs and claims new ones for the queues
// that are ready and have room, in one transaction, then waits for a result,
// a wake-up or the next due job.
func (r *Runner) coordinate() {
	defer close(r.loopDone)
	var pending []result
	timer := time.NewTimer(r.poll)
	defer timer.Stop()
	stopping := false
	stopCh := r.stopping
	var lastClaim time.Time
	for {
		pending = r.drain(pending)
		if r.queues.takeWake() {
			r.markPending()
		}
		if carry, claimed, err := r.round(pending, stopping); err != nil {
			r.log.Error("queue round", "error", err)
			// Keep the results to settle next round; back off a little so a
			// broken database does not spin the loop.
			time.Sleep(50 * time.Millisecond)
		} else {
			pending = append(pending[:0], carry...)
			if claimed > 0 {
				lastClaim = time.Now()
			}
		}
		if stopping {
			select {
			case <-r.workersDone:
				r.finish(r.drain(pending))
				return
			case <-r.abandon:
				r.finish(r.drain(pending))
				return
			default:
			}
		}

		timer.Reset(r.wait())
		select {
		case res := <-r.results:
			pending = append(pending, res)
		case <-r.queues.wake:
			r.markPending()
			// Under load, jobs are committed one after another; claiming
			// each on its own would spend a transaction per job. Leaving at
			// least BatchWindow between claims lets them gather, so one
			// transaction claims several. An idle runner claims at once.
			if gap := r.batchWindow - time.Since(lastClaim); gap > 0 {
				time.Sleep(gap)
			}
		case <-timer.C:
			r.markDue()
		case <-stopCh:
			stopping, stopCh = true, nil
		// Closed channels are always ready: wait on these only while
		// stopping, or a runner with no workers would never sleep.
		case <-whileStopping(stopping, r.workersDone):
		case <-whileStopping(stopping, r.abandon):
		}
		if !stopping {
			select {
			case <-r.stopping:
				stopping, stopCh = true, nil
			default:
			}
		}
	}
}

// whileStopping is c once stopping, and nil (never ready) before.
func whileStopping(stopping bool, c chan struct{}) chan struct{} {
	if stopping {
		return c
	}
	return nil
}

// drain appends every result already waiting.
func (r *Runner) drain(pending []result) []result {
	for {
		select {
		case res := <-r.results:
			pending = append(pending, res)
		default:
			return pending
		}
	}
}

// finish settles the last results and releases the claimed jobs no worker
// took.
func (r *Runner) finish(pending []result) {
	for _, s := range r.states {
		if s.jobs == nil {
			continue
		}
	loop:
		for {
			select {
			case job := <-s.jobs:
				pending = append(pending, result{q: s, job: job, release: true})
			default:
				break loop
			}
		}
	}
	if len(pending) == 0 {
		return
	}
	err := r.db.Write(context.Background(), func(tx *store.Tx) error {
		return r.settle(context.Background(), tx, pending)
	})
	if err != nil {
		r.log.Error("queue: settle at shutdown; the jobs will run again after their timeout", "error", err)
	}
}

func (r *Runner) markPending() {
	for n, s := range r.states {
		if r.queues.pending[n].Swap(false) && s.handler != nil {
			s.ready = true
		}
	}
}

// markDue marks every queue ready when the timer fires: a job became due,
// or the poll interval passed and another process may have enqueued.
func (r *Runner) markDue() {
	now := r.db.Now()
	for _, s := range r.states {
		if s.handler == nil {
			continue
		}
		s.ready = true
		// A queue without room is not claimed from, so its due time would
		// not be refreshed; forget it rather than wake for it again.
		if !s.nextAt.IsZero() && !s.nextAt.After(now) {
			s.nextAt = time.Time{}
		}
	}
}

// wait is how long the coordinator may sleep: until the earliest known due
// job, or the poll interval.
func (r *Runner) wait() time.Duration {
	d := r.poll
	now := r.db.Now()
	for _, s := range r.states {
		if s.handler != nil && !s.nextAt.IsZero() {
			d = min(d, max(s.nextAt.Sub(now), time.Millisecond))
		}
	}
	return d
}

// round settles pending and claims for the ready queues in one transaction,
// then hands the claimed jobs to the workers. It returns the results to
// settle in the next round (claimed jobs that must not run again) and how
// many jobs it claimed.
func (r *Runner) round(pending []result, stopping bool) ([]result, int, error) {
	type want struct {
		s *queueState
		n int
	}
	var wants []want
	if !stopping {
		for _, s := range r.states {
			if s.handler == nil || !s.ready {
				continue
			}
			settled := 0
			for _, p := range pending {
				if p.q == s {
					settled++
				}
			}
			room := s.cfg.Concurrency + s.cfg.Prefetch - (s.outstanding - settled)
			if room > 0 {
				wants = append(wants, want{s, room})
			}
		}
	}
	if len(pending) == 0 && len(wants) == 0 {
		return nil, 0, nil
	}
	ctx := context.Background()
	claimed := make([][]Job, len(wants))
	nextAt := make([]time.Time, len(wants))
	err := r.db.Write(ctx, func(tx *store.Tx) error {
		if err := r.settle(ctx, tx, pending); err != nil {
			return err
		}
		for i, w := range wants {
			jobs, err := r.claim(ctx, tx, w.s, w.n)
			if err != nil {
				return err
			}
			claimed[i] = jobs
			if len(jobs) < w.n {
				if nextAt[i], err = r.nextDue(ctx, tx, w.s); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	var carry []result
	total := 0
	for _, p := range pending {
		delete(r.outstanding, p.job.ID)
		p.q.outstanding--
		p.q.claimed.Add(-1)
		switch {
		case p.release:
		case p.err == nil:
			p.q.processed.Add(1)
		default:
			p.q.failed.Add(1)
		}
	}
	for i, w := range wants {
		s := w.s
		if len(claimed[i]) < w.n {
			s.ready = false
			s.nextAt = nextAt[i]
		}
		total += len(claimed[i])
		for _, job := range claimed[i] {
			if _, dup := r.outstanding[job.ID]; dup {
				// Its claim lapsed while it waited in memory and this
				// claim renewed it; it is already on its way to a worker.
				continue
			}
			r.outstanding[job.ID] = struct{}{}
			s.outstanding++
			s.claimed.Add(1)
			if job.Attempt > s.cfg.MaxAttempts {
				// Claimed more times than allowed without ever settling:
				// every run died with the process or outlived its timeout.
				carry = append(carry, result{q: s, job: job, err: Permanent(fmt.Errorf("gave up after %d attempts that never finished (the process stopped, or the job ran past its %s timeout)", job.Attempt-1, s.cfg.Timeout))})
				continue
			}
			s.jobs <- job
		}
	}
	return carry, total, nil
}

// The runner's own queries on goqite's table, prepared once at Start.
const (
	// claimSQL takes up to n visible jobs in goqite's receive order.
	claimSQL = `
		update goqite set timeout = ?, received = received + 1
		where id in (
			select id from goqite
			where queue = ? and timeout <= ?
			order by priority desc, created
			limit ?
		)
		returning id, body, received, created`
	nextDueSQL = `select min(timeout) from goqite where queue = ?`
	// deleteDoneSQL acknowledges any number of jobs: the ids travel as a JSON array.
	deleteDoneSQL = `delete from goqite where id in (select value from json_each(?))`
)

// claim takes up to n visible jobs of s's queue, highest priority and oldest
// first, making them invisible for the queue's timeout.
func (r *Runner) claim(ctx context.Context, tx *store.Tx, s *queueState, n int) ([]Job, error) {
	now := r.db.Now()
	stmt, err := tx.Prepared(ctx, claimSQL)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, app.FormatTime(now.Add(s.cfg.Timeout)), string(s.name), app.FormatTime(now), n)
	if err != nil {
		return nil, fmt.Errorf("queue: claim %s: %w", s.name, err)
	}
	defer rows.Close()
	var jobs []Job
	for rows.Next() {
		j := Job{Queue: s.name}
		var created string
		if err := rows.Scan(&j.ID, &j.Body, &j.Attempt, &created); err != nil {
			return nil, fmt.Errorf("queue: claim %s: %w", s.name, err)
		}
		j.Enqueued, _ = app.ParseTime(created)
		jobs = append(jobs, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: claim %s: %w", s.name, err)
	}
	return jobs, nil
}

// nextDue is when the earliest job of s's queue that is not visible now
// becomes visible; zero when the queue is empty.
func (r *Runner) nextDue(ctx context.Context, tx *store.Tx, s *queueState) (time.Time, error) {
	var next *string
	stmt, err := tx.Prepared(ctx, nextDueSQL)
	if err != nil {
		return time.Time{}, err
	}
	if err := stmt.QueryRowContext(ctx, string(s.name)).Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("queue: next due in %s: %w", s.name, err)
	}
	if next == nil {
		return time.Time{}, nil
	}
	return app.ParseTime(*next)
}

// settle records the outcome of finished jobs: delete the done ones, delay
// the ones to retry, move the ones out of attempts to the dead letters, and
// put back the ones never started.
func (r *Runner) settle(ctx context.Context, tx *store.Tx, pending []result) error {
	now := r.db.Now()
	var done []string
	for _, p := range pending {
		switch {
		case p.release:
			if _, err := tx.ExecContext(ctx, `update goqite set timeout = ?, received = max(received - 1, 0) where id = ?`,
				app.FormatTime(now), p.job.ID); err != nil {
				return fmt.Errorf("queue: release %s: %w", p.job.ID, err)
			}
		case p.err == nil:
			done = append(done, p.job.ID)
		default:
			delay, retry := nextDelay(p.err, p.job.Attempt, p.q.cfg)
			if retry {
				r.log.Warn("job failed; will retry", "queue", p.q.name, "id", p.job.ID, "attempt", p.job.Attempt, "retry_in", delay, "error", p.err)
				if _, err := tx.ExecContext(ctx, `update goqite set timeout = ? where id = ?`,
					app.FormatTime(now.Add(delay)), p.job.ID); err != nil {
					return fmt.Errorf("queue: reschedule %s: %w", p.job.ID, err)
				}
				continue
			}
			r.log.Error("job failed; moved to dead letters", "queue", p.q.name, "id", p.job.ID, "attempt", p.job.Attempt, "error", p.err)
			if err := bury(ctx, tx, p.job.ID, p.job.Attempt, p.err.Error(), now); err != nil {
				return err
			}
		}
	}
	if len(done) == 0 {
		return nil
	}
	// One statement for any number of ids: they travel as a JSON array.
	ids, _ := json.Marshal(done)
	stmt, err := tx.Prepared(ctx, deleteDoneSQL)
	if err != nil {
		return err
	}
	if _, err := stmt.ExecContext(ctx, string(ids)); err != nil {
		return fmt.Errorf("queue: delete done jobs: %w", err)
	}
	return nil
}

// bury moves job id from goqite into the dead letters with its last error.
func bury(ctx context.Context, tx *store.Tx, id string, attempts int, lastErr string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		insert into queue_dead_letters (id, queue, body, attempts, error, enqueued_at, failed_at)
		select id, queue, body, ?, ?, created, ? from goqite where id = ?`,
		attempts, lastErr, app.FormatTime(now), id)
	if err != nil {
		return fmt.Errorf("queue: bury %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `delete from goqite where id = ?`, id); err != nil {
		return fmt.Errorf("queue: bury %s: %w", id, err)
	}
	return nil
}

// takeWake consumes a pending wake-up without blocking.
func (q *Queues) takeWake() bool {
	select {
	case <-q.wake:
		return true
	default:
		return false
	}
}
