package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRunner stands in for the queue runner: it counts Shutdown calls and
// remembers the deadline it was given. With hold, Shutdown waits for its
// ctx to end, like a runner with a job that does not finish.
type fakeRunner struct {
	mu       sync.Mutex
	calls    int
	deadline time.Time
	hold     bool
}

func (r *fakeRunner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.calls++
	r.deadline, _ = ctx.Deadline()
	r.mu.Unlock()
	if r.hold {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// brokenListener fails every Accept, as a listener whose socket died does.
type brokenListener struct{ net.Listener }

func (l brokenListener) Accept() (net.Conn, error) {
	return nil, errors.New("the listening socket broke")
}

func TestWhenHTTPFailsTheOtherPartsStopAndItsErrorIsReturned(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	runner := &fakeRunner{}
	pruned := make(chan struct{})
	wait := runParts(context.Background(), parts{
		srv:    &http.Server{},
		ln:     brokenListener{ln},
		runner: runner,
		prune:  func(ctx context.Context) { <-ctx.Done(); close(pruned) },
		budget: time.Second,
		log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	err = wait()
	if err == nil || !strings.Contains(err.Error(), "the listening socket broke") {
		t.Fatalf("wait returned %v, want the HTTP server's failure", err)
	}
	select {
	case <-pruned:
	default:
		t.Error("the prune loop still runs after HTTP failed")
	}
	if runner.calls != 1 {
		t.Errorf("the runner's Shutdown was called %d times, want once", runner.calls)
	}
}

func TestHTTPAndTheRunnerShareOneShutdownBudget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const budget = 500 * time.Millisecond
	runner := &fakeRunner{hold: true}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &http.Server{ReadHeaderTimeout: time.Minute}
	wait := runParts(ctx, parts{srv: srv, ln: ln, runner: runner, prune: func(ctx context.Context) { <-ctx.Done() },
		budget: budget, log: slog.New(slog.NewTextHandler(io.Discard, nil))})

	// A request whose headers never end keeps HTTP draining to the deadline.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	// Connections are accepted in order: once a second one is answered,
	// the first is the server's.
	if res, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
		res.Body.Close()
	} else {
		t.Fatal(err)
	}

	stopped := time.Now()
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("a stop by ctx returned %v", err)
	}
	if runner.calls != 1 {
		t.Fatalf("the runner's Shutdown was called %d times, want once", runner.calls)
	}
	// Each drain gets what is left of one budget, not a budget of its own
	// (the slack is for the goroutines to see the stop).
	if late := runner.deadline.Sub(stopped); late > budget+budget/2 {
		t.Errorf("the runner's drain ends %s after the stop; the whole budget is %s", late, budget)
	}
}
