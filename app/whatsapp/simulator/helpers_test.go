package simulator_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/whatsapp/simulator"
)

// clock is a fake time: After collects the funcs and Advance fires them,
// on the test's goroutine, in the order they fall due.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
	// late makes cancelling fail, as when a real timer has already fired
	// and its func waits for the simulator's lock.
	late bool
}

type timer struct {
	at   time.Time
	seq  int
	f    func()
	done bool
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) After(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.now.Add(d), seq: len(c.timers), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.late {
			return false
		}
		was := !t.done
		t.done = true
		return was
	}
}

// Advance moves the clock on by d, firing what falls due on the way,
// including timers the fired funcs schedule.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var due []*timer
		for _, t := range c.timers {
			if !t.done && !t.at.After(target) {
				due = append(due, t)
			}
		}
		if len(due) == 0 {
			c.now = target
			c.mu.Unlock()
			return
		}
		sort.Slice(due, func(i, j int) bool {
			if due[i].at.Equal(due[j].at) {
				return due[i].seq < due[j].seq
			}
			return due[i].at.Before(due[j].at)
		})
		t := due[0]
		t.done = true
		if t.at.After(c.now) {
			c.now = t.at
		}
		c.mu.Unlock()
		t.f()
	}
}

// Pending counts the timers neither fired nor cancelled.
func (c *clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.done {
			n++
		}
	}
	return n
}

// recorder is the handler: it keeps what it is given, and refuses the
// next `fail` happenings as a busy database would.
type recorder struct {
	mu   sync.Mutex
	got  []app.Happening
	fail int
}

var errBusy = errors.New("database is locked")

func (r *recorder) handle(_ context.Context, h app.Happening) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return errBusy
	}
	r.got = append(r.got, h)
	return nil
}

func (r *recorder) failNext(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = n
}

func (r *recorder) all() []app.Happening {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]app.Happening(nil), r.got...)
}

func (r *recorder) receipts() []app.Receipt {
	var out []app.Receipt
	for _, h := range r.all() {
		if x, ok := h.(*app.Receipt); ok {
			out = append(out, *x)
		}
	}
	return out
}

func (r *recorder) changes() []app.ConnectionChange {
	var out []app.ConnectionChange
	for _, h := range r.all() {
		if x, ok := h.(*app.ConnectionChange); ok {
			out = append(out, *x)
		}
	}
	return out
}

func (r *recorder) inbound() []app.Inbound {
	var out []app.Inbound
	for _, h := range r.all() {
		if x, ok := h.(*app.Inbound); ok {
			out = append(out, *x)
		}
	}
	return out
}

// started is a running simulator on a fake clock, stopped at the test's end.
func started(t *testing.T, o simulator.Options) (*simulator.Simulator, *clock, *recorder) {
	t.Helper()
	c := newClock()
	o.Now, o.After = c.Now, c.After
	s := simulator.New(o)
	r := &recorder{}
	if err := s.Start(t.Context(), r.handle); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s, c, r
}

const (
	tariro = "+263771234567"
	tendai = "+263772345678"
)

func addCustomer(t *testing.T, s *simulator.Simulator, phone, name string) {
	t.Helper()
	if err := s.AddCustomer(phone, name); err != nil {
		t.Fatal(err)
	}
}

func text(waid, phone, body string) app.Outgoing {
	return app.Outgoing{WAID: waid, To: app.UserJID(phone), Kind: app.MessageKindText, Text: body}
}

func send(t *testing.T, s *simulator.Simulator, m app.Outgoing) app.SendResult {
	t.Helper()
	res, err := s.Send(t.Context(), m)
	if err != nil {
		t.Fatalf("send %s: %v", m.WAID, err)
	}
	return res
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := app.ErrorCode(err); got != code {
		t.Errorf("error %v: code %q, want %q", err, got, code)
	}
}
