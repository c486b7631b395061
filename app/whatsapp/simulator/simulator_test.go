package simulator_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/whatsapp/simulator"
)

func TestStartConnectsAndTellsTheHandler(t *testing.T) {
	s, c, r := started(t, simulator.Options{Phone: "+15550100042"})
	st := s.Status()
	want := app.TransportStatus{Transport: app.TransportSimulator, State: app.ConnConnected, Phone: "+15550100042", Since: c.Now()}
	if st != want {
		t.Errorf("status %+v, want %+v", st, want)
	}
	ch := r.changes()
	if len(ch) != 1 || ch[0].State != app.ConnConnected || ch[0].Phone != "+15550100042" || !ch[0].At.Equal(c.Now()) {
		t.Errorf("changes %+v", ch)
	}
}

func TestStartRefusesASecondStartAndANilHandler(t *testing.T) {
	s, _, r := started(t, simulator.Options{})
	wantCode(t, s.Start(t.Context(), r.handle), app.ECONFLICT)
	wantCode(t, simulator.New(simulator.Options{}).Start(t.Context(), nil), app.EINVALID)
}

func TestAConnectedChangeTheHandlerRefusesIsHandedOverAgain(t *testing.T) {
	c := newClock()
	s := simulator.New(simulator.Options{Now: c.Now, After: c.After})
	r := &recorder{fail: 1}
	if err := s.Start(t.Context(), r.handle); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	c.Advance(time.Second)
	if ch := r.changes(); len(ch) != 1 || ch[0].State != app.ConnConnected {
		t.Errorf("changes %+v", ch)
	}
}

func TestPairingAndLogoutAreRefusedAsThereIsNothingToPair(t *testing.T) {
	s, _, _ := started(t, simulator.Options{})
	ctx := t.Context()
	wantCode(t, s.PairQR(ctx), app.EINVALID)
	_, err := s.PairPhone(ctx, tariro)
	wantCode(t, err, app.EINVALID)
	wantCode(t, s.Logout(ctx), app.EINVALID)
	if s.Status().State != app.ConnConnected {
		t.Error("a refused logout changed the state")
	}
}

func TestStopCancelsEveryTimerAndRefusesSends(t *testing.T) {
	s, c, r := started(t, simulator.Options{})
	send(t, s, text("W1", tariro, "hi"))
	if err := s.Fault(simulator.Fault{Kind: simulator.FaultDisconnect, For: time.Hour}); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if n := c.Pending(); n != 0 {
		t.Errorf("%d timers still armed after Stop", n)
	}
	if st := s.Status(); st.State != app.ConnDisconnected || st.Reason != "stopped" {
		t.Errorf("status %+v", st)
	}
	if _, err := s.Send(t.Context(), text("W2", tariro, "hi")); !errors.Is(err, app.ErrNotConnected) {
		t.Errorf("send after Stop: %v", err)
	}
	before := len(r.all())
	c.Advance(2 * time.Hour)
	if len(r.all()) != before {
		t.Errorf("the handler heard %+v after Stop", r.all()[before:])
	}
	s.Stop() // a second Stop is harmless
}

func TestStopEndsTheFaultsInEffect(t *testing.T) {
	s, _, r := started(t, simulator.Options{})
	if err := s.Fault(simulator.Fault{Kind: simulator.FaultSendErrors, Count: 3}); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := s.Start(t.Context(), r.handle); err != nil {
		t.Fatal(err)
	}
	send(t, s, text("W1", tariro, "hi"))
}

// A real timer may fire just as Stop cancels it; its func must then do
// nothing.
func TestATimerThatFiresAfterStopDoesNothing(t *testing.T) {
	s, c, r := started(t, simulator.Options{})
	send(t, s, text("W1", tariro, "hi"))
	c.late = true
	s.Stop()
	before := len(r.all())
	c.Advance(time.Hour)
	if got := s.Inbox(tariro)[0].Status; got != app.MessageSentStatus || len(r.all()) != before {
		t.Errorf("after Stop the phone shows %s and the handler heard %+v", got, r.all()[before:])
	}
}

func TestStopCancelsAHandlerCallInProgressAndWaitsForIt(t *testing.T) {
	c := newClock()
	s := simulator.New(simulator.Options{Now: c.Now, After: c.After})
	entered := make(chan struct{})
	var finished atomic.Bool
	if err := s.Start(t.Context(), func(ctx context.Context, h app.Happening) error {
		if _, ok := h.(*app.Receipt); !ok {
			return nil
		}
		close(entered)
		<-ctx.Done() // a slow write that gives up when the simulator stops
		for range 100 {
			runtime.Gosched() // give an early Stop every chance to show
		}
		finished.Store(true)
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	send(t, s, text("W1", tariro, "hi"))
	go c.Advance(time.Second)
	<-entered
	stopped := make(chan bool)
	go func() {
		s.Stop()
		stopped <- finished.Load()
	}()
	select {
	case done := <-stopped:
		if !done {
			t.Error("Stop returned while the handler call still ran")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not cancel the handler's context")
	}
}

func TestStartAgainKeepsTheInboxAndResumesItsReceipts(t *testing.T) {
	s, c, _ := started(t, simulator.Options{})
	addCustomer(t, s, tariro, "Tariro")
	send(t, s, text("W1", tariro, "hi"))
	s.Stop()
	r := &recorder{}
	if err := s.Start(t.Context(), r.handle); err != nil {
		t.Fatal(err)
	}
	c.Advance(3 * time.Second)
	if got := r.receipts(); len(got) != 2 || got[1].Status != app.MessageRead {
		t.Errorf("receipts after restarting: %+v", got)
	}
	if len(s.Customers()) != 1 || len(s.Inbox(tariro)) != 1 {
		t.Error("the customers or the inbox were lost")
	}
}

// The real clock, once: the defaults work without a fake, and Stop leaves
// nothing running behind.
func TestOnTheRealClockReceiptsArriveAndStopWaits(t *testing.T) {
	s := simulator.New(simulator.Options{DeliveredAfter: time.Millisecond, ReadAfter: 2 * time.Millisecond})
	r := &recorder{}
	if err := s.Start(t.Context(), r.handle); err != nil {
		t.Fatal(err)
	}
	send(t, s, text("W1", tariro, "hi"))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		changed := s.Changed()
		if len(r.receipts()) == 2 {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatal("no read receipt on the real clock")
		}
	}
	s.Stop()
	if got := s.Inbox(tariro)[0].Status; got != app.MessageRead {
		t.Errorf("status %s", got)
	}
}

func TestNewFillsTheDefaults(t *testing.T) {
	c := newClock()
	s := simulator.New(simulator.Options{Now: c.Now, After: c.After})
	if st := s.Status(); st.Phone != simulator.DefaultPhone || st.State != app.ConnDisconnected || st.Transport != app.TransportSimulator {
		t.Errorf("status %+v", st)
	}
	r := &recorder{}
	if err := s.Start(t.Context(), r.handle); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	send(t, s, text("W1", tariro, "hi"))
	c.Advance(simulator.DefaultDeliveredAfter)
	c.Advance(simulator.DefaultReadAfter - simulator.DefaultDeliveredAfter - time.Nanosecond)
	if got := s.Inbox(tariro)[0].Status; got != app.MessageDelivered {
		t.Errorf("status %s just before the default read delay", got)
	}
	c.Advance(time.Nanosecond)
	if got := s.Inbox(tariro)[0].Status; got != app.MessageRead {
		t.Errorf("status %s at the default read delay", got)
	}
}
