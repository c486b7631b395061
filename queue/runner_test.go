package queue_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

// send enqueues body on name in its own transaction.
func send(t testing.TB, db *store.DB, qs *queue.Queues, name queue.Name, body string) {
	t.Helper()
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		return qs.Send(context.Background(), tx, name, []byte(body))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// start starts r and shuts it down when the test ends.
func start(t testing.TB, r *queue.Runner) {
	t.Helper()
	r.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
}

// newClock is the store's clock in tests that need time to pass: it moves
// only when told. It starts an hour ahead, because goqite stamps the jobs
// it enqueues with the real time: they are visible at once.
func newClock() *storetest.Clock { return storetest.NewClock(time.Now().Add(time.Hour)) }

// rounds follows a runner's coordinator: tests wait on it, not on time.
type rounds struct {
	n    atomic.Int64
	tick chan struct{}
}

// watch hooks r's rounds; also, when given, runs in the coordinator after
// each round. Call it before Start.
func watch(r *queue.Runner, also func()) *rounds {
	w := &rounds{tick: make(chan struct{}, 1)}
	queue.OnRound(r, func() {
		if also != nil {
			also()
		}
		w.n.Add(1)
		select {
		case w.tick <- struct{}{}:
		default:
		}
	})
	return w
}

// until checks cond after every round until it holds; the 10 seconds are
// only there to fail a test that would otherwise hang.
func (w *rounds) until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	fail := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-w.tick:
		case <-fail:
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// pass waits until n more rounds have completed: the second of two rounds
// began after the call, so it saw everything done before it.
func (w *rounds) pass(t testing.TB, n int) {
	t.Helper()
	target := w.n.Load() + int64(n)
	w.until(t, fmt.Sprintf("%d rounds", n), func() bool { return w.n.Load() >= target })
}

// idle waits for the runner's first round, which found nothing to do. Not
// pass(t, 1): with a long poll, that round may already be over, and no
// second one ever comes.
func (w *rounds) idle(t testing.TB) {
	t.Helper()
	w.until(t, "the first round", func() bool { return w.n.Load() >= 1 })
}

// row is what goqite holds of one job.
type row struct {
	received int
	timeout  string
}

// jobRow reads body's row in goqite; ok is false once it is gone.
func jobRow(t testing.TB, db *store.DB, body string) (row, bool) {
	t.Helper()
	var r row
	err := db.R.QueryRow(`select received, timeout from goqite where body = ?`, []byte(body)).Scan(&r.received, &r.timeout)
	if err != nil {
		return r, false
	}
	return r, true
}

// receive takes the next value from c, failing after 10 seconds.
func receive[T any](t testing.TB, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("gave up waiting for %s", what)
		panic("unreachable")
	}
}

func TestAJobEnqueuedInARolledBackTransactionNeverRuns(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	var mu sync.Mutex
	var ran []string
	// One worker runs jobs in the order they were enqueued: had the
	// rolled-back job been stored, it would run before the committed one.
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.OrderProcessing: {Concurrency: 1},
	}})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, string(job.Body))
		return nil
	})
	w := watch(r, nil)
	start(t, r)

	rollback := errors.New("changed my mind")
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		if err := qs.Send(context.Background(), tx, queue.OrderProcessing, []byte("rolled back")); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("write returned %v, want the rollback error", err)
	}
	send(t, db, qs, queue.OrderProcessing, "committed")
	w.until(t, "the committed job to be done", func() bool {
		return storetest.Count(t, db, `select count(*) from goqite`) == 0
	})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(ran, []string{"committed"}) {
		t.Fatalf("ran %q, want only the committed job", ran)
	}
}

func TestAJobEnqueuedOnAnIdleQueueStartsWithoutWaitingForThePoll(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	started := make(chan struct{}, 1)
	// An hour between polls: only the wake-up on commit can start the job.
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: time.Hour})
	r.Handle(queue.MessageSending, func(ctx context.Context, job queue.Job) error {
		started <- struct{}{}
		return nil
	})
	w := watch(r, nil)
	start(t, r)
	w.idle(t)

	send(t, db, qs, queue.MessageSending, "hello")
	receive(t, started, "the job to start: the runner was not woken by the commit")
}

func TestAFailingJobIsRetriedAfterItsBackoffThenBuriedWithItsError(t *testing.T) {
	c := newClock()
	db := storetest.OpenAt(t, t.TempDir(), c.Now)
	qs := queue.New(db)
	// Not a multiple of the claim's one-minute Timeout, so a claimed row and
	// a rescheduled one differ.
	backoff := func(attempt int) time.Duration { return time.Duration(attempt) * 7 * time.Minute }
	attempts := make(chan int, 8)
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 5 * time.Millisecond, Config: map[queue.Name]queue.Config{
		queue.WebhookDelivery: {MaxAttempts: 4, Backoff: backoff},
	}})
	r.Handle(queue.WebhookDelivery, func(ctx context.Context, job queue.Job) error {
		attempts <- job.Attempt
		return fmt.Errorf("endpoint answered 503 on attempt %d", job.Attempt)
	})
	w := watch(r, nil)
	start(t, r)

	const body = `{"event":"evt_1"}`
	send(t, db, qs, queue.WebhookDelivery, body)
	for want := 1; want <= 4; want++ {
		if got := receive(t, attempts, fmt.Sprintf("attempt %d", want)); got != want {
			t.Fatalf("ran attempt %d, want %d", got, want)
		}
		if want == 4 {
			break
		}
		// The job waits out its backoff: it comes back only when the clock
		// has moved past it.
		w.until(t, fmt.Sprintf("attempt %d to be settled", want), func() bool {
			stats, err := qs.Stats(context.Background(), r)
			return err == nil && stats[3].Failed == int64(want)
		})
		due := app.FormatTime(c.Now().Add(backoff(want)))
		if got, _ := jobRow(t, db, body); got.timeout != due || got.received != want {
			t.Fatalf("after attempt %d the row is %+v, want due at %s after %d receives", want, got, due, want)
		}
		c.Add(backoff(want))
	}
	var dead []queue.DeadLetter
	w.until(t, "the dead letter", func() bool {
		var err error
		dead, err = qs.DeadLetters(context.Background(), queue.WebhookDelivery, "", 10)
		return err == nil && len(dead) == 1
	})
	d := dead[0]
	if d.Attempts != 4 || d.Error != "endpoint answered 503 on attempt 4" || string(d.Body) != body {
		t.Fatalf("dead letter = %+v, want 4 attempts, the last error and the body", d)
	}
	if n := storetest.Count(t, db, `select count(*) from goqite`); n != 0 {
		t.Fatalf("a buried job is still in goqite's receive path (%d rows)", n)
	}
}

func TestExponentialBackoffGrowsWithJitterUpToItsCap(t *testing.T) {
	b := queue.Exponential(time.Second, time.Minute)
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 7: time.Minute, 30: time.Minute} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := b(attempt)
			if d < want/2 || d >= want {
				t.Fatalf("attempt %d: delay %v outside [%v, %v)", attempt, d, want/2, want)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Errorf("attempt %d: only %d distinct delays in 200: no jitter", attempt, len(seen))
		}
	}
}

func TestPermanentErrorsAndPanicsAreHandledWithoutStoppingTheRunner(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	var good atomic.Int32
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.MediaProcessing: {MaxAttempts: 2, Backoff: func(int) time.Duration { return time.Millisecond }},
	}})
	r.Handle(queue.MediaProcessing, func(ctx context.Context, job queue.Job) error {
		switch string(job.Body) {
		case "panic":
			panic("decoder exploded")
		case "permanent":
			return queue.Permanent(errors.New("not an image"))
		}
		good.Add(1)
		return nil
	})
	w := watch(r, nil)
	start(t, r)

	for _, b := range []string{"panic", "permanent", "ok"} {
		send(t, db, qs, queue.MediaProcessing, b)
	}
	w.until(t, "two dead letters and the good job", func() bool {
		dead, _ := qs.DeadLetters(context.Background(), queue.MediaProcessing, "", 10)
		return len(dead) == 2 && good.Load() == 1
	})
	dead, _ := qs.DeadLetters(context.Background(), queue.MediaProcessing, "", 10)
	byBody := map[string]queue.DeadLetter{}
	for _, d := range dead {
		byBody[string(d.Body)] = d
	}
	if d := byBody["permanent"]; d.Attempts != 1 || d.Error != "not an image" {
		t.Errorf("permanent failure buried as %+v, want after 1 attempt with its error", d)
	}
	if d := byBody["panic"]; d.Attempts != 2 || !strings.Contains(d.Error, "panic: decoder exploded") {
		t.Errorf("panicking job buried as %+v, want after 2 attempts with the panic", d)
	}
}

func TestDeadLettersCanBeRetriedAndDiscardedWithAnAuditRow(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	var fail atomic.Bool
	fail.Store(true)
	var done atomic.Int32
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.OrderProcessing: {MaxAttempts: 1},
	}})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		if fail.Load() {
			return errors.New("stock service down")
		}
		done.Add(1)
		return nil
	})
	w := watch(r, nil)
	start(t, r)
	send(t, db, qs, queue.OrderProcessing, "a")
	send(t, db, qs, queue.OrderProcessing, "b")
	var dead []queue.DeadLetter
	w.until(t, "two dead letters", func() bool {
		dead, _ = qs.DeadLetters(context.Background(), queue.OrderProcessing, "", 10)
		return len(dead) == 2
	})

	fail.Store(false)
	ctx := app.WithActor(context.Background(), app.Actor{Type: app.ActorUser, ID: "usr_1", Name: "Owner"})
	if err := qs.Retry(ctx, dead[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := qs.Discard(ctx, dead[1].ID); err != nil {
		t.Fatal(err)
	}
	w.until(t, "the retried job", func() bool { return done.Load() == 1 })
	if n := storetest.Count(t, db, `select count(*) from queue_dead_letters`); n != 0 {
		t.Fatalf("%d dead letters left, want 0", n)
	}
	for _, c := range []struct{ action, id string }{{"dead_letter.retry", dead[0].ID}, {"dead_letter.discard", dead[1].ID}} {
		if n := storetest.Count(t, db, `select count(*) from audit_logs where action = ? and entity_id = ? and actor_id = 'usr_1'`, c.action, c.id); n != 1 {
			t.Errorf("%s of %s: %d audit rows, want 1", c.action, c.id, n)
		}
	}
	if err := qs.Retry(ctx, "m_missing"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("retry of a missing dead letter: %v, want not found", err)
	}
}

func TestShutdownWaitsForRunningJobsAndSettlesThem(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	started := make(chan struct{})
	var finished atomic.Bool
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 10 * time.Millisecond})
	// The job runs on until the coordinator has made two rounds since
	// Shutdown began, so its result comes after the coordinator knows it is
	// stopping.
	roundsWhileStopping := make(chan struct{}, 2)
	watch(r, func() {
		select {
		case <-queue.Stopping(r):
			select {
			case roundsWhileStopping <- struct{}{}:
			default:
			}
		default:
		}
	})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		close(started)
		for range 2 {
			select {
			case <-roundsWhileStopping:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		finished.Store(true)
		return nil
	})
	r.Start()
	send(t, db, qs, queue.OrderProcessing, "slow")
	receive(t, started, "the job to start")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if !finished.Load() {
		t.Fatal("shutdown returned before the running job finished")
	}
	if n := storetest.Count(t, db, `select count(*) from goqite`); n != 0 {
		t.Fatalf("the finished job was not acknowledged: %d rows in goqite", n)
	}
}

func TestShutdownPastItsDeadlineCancelsTheJobAndLeavesItToRunAgain(t *testing.T) {
	c := newClock()
	db := storetest.OpenAt(t, t.TempDir(), c.Now)
	qs := queue.New(db)
	started := make(chan struct{})
	cancelled := make(chan error, 1)
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		close(started)
		<-ctx.Done()
		cancelled <- ctx.Err()
		<-hold // still busy when shutdown gives up
		return ctx.Err()
	})
	r.Start()
	send(t, db, qs, queue.OrderProcessing, "stuck")
	receive(t, started, "the job to start")
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown: %v, want the deadline error", err)
	}
	if err := receive(t, cancelled, "the job's context to end"); !errors.Is(err, context.Canceled) {
		t.Fatalf("the job's context ended with %v, want cancelled", err)
	}

	// A new runner, as after a restart, gets the job once its claim lapses.
	attempts := make(chan int, 1)
	r2 := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 5 * time.Millisecond})
	r2.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		attempts <- job.Attempt
		return nil
	})
	start(t, r2)
	c.Add(time.Minute + time.Second) // the default Timeout
	if a := receive(t, attempts, "the abandoned job to run again"); a != 2 {
		t.Fatalf("the job ran again as attempt %d, want 2", a)
	}
}

func TestALongJobKeepsItsClaimWhileItRuns(t *testing.T) {
	c := newClock()
	db := storetest.OpenAt(t, t.TempDir(), c.Now)
	qs := queue.New(db)
	const timeout = 100 * time.Millisecond
	started := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	runs := map[string]int{}
	// One worker and room for one more claim, both taken: the queue has no
	// room to claim, and an hour between polls, so only the timer that
	// renews claims makes rounds.
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: time.Hour, Config: map[queue.Name]queue.Config{
		queue.MediaProcessing: {Concurrency: 1, Prefetch: 1, Timeout: timeout},
	}})
	r.Handle(queue.MediaProcessing, func(ctx context.Context, job queue.Job) error {
		mu.Lock()
		runs[string(job.Body)]++
		mu.Unlock()
		if string(job.Body) == "video" {
			close(started)
			<-release
		}
		return nil
	})
	w := watch(r, nil)
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		for _, b := range []string{"video", "photo"} {
			if err := qs.Send(context.Background(), tx, queue.MediaProcessing, []byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	start(t, r)
	receive(t, started, "the long job to start")

	// Six timeouts pass while one job runs and the other waits for it.
	for range 15 {
		c.Add(timeout * 2 / 5)
		w.pass(t, 2)
	}
	now := app.FormatTime(c.Now())
	for _, b := range []string{"video", "photo"} {
		if got, _ := jobRow(t, db, b); got.received != 1 || got.timeout <= now {
			t.Errorf("after six timeouts %s's row is %+v at %s, want still claimed, once", b, got, now)
		}
	}
	close(release)
	w.until(t, "the jobs to be done", func() bool { return storetest.Count(t, db, `select count(*) from goqite`) == 0 })
	mu.Lock()
	defer mu.Unlock()
	if runs["video"] != 1 || runs["photo"] != 1 {
		t.Fatalf("runs = %v, want each job once", runs)
	}
}

func TestAJobWaitingBehindASlowJobRunsOnceAndCountsOneAttempt(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	type run struct {
		attempt, received int
		claimed           bool
	}
	runs := make(chan run, 10)
	// One worker and an 800 ms job ahead: the next job waits in memory for
	// eight of its claim's timeouts.
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.OrderProcessing: {Concurrency: 1, Timeout: 100 * time.Millisecond, MaxAttempts: 5},
	}})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		if string(job.Body) == "slow" {
			time.Sleep(800 * time.Millisecond) // the work, not synchronisation
			return nil
		}
		var received int
		var timeout string
		err := db.R.QueryRow(`select received, timeout from goqite where id = ?`, job.ID).Scan(&received, &timeout)
		if err != nil {
			return err
		}
		runs <- run{job.Attempt, received, timeout > app.FormatTime(db.Now())}
		return nil
	})
	w := watch(r, nil)
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		for _, b := range []string{"slow", "next"} {
			if err := qs.Send(context.Background(), tx, queue.OrderProcessing, []byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	start(t, r)
	w.until(t, "both jobs to be done", func() bool { return storetest.Count(t, db, `select count(*) from goqite`) == 0 })

	got := receive(t, runs, "the next job")
	if got.attempt != 1 || got.received != 1 || !got.claimed {
		t.Fatalf("the next job ran as %+v, want attempt 1 with one receive in goqite and its claim held", got)
	}
	if len(runs) != 0 {
		t.Fatalf("the next job ran %d more times", len(runs))
	}
	if n := storetest.Count(t, db, `select count(*) from queue_dead_letters`); n != 0 {
		t.Fatalf("%d dead letters, want none", n)
	}
}

func TestARunnerLateForARenewalRenewsBeforeItClaimsAndSoNeverReclaimsItsOwnJobs(t *testing.T) {
	c := newClock()
	db := storetest.OpenAt(t, t.TempDir(), c.Now)
	qs := queue.New(db)
	started := make(chan struct{})
	release := make(chan struct{})
	received := make(chan int, 4)
	// One worker and room to claim more: every round looks for visible jobs.
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 5 * time.Millisecond, Config: map[queue.Name]queue.Config{
		queue.OrderProcessing: {Concurrency: 1, Timeout: 100 * time.Millisecond},
	}})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		if string(job.Body) == "first" {
			close(started)
			<-release
			return nil
		}
		got, _ := jobRow(t, db, string(job.Body))
		received <- got.received
		return nil
	})
	w := watch(r, nil)
	start(t, r)
	send(t, db, qs, queue.OrderProcessing, "first")
	receive(t, started, "the first job to start")
	send(t, db, qs, queue.OrderProcessing, "second")
	w.until(t, "the second job to be claimed", func() bool { return queue.Waiting(r, queue.OrderProcessing) == 1 })

	// The clock leaps past every claim at once, as after a long stall.
	c.Add(time.Hour)
	w.pass(t, 2)
	close(release)
	if n := receive(t, received, "the second job"); n != 1 {
		t.Fatalf("the second job ran with %d receives in goqite, want 1: the runner claimed it again", n)
	}
}

func TestARetryRunsWhenItsBackoffEndsWithoutWaitingForThePoll(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	attempts := make(chan int, 4)
	// An hour between polls: only knowing when the retry is due starts it.
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: time.Hour, Config: map[queue.Name]queue.Config{
		queue.WebhookDelivery: {Backoff: func(int) time.Duration { return time.Millisecond }},
	}})
	r.Handle(queue.WebhookDelivery, func(ctx context.Context, job queue.Job) error {
		attempts <- job.Attempt
		if job.Attempt == 1 {
			return errors.New("503")
		}
		return nil
	})
	w := watch(r, nil)
	start(t, r)
	w.idle(t) // no wake-up left over to make a round by chance
	send(t, db, qs, queue.WebhookDelivery, "deliver")
	receive(t, attempts, "the first attempt")
	if a := receive(t, attempts, "the retry"); a != 2 {
		t.Fatalf("the retry ran as attempt %d, want 2", a)
	}
}

func TestASnoozedJobComesBackAfterItsDelayWithItsAttemptUnchanged(t *testing.T) {
	c := newClock()
	db := storetest.OpenAt(t, t.TempDir(), c.Now)
	qs := queue.New(db)
	attempts := make(chan int, 4)
	var calls atomic.Int32
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 5 * time.Millisecond})
	r.Handle(queue.MessageSending, func(ctx context.Context, job queue.Job) error {
		attempts <- job.Attempt
		if calls.Add(1) == 1 {
			return fmt.Errorf("whatsapp asks to wait: %w", queue.Snooze(time.Hour))
		}
		return nil
	})
	w := watch(r, nil)
	start(t, r)
	send(t, db, qs, queue.MessageSending, "hello")

	if a := receive(t, attempts, "the first run"); a != 1 {
		t.Fatalf("first run is attempt %d, want 1", a)
	}
	due := app.FormatTime(c.Now().Add(time.Hour))
	w.until(t, "the job to be put back for an hour, its attempt given back", func() bool {
		got, _ := jobRow(t, db, "hello")
		return got.timeout == due && got.received == 0
	})
	w.pass(t, 2)
	if len(attempts) != 0 {
		t.Fatal("the snoozed job ran again before its delay")
	}
	c.Add(time.Hour)
	if a := receive(t, attempts, "the snoozed job to come back"); a != 1 {
		t.Fatalf("the snoozed job came back as attempt %d, want 1", a)
	}
	w.until(t, "the job to be done", func() bool { return storetest.Count(t, db, `select count(*) from goqite`) == 0 })
	stats, err := qs.Stats(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if s := stats[1]; s.Failed != 0 || s.Processed != 1 || s.Dead != 0 {
		t.Fatalf("stats = %+v, want one processed and no failure", s)
	}
}

func TestAPausedQueueClaimsNothingAndResumedRunsItsJobsInOrder(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	var mu sync.Mutex
	var ran []string
	// Frequent polls: were the pause not checked, they would claim.
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 10 * time.Millisecond, Config: map[queue.Name]queue.Config{
		queue.MessageSending: {Concurrency: 1},
	}})
	r.Handle(queue.MessageSending, func(ctx context.Context, job queue.Job) error {
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, string(job.Body))
		return nil
	})
	// After every round, whether any job of the queue is claimed.
	var claimed atomic.Bool
	w := watch(r, func() {
		var n int
		if err := db.R.QueryRow(`select count(*) from goqite where received > 0`).Scan(&n); err != nil || n > 0 {
			claimed.Store(true)
		}
	})
	r.Pause(queue.MessageSending)
	start(t, r)
	bodies := []string{"1", "2", "3", "4", "5"}
	for _, b := range bodies {
		send(t, db, qs, queue.MessageSending, b)
	}
	w.pass(t, 2)
	if !r.Paused(queue.MessageSending) {
		t.Fatal("the queue does not say it is paused")
	}
	mu.Lock()
	if len(ran) != 0 || claimed.Load() {
		t.Fatalf("the paused queue ran %q (claimed: %v), want nothing claimed", ran, claimed.Load())
	}
	mu.Unlock()

	r.Resume(queue.MessageSending)
	w.until(t, "the jobs to be done", func() bool { return storetest.Count(t, db, `select count(*) from goqite`) == 0 })
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(ran, bodies) {
		t.Fatalf("resumed, the queue ran %q, want %q", ran, bodies)
	}
}

func TestPausingPutsJobsWaitingInMemoryBackUntouched(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	started := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	var ran []string
	attempts := map[string]int{}
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 10 * time.Millisecond, Config: map[queue.Name]queue.Config{
		queue.MessageSending: {Concurrency: 1, Prefetch: 4},
	}})
	r.Handle(queue.MessageSending, func(ctx context.Context, job queue.Job) error {
		mu.Lock()
		ran = append(ran, string(job.Body))
		attempts[string(job.Body)] = job.Attempt
		mu.Unlock()
		if string(job.Body) == "first" {
			close(started)
			<-release
		}
		return nil
	})
	w := watch(r, nil)
	start(t, r)
	send(t, db, qs, queue.MessageSending, "first")
	receive(t, started, "the first job to start")
	waiting := []string{"a", "b", "c", "d"}
	for _, b := range waiting {
		send(t, db, qs, queue.MessageSending, b)
	}
	w.until(t, "the waiting jobs to be claimed", func() bool {
		return storetest.Count(t, db, `select count(*) from goqite where received = 1`) == 5
	})

	r.Pause(queue.MessageSending)
	w.until(t, "the waiting jobs to be put back", func() bool {
		return storetest.Count(t, db, `select count(*) from goqite where received = 0`) == 4
	})
	close(release)
	w.until(t, "the running job to be done", func() bool { _, ok := jobRow(t, db, "first"); return !ok })
	w.pass(t, 2)
	mu.Lock()
	if !slices.Equal(ran, []string{"first"}) {
		t.Fatalf("paused, the queue ran %q, want only the job already running", ran)
	}
	mu.Unlock()

	r.Resume(queue.MessageSending)
	w.until(t, "the jobs to be done", func() bool { return storetest.Count(t, db, `select count(*) from goqite`) == 0 })
	mu.Lock()
	defer mu.Unlock()
	if want := append([]string{"first"}, waiting...); !slices.Equal(ran, want) {
		t.Fatalf("ran %q, want %q", ran, want)
	}
	for _, b := range waiting {
		if attempts[b] != 1 {
			t.Errorf("job %s ran as attempt %d, want 1", b, attempts[b])
		}
	}
}

func TestAJobAWorkerTakesAfterPauseGoesBackInsteadOfRunning(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	started := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	var ran []string
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.MessageSending: {Concurrency: 1},
	}})
	r.Handle(queue.MessageSending, func(ctx context.Context, job queue.Job) error {
		mu.Lock()
		ran = append(ran, string(job.Body))
		mu.Unlock()
		if string(job.Body) == "first" {
			close(started)
			<-release
		}
		return nil
	})
	// The coordinator can be held in its round hook, so that it cannot put
	// the waiting job back itself: the worker has to notice the pause.
	var stall atomic.Bool
	stalled := make(chan struct{}, 1)
	unstall := make(chan struct{})
	w := watch(r, func() {
		if stall.Load() {
			stalled <- struct{}{}
			<-unstall
		}
	})
	start(t, r)
	send(t, db, qs, queue.MessageSending, "first")
	receive(t, started, "the first job to start")
	send(t, db, qs, queue.MessageSending, "second")
	w.until(t, "the second job to wait in memory", func() bool { return queue.Waiting(r, queue.MessageSending) == 1 })

	// A job for a queue without a handler wakes the coordinator for a round,
	// at the end of which it stalls.
	stall.Store(true)
	send(t, db, qs, queue.OrderProcessing, "wake up")
	receive(t, stalled, "the coordinator to stall")
	r.Pause(queue.MessageSending)
	close(release)
	// The free worker takes the waiting job while the coordinator is held.
	for queue.Waiting(r, queue.MessageSending) != 0 {
		runtime.Gosched()
	}
	stall.Store(false)
	close(unstall)
	w.until(t, "the second job to be put back", func() bool {
		got, ok := jobRow(t, db, "second")
		_, firstLeft := jobRow(t, db, "first")
		return ok && got.received == 0 && !firstLeft
	})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(ran, []string{"first"}) {
		t.Fatalf("ran %q after the pause, want only the job already running", ran)
	}
}

func TestAHandlerPastItsDeadlineIsCancelledAndRetried(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	type run struct {
		attempt int
		err     error
	}
	runs := make(chan run, 4)
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.WebhookDelivery: {JobTimeout: 50 * time.Millisecond, Backoff: func(int) time.Duration { return time.Millisecond }},
	}})
	r.Handle(queue.WebhookDelivery, func(ctx context.Context, job queue.Job) error {
		if job.Attempt == 1 {
			<-ctx.Done() // an endpoint that never answers
			runs <- run{job.Attempt, ctx.Err()}
			return ctx.Err()
		}
		runs <- run{job.Attempt, nil}
		return nil
	})
	w := watch(r, nil)
	start(t, r)
	send(t, db, qs, queue.WebhookDelivery, "deliver")

	if got := receive(t, runs, "the first attempt"); got.attempt != 1 || !errors.Is(got.err, context.DeadlineExceeded) {
		t.Fatalf("first run = %+v, want attempt 1 cancelled at its deadline", got)
	}
	if got := receive(t, runs, "the retry"); got.attempt != 2 {
		t.Fatalf("retry ran as attempt %d, want 2", got.attempt)
	}
	w.until(t, "the job to be done", func() bool { return storetest.Count(t, db, `select count(*) from goqite`) == 0 })
	stats, err := qs.Stats(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if s := stats[3]; s.Failed != 1 || s.Processed != 1 || s.Dead != 0 {
		t.Fatalf("stats = %+v, want one failed attempt and one processed", s)
	}
}

func TestAHandlerIgnoringItsDeadlineLosesItsClaimAndTheJobRunsAgain(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	hung := make(chan struct{})
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	attempts := make(chan int, 4)
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.MediaProcessing: {Concurrency: 2, JobTimeout: 50 * time.Millisecond, Backoff: func(int) time.Duration { return time.Millisecond }},
	}})
	r.Handle(queue.MediaProcessing, func(ctx context.Context, job queue.Job) error {
		attempts <- job.Attempt
		if job.Attempt == 1 {
			close(hung)
			<-hold // a decoder that does not look at ctx
		}
		return nil
	})
	w := watch(r, nil)
	r.Start()
	send(t, db, qs, queue.MediaProcessing, "video")
	receive(t, hung, "the first attempt to hang")
	receive(t, attempts, "the first attempt")
	if a := receive(t, attempts, "the retry on the other worker"); a != 2 {
		t.Fatalf("the job ran again as attempt %d, want 2", a)
	}
	w.until(t, "the job to be done", func() bool { return storetest.Count(t, db, `select count(*) from goqite`) == 0 })
	// The hung attempt still holds its worker, so Shutdown gives up on it.
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown: %v, want the deadline error", err)
	}
}

func TestARetryTimeIsNeverShortenedByAClaimRenewal(t *testing.T) {
	c := newClock()
	db := storetest.OpenAt(t, t.TempDir(), c.Now)
	qs := queue.New(db)
	// Default Timeout, one minute: claims are renewed every 20 s. The
	// handler lets 30 s pass, so the round that settles its failure is due
	// to renew its claim too.
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: time.Hour})
	r.Handle(queue.WebhookDelivery, func(ctx context.Context, job queue.Job) error {
		c.Add(30 * time.Second)
		return queue.RetryAfter(errors.New("429 Too Many Requests"), 5*time.Hour)
	})
	w := watch(r, nil)
	start(t, r)
	send(t, db, qs, queue.WebhookDelivery, "deliver")
	w.until(t, "the failure to be settled", func() bool {
		stats, err := qs.Stats(context.Background(), r)
		return err == nil && stats[3].Failed == 1
	})
	got, _ := jobRow(t, db, "deliver")
	if want := app.FormatTime(c.Now().Add(5 * time.Hour)); got.timeout != want {
		t.Fatalf("the job is due at %s, want %s, five hours after its failure", got.timeout, want)
	}
}

func TestShutdownMayBeCalledTwice(t *testing.T) {
	t.Run("one after the other, on an idle runner", func(t *testing.T) {
		db := storetest.New(t)
		r := queue.NewRunner(queue.RunnerOptions{Queues: queue.New(db)})
		r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error { return nil })
		r.Start()
		for i := range 3 {
			if err := r.Shutdown(context.Background()); err != nil {
				t.Fatalf("shutdown %d: %v", i+1, err)
			}
		}
	})
	t.Run("at once, past their deadlines, with a job that does not stop", func(t *testing.T) {
		db := storetest.New(t)
		qs := queue.New(db)
		started := make(chan struct{})
		hold := make(chan struct{})
		t.Cleanup(func() { close(hold) })
		r := queue.NewRunner(queue.RunnerOptions{Queues: qs})
		r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
			close(started)
			<-hold
			return nil
		})
		r.Start()
		send(t, db, qs, queue.OrderProcessing, "stuck")
		receive(t, started, "the job to start")
		errs := make(chan error, 20)
		for range cap(errs) {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 0)
				defer cancel()
				errs <- r.Shutdown(ctx)
			}()
		}
		for range cap(errs) {
			if err := receive(t, errs, "shutdown to return"); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("shutdown: %v, want the deadline error", err)
			}
		}
		// Once abandoned, a later call says so at once.
		if err := r.Shutdown(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a later shutdown: %v, want the first one's deadline error", err)
		}
	})
}

func TestStatsCountDepthInFlightDeadAndOutcomes(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	release := make(chan struct{})
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.MessageSending: {Concurrency: 1, Prefetch: 1, MaxAttempts: 1},
	}})
	r.Handle(queue.MessageSending, func(ctx context.Context, job queue.Job) error {
		<-release
		if string(job.Body) == "bad" {
			return errors.New("bad number")
		}
		return nil
	})
	w := watch(r, nil)
	start(t, r)
	for _, b := range []string{"bad", "ok", "ok", "ok"} {
		send(t, db, qs, queue.MessageSending, b)
	}
	stats := func() queue.Stats {
		all, err := qs.Stats(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		return all[1]
	}
	w.until(t, "two jobs claimed", func() bool { return stats().InFlight == 2 })
	if s := stats(); s.Queue != queue.MessageSending || s.Depth != 2 {
		t.Fatalf("stats = %+v, want depth 2 while 2 are in flight", s)
	}
	close(release)
	w.until(t, "all settled", func() bool { s := stats(); return s.Processed == 3 && s.Failed == 1 })
	if s := stats(); s.Depth != 0 || s.InFlight != 0 || s.Dead != 1 {
		t.Fatalf("stats = %+v, want empty with one dead", s)
	}
}

// The child half of TestAJobInFlightWhenTheProcessDiesRunsAgainAfterRestart:
// it claims the job, says so on stdout, and hangs until it is killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("QUEUE_TEST_CHILD_DIR"); dir != "" {
		db, err := store.Open(context.Background(), store.Options{DataDir: dir})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		qs := queue.New(db)
		r := queue.NewRunner(queue.RunnerOptions{Queues: qs})
		r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
			fmt.Printf("claimed %s\n", job.Body)
			select {}
		})
		r.Start()
		select {}
	}
	os.Exit(m.Run())
}

func TestAJobInFlightWhenTheProcessDiesRunsAgainAfterRestart(t *testing.T) {
	dir := t.TempDir()
	// The clock starts at the real time: the child's claim holds until the
	// clock is moved past it.
	c := storetest.NewClock(time.Now())
	db := storetest.OpenAt(t, dir, c.Now)
	qs := queue.New(db)
	send(t, db, qs, queue.OrderProcessing, "confirm ord_1")

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "QUEUE_TEST_CHILD_DIR="+dir)
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "claimed confirm ord_1\n" {
		child.Process.Kill()
		t.Fatalf("the child said %q (%v), want that it claimed the job", line, err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	ran := make(chan queue.Job, 1)
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 5 * time.Millisecond})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		ran <- job
		return nil
	})
	w := watch(r, nil)
	start(t, r)
	w.pass(t, 2)
	if len(ran) != 0 {
		t.Fatal("the job ran again while the dead process's claim held")
	}
	// The child's claim lapses a Timeout (a minute) after its last renewal.
	c.Add(time.Minute + 10*time.Second)
	job := receive(t, ran, "the job of the killed process to run again")
	if string(job.Body) != "confirm ord_1" || job.Attempt != 2 {
		t.Fatalf("ran %q as attempt %d, want the killed job as attempt 2", job.Body, job.Attempt)
	}
}
