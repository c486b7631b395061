package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"smartbot/app"
	"smartbot/store"
)

// coordinate is the one goroutine that touches the database for the runner:
// each round it renews the claims that are due, settles the finished jobs
// and claims new ones for the queues that are ready and have room, in one
// transaction, then waits for a result, a wake-up, the next due job or the
// next renewal.
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
		pending = r.putBackPaused(pending)
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
		if r.onRound != nil {
			r.onRound()
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

// putBackPaused takes the jobs waiting in memory for a paused queue's
// workers, to be released this round.
func (r *Runner) putBackPaused(pending []result) []result {
	for _, s := range r.states {
		if s.jobs != nil && s.paused.Load() {
			pending = takeWaiting(s, pending)
		}
	}
	return pending
}

// takeWaiting appends the jobs waiting in s's channel as releases.
func takeWaiting(s *queueState, pending []result) []result {
	for {
		select {
		case job := <-s.jobs:
			pending = append(pending, result{q: s, job: job, release: true})
		default:
			return pending
		}
	}
}

// finish settles the last results and releases the claimed jobs no worker
// took.
func (r *Runner) finish(pending []result) {
	for _, s := range r.states {
		if s.jobs != nil {
			pending = takeWaiting(s, pending)
		}
	}
	if len(pending) == 0 {
		return
	}
	err := r.db.Write(context.Background(), func(tx *store.Tx) error {
		return r.settle(context.Background(), tx, pending, r.db.Now())
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
// a renewal is due, or the poll interval passed and another process may
// have enqueued.
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
// job or claim renewal, or the poll interval.
func (r *Runner) wait() time.Duration {
	d := r.poll
	now := r.db.Now()
	for _, s := range r.states {
		if s.handler == nil {
			continue
		}
		if !s.nextAt.IsZero() {
			d = min(d, max(s.nextAt.Sub(now), time.Millisecond))
		}
		if len(s.outstanding) > 0 {
			d = min(d, max(s.renewAt.Sub(now), time.Millisecond))
		}
	}
	return d
}

// renewEvery is how often a queue's claims are renewed: a third of the
// timeout, so a claim is renewed twice before it would lapse.
func renewEvery(s *queueState) time.Duration { return s.cfg.Timeout / 3 }

// round renews due claims, settles pending and claims for the ready queues
// in one transaction, then hands the claimed jobs to the workers. It returns
// the results to settle in the next round (claimed jobs that must not run
// again) and how many jobs it claimed.
func (r *Runner) round(pending []result, stopping bool) ([]result, int, error) {
	type want struct {
		s *queueState
		n int
	}
	now := r.db.Now()
	var wants []want
	var renew []*queueState
	for _, s := range r.states {
		if s.handler == nil {
			continue
		}
		if len(s.outstanding) > 0 && !now.Before(s.renewAt) {
			renew = append(renew, s)
		}
		if stopping || !s.ready || s.paused.Load() {
			continue
		}
		settled := 0
		for _, p := range pending {
			if p.q == s {
				settled++
			}
		}
		room := s.cfg.Concurrency + s.cfg.Prefetch - (len(s.outstanding) - settled)
		if room > 0 {
			wants = append(wants, want{s, room})
		}
	}
	if len(pending) == 0 && len(wants) == 0 && len(renew) == 0 {
		return nil, 0, nil
	}
	ctx := context.Background()
	claimed := make([][]Job, len(wants))
	nextAt := make([]time.Time, len(wants))
	err := r.db.Write(ctx, func(tx *store.Tx) error {
		// The order matters. Renewing comes first, at the same now as the
		// claims below, so no claim of this runner can have lapsed when
		// they look for visible jobs. Settling comes after renewing, so a
		// retry or snooze time is never overwritten by a renewal.
		for _, s := range renew {
			if err := r.renew(ctx, tx, s, now); err != nil {
				return err
			}
		}
		if err := r.settle(ctx, tx, pending, now); err != nil {
			return err
		}
		for i, w := range wants {
			jobs, err := r.claim(ctx, tx, w.s, w.n, now)
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
	for _, s := range renew {
		s.renewAt = now.Add(renewEvery(s))
	}
	var carry []result
	total := 0
	for _, p := range pending {
		if !p.due.IsZero() && (p.q.nextAt.IsZero() || p.due.Before(p.q.nextAt)) {
			// Wake for a retry, a snoozed or a released job when it is due.
			p.q.nextAt = p.due
		}
		delete(p.q.outstanding, p.job.ID)
		p.q.claimed.Add(-1)
		switch {
		case p.release:
		case p.err == nil:
			p.q.processed.Add(1)
		default:
			if _, ok := Snoozed(p.err); !ok {
				p.q.failed.Add(1)
			}
		}
	}
	for i, w := range wants {
		s := w.s
		if len(claimed[i]) < w.n {
			s.ready = false
			s.nextAt = nextAt[i]
		}
		total += len(claimed[i])
		if len(s.outstanding) == 0 && len(claimed[i]) > 0 {
			// The earliest claim to renew is one of these.
			s.renewAt = now.Add(renewEvery(s))
		}
		for _, job := range claimed[i] {
			if _, dup := s.outstanding[job.ID]; dup {
				// Cannot happen while claims are renewed before claiming;
				// were it to, the job is already on its way to a worker.
				r.log.Error("queue: claimed a job already claimed", "queue", s.name, "id", job.ID)
				continue
			}
			s.outstanding[job.ID] = struct{}{}
			s.claimed.Add(1)
			if job.Attempt > s.cfg.MaxAttempts {
				// Claimed more times than allowed without ever settling:
				// every run died with the process.
				carry = append(carry, result{q: s, job: job, err: Permanent(fmt.Errorf("gave up after %d attempts that never finished (the process stopped while the job was claimed)", job.Attempt-1))})
				continue
			}
			s.jobs <- job
		}
	}
	return carry, total, nil
}

// The runner's own queries on goqite's table, prepared once at Start. The
// test TestGoqitesTableIsTheSchemaOfThePinnedGoqite keeps the table they
// assume equal to goqite's.
const (
	// claimSQL takes up to n visible jobs in goqite's receive order and
	// counts an attempt: claimed jobs are started unless they are put back
	// (releaseSQL), which uncounts it.
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
	// renewSQL and deleteDoneSQL take any number of ids as a JSON array.
	renewSQL      = `update goqite set timeout = ? where id in (select value from json_each(?))`
	deleteDoneSQL = `delete from goqite where id in (select value from json_each(?))`
	// releaseSQL puts a job back without spending an attempt.
	releaseSQL = `update goqite set timeout = ?, received = max(received - 1, 0) where id = ?`
	retrySQL   = `update goqite set timeout = ? where id = ?`
)

// claim takes up to n visible jobs of s's queue, highest priority and oldest
// first, making them invisible for the queue's timeout.
func (r *Runner) claim(ctx context.Context, tx *store.Tx, s *queueState, n int, now time.Time) ([]Job, error) {
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

// renew pushes the claims of all of s's outstanding jobs, running or waiting
// for a worker, to now plus the queue's timeout, in one statement.
func (r *Runner) renew(ctx context.Context, tx *store.Tx, s *queueState, now time.Time) error {
	ids := make([]string, 0, len(s.outstanding))
	for id := range s.outstanding {
		ids = append(ids, id)
	}
	list, _ := json.Marshal(ids)
	stmt, err := tx.Prepared(ctx, renewSQL)
	if err != nil {
		return err
	}
	if _, err := stmt.ExecContext(ctx, app.FormatTime(now.Add(s.cfg.Timeout)), string(list)); err != nil {
		return fmt.Errorf("queue: renew claims of %s: %w", s.name, err)
	}
	return nil
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

// settle records the outcome of finished jobs: delete the done ones, put
// back the snoozed ones and the ones never started, delay the ones to
// retry, and move the ones out of attempts to the dead letters.
func (r *Runner) settle(ctx context.Context, tx *store.Tx, pending []result, now time.Time) error {
	var done []string
	for i := range pending {
		p := &pending[i]
		switch {
		case p.release:
			p.due = now
			if _, err := tx.ExecContext(ctx, releaseSQL, app.FormatTime(p.due), p.job.ID); err != nil {
				return fmt.Errorf("queue: release %s: %w", p.job.ID, err)
			}
		case p.err == nil:
			done = append(done, p.job.ID)
		default:
			if d, ok := Snoozed(p.err); ok {
				r.log.Debug("job snoozed", "queue", p.q.name, "id", p.job.ID, "attempt", p.job.Attempt, "for", d)
				p.due = now.Add(d)
				if _, err := tx.ExecContext(ctx, releaseSQL, app.FormatTime(p.due), p.job.ID); err != nil {
					return fmt.Errorf("queue: snooze %s: %w", p.job.ID, err)
				}
				continue
			}
			delay, retry := nextDelay(p.err, p.job.Attempt, p.q.cfg)
			if retry {
				r.log.Warn("job failed; will retry", "queue", p.q.name, "id", p.job.ID, "attempt", p.job.Attempt, "retry_in", delay, "error", p.err)
				p.due = now.Add(delay)
				if _, err := tx.ExecContext(ctx, retrySQL, app.FormatTime(p.due), p.job.ID); err != nil {
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
