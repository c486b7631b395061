package queue_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAJobEnqueuedInARolledBackTransactionNeverRuns(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	var ran sync.Map
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 10 * time.Millisecond})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		ran.Store(string(job.Body), true)
		return nil
	})
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
	// A committed job sent after it runs; by then the rolled-back one would
	// have run too, had it ever been visible.
	send(t, db, qs, queue.OrderProcessing, "committed")
	waitFor(t, "the committed job", func() bool { _, ok := ran.Load("committed"); return ok })
	time.Sleep(50 * time.Millisecond) // several poll intervals
	if _, ok := ran.Load("rolled back"); ok {
		t.Fatal("the job of the rolled-back transaction ran")
	}
	if n := storetest.Count(t, db, `select count(*) from goqite`); n != 0 {
		t.Fatalf("goqite holds %d rows, want 0", n)
	}
}

func TestAJobEnqueuedOnAnIdleQueueStartsWithoutWaitingForThePoll(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	started := make(chan time.Time, 1)
	// An hour between polls: only the wake-up on commit can start the job.
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: time.Hour})
	r.Handle(queue.MessageSending, func(ctx context.Context, job queue.Job) error {
		started <- time.Now()
		return nil
	})
	start(t, r)
	time.Sleep(20 * time.Millisecond) // let the runner go idle

	send(t, db, qs, queue.MessageSending, "hello")
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not start: the runner was not woken by the commit")
	}
}

func TestAFailingJobIsRetriedWithGrowingGapsThenBuriedWithItsError(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	var mu sync.Mutex
	var runs []time.Time
	var asked []time.Duration
	backoff := func(attempt int) time.Duration {
		d := time.Duration(attempt) * 30 * time.Millisecond
		mu.Lock()
		asked = append(asked, d)
		mu.Unlock()
		return d
	}
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.WebhookDelivery: {MaxAttempts: 4, Backoff: backoff},
	}})
	r.Handle(queue.WebhookDelivery, func(ctx context.Context, job queue.Job) error {
		mu.Lock()
		runs = append(runs, time.Now())
		mu.Unlock()
		return fmt.Errorf("endpoint answered 503 on attempt %d", job.Attempt)
	})
	start(t, r)

	send(t, db, qs, queue.WebhookDelivery, `{"event":"evt_1"}`)
	var dead []queue.DeadLetter
	waitFor(t, "the dead letter", func() bool {
		var err error
		dead, err = qs.DeadLetters(context.Background(), queue.WebhookDelivery, "", 10)
		return err == nil && len(dead) == 1
	})

	mu.Lock()
	defer mu.Unlock()
	if len(runs) != 4 {
		t.Fatalf("ran %d times, want 4 (MaxAttempts)", len(runs))
	}
	if len(asked) != 3 {
		t.Fatalf("asked for %d backoffs, want 3 (between 4 attempts)", len(asked))
	}
	for i := 1; i < len(runs); i++ {
		gap := runs[i].Sub(runs[i-1])
		if gap < asked[i-1] {
			t.Errorf("gap before attempt %d was %v, shorter than the backoff %v", i+1, gap, asked[i-1])
		}
		if i > 1 && asked[i-1] <= asked[i-2] {
			t.Errorf("backoff did not grow: %v then %v", asked[i-2], asked[i-1])
		}
	}
	d := dead[0]
	if d.Attempts != 4 || d.Error != "endpoint answered 503 on attempt 4" || string(d.Body) != `{"event":"evt_1"}` {
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
	start(t, r)

	for _, b := range []string{"panic", "permanent", "ok"} {
		send(t, db, qs, queue.MediaProcessing, b)
	}
	waitFor(t, "two dead letters and the good job", func() bool {
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
	start(t, r)
	send(t, db, qs, queue.OrderProcessing, "a")
	send(t, db, qs, queue.OrderProcessing, "b")
	var dead []queue.DeadLetter
	waitFor(t, "two dead letters", func() bool {
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
	waitFor(t, "the retried job", func() bool { return done.Load() == 1 })
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
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		close(started)
		time.Sleep(300 * time.Millisecond)
		finished.Store(true)
		return nil
	})
	r.Start()
	send(t, db, qs, queue.OrderProcessing, "slow")
	<-started

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

func TestShutdownPastItsDeadlineLeavesTheJobToRunAgain(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	started := make(chan struct{})
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
		queue.OrderProcessing: {Timeout: 300 * time.Millisecond},
	}})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		close(started)
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // still busy when shutdown gives up
		return ctx.Err()
	})
	r.Start()
	send(t, db, qs, queue.OrderProcessing, "stuck")
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := r.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown: %v, want the deadline error", err)
	}

	// A new runner, as after a restart, gets the job once its timeout passes.
	attempts := make(chan int, 1)
	r2 := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 20 * time.Millisecond})
	r2.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		attempts <- job.Attempt
		return nil
	})
	start(t, r2)
	select {
	case a := <-attempts:
		if a != 2 {
			t.Fatalf("the job ran again as attempt %d, want 2", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the abandoned job never ran again")
	}
}

func TestALongJobKeepsItsClaimWhileItRuns(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	var runs atomic.Int32
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 10 * time.Millisecond, Config: map[queue.Name]queue.Config{
		queue.MediaProcessing: {Concurrency: 2, Timeout: 100 * time.Millisecond},
	}})
	r.Handle(queue.MediaProcessing, func(ctx context.Context, job queue.Job) error {
		runs.Add(1)
		time.Sleep(600 * time.Millisecond) // six timeouts
		return nil
	})
	start(t, r)
	send(t, db, qs, queue.MediaProcessing, "video")
	waitFor(t, "the job to finish", func() bool {
		return runs.Load() >= 1 && storetest.Count(t, db, `select count(*) from goqite`) == 0
	})
	if n := runs.Load(); n != 1 {
		t.Fatalf("the long job ran %d times, want 1: its claim was not extended", n)
	}
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
	waitFor(t, "two jobs claimed", func() bool { return stats().InFlight == 2 })
	if s := stats(); s.Queue != queue.MessageSending || s.Depth != 2 {
		t.Fatalf("stats = %+v, want depth 2 while 2 are in flight", s)
	}
	close(release)
	waitFor(t, "all settled", func() bool { s := stats(); return s.Processed == 3 && s.Failed == 1 })
	if s := stats(); s.Depth != 0 || s.InFlight != 0 || s.Dead != 1 {
		t.Fatalf("stats = %+v, want empty with one dead", s)
	}
}

// The child half of TestAJobInFlightWhenTheProcessDiesRunsAgainAfterRestart:
// it claims the job, says so, and hangs until it is killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("QUEUE_TEST_CHILD_DIR"); dir != "" {
		db, err := store.Open(context.Background(), store.Options{DataDir: dir})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		qs := queue.New(db)
		r := queue.NewRunner(queue.RunnerOptions{Queues: qs, Config: map[queue.Name]queue.Config{
			queue.OrderProcessing: {Timeout: 500 * time.Millisecond},
		}})
		r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
			os.WriteFile(filepath.Join(dir, "claimed"), job.Body, 0o600)
			select {}
		})
		r.Start()
		select {}
	}
	os.Exit(m.Run())
}

func TestAJobInFlightWhenTheProcessDiesRunsAgainAfterRestart(t *testing.T) {
	dir := t.TempDir()
	db := storetest.Open(t, dir)
	qs := queue.New(db)
	send(t, db, qs, queue.OrderProcessing, "confirm ord_1")

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "QUEUE_TEST_CHILD_DIR="+dir)
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the child to claim the job", func() bool {
		_, err := os.Stat(filepath.Join(dir, "claimed"))
		return err == nil
	})
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	ran := make(chan queue.Job, 1)
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 20 * time.Millisecond})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		ran <- job
		return nil
	})
	start(t, r)
	select {
	case job := <-ran:
		if string(job.Body) != "confirm ord_1" || job.Attempt != 2 {
			t.Fatalf("ran %q as attempt %d, want the killed job as attempt 2", job.Body, job.Attempt)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job of the killed process never ran again")
	}
}

func TestAJobWaitingInMemoryPastItsTimeoutRunsOnce(t *testing.T) {
	db := storetest.New(t)
	qs := queue.New(db)
	var mu sync.Mutex
	runs := map[string]int{}
	// One worker, a long first job: the second waits in memory well past
	// its claim's timeout, and the runner's polls claim it again.
	r := queue.NewRunner(queue.RunnerOptions{Queues: qs, PollInterval: 10 * time.Millisecond, Config: map[queue.Name]queue.Config{
		queue.OrderProcessing: {Concurrency: 1, Prefetch: 4, Timeout: 100 * time.Millisecond},
	}})
	r.Handle(queue.OrderProcessing, func(ctx context.Context, job queue.Job) error {
		mu.Lock()
		runs[string(job.Body)]++
		mu.Unlock()
		if string(job.Body) == "first" {
			time.Sleep(500 * time.Millisecond)
		}
		return nil
	})
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		for _, b := range []string{"first", "second"} {
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
	waitFor(t, "both jobs", func() bool { return storetest.Count(t, db, `select count(*) from goqite`) == 0 })
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if runs["first"] != 1 || runs["second"] != 1 {
		t.Fatalf("runs = %v, want each job once", runs)
	}
}
