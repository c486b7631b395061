package simulator_test

import (
	"errors"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/whatsapp/simulator"
)

func TestADisconnectRefusesSendsThenReconnectsByItself(t *testing.T) {
	s, c, r := started(t, simulator.Options{})
	if err := s.Fault(simulator.Fault{Kind: simulator.FaultDisconnect, For: 10 * time.Minute, Reason: "stream replaced"}); err != nil {
		t.Fatal(err)
	}
	ch := r.changes()
	if len(ch) != 2 || ch[1].State != app.ConnDisconnected || ch[1].Reason != "stream replaced" || ch[1].Phone != "" {
		t.Fatalf("changes %+v", ch)
	}
	if st := s.Status(); st.State != app.ConnDisconnected || !st.Since.Equal(c.Now()) {
		t.Errorf("status %+v", st)
	}
	if _, err := s.Send(t.Context(), text("W1", tariro, "hi")); !errors.Is(err, app.ErrNotConnected) {
		t.Errorf("send: %v, want ErrNotConnected", err)
	}
	if err := s.Typing(t.Context(), app.UserJID(tariro), true); !errors.Is(err, app.ErrNotConnected) {
		t.Errorf("typing: %v, want ErrNotConnected", err)
	}

	c.Advance(10*time.Minute - time.Second)
	if s.Status().State != app.ConnDisconnected {
		t.Fatal("reconnected early")
	}
	c.Advance(time.Second)
	ch = r.changes()
	if len(ch) != 3 || ch[2].State != app.ConnConnected || ch[2].Phone != simulator.DefaultPhone {
		t.Fatalf("changes %+v", ch)
	}
	send(t, s, text("W1", tariro, "hi"))
}

func TestReceiptsAndMessagesWaitForTheConnectionAndArriveInOrder(t *testing.T) {
	s, c, r := started(t, simulator.Options{})
	addCustomer(t, s, tariro, "Tariro")
	send(t, s, text("W1", tariro, "Hello"))
	if err := s.Fault(simulator.Fault{Kind: simulator.FaultDisconnect, For: time.Hour}); err != nil {
		t.Fatal(err)
	}
	c.Advance(5 * time.Second)
	if got := s.Inbox(tariro)[0].Status; got != app.MessageRead {
		t.Errorf("the phone shows %s: it gets messages while the shop is offline", got)
	}
	said, err := s.Say(t.Context(), tariro, simulator.Said{Text: "are you there?"})
	if err != nil {
		t.Fatalf("say while disconnected: %v", err)
	}
	if len(r.receipts()) != 0 || len(r.inbound()) != 0 {
		t.Fatalf("the handler got %+v while disconnected", r.all())
	}

	s.Reconnect()
	var order []string
	for _, h := range r.all()[2:] {
		switch h := h.(type) {
		case *app.ConnectionChange:
			order = append(order, h.State)
		case *app.Receipt:
			order = append(order, h.Status)
		case *app.Inbound:
			order = append(order, h.WAID)
		}
	}
	want := []string{app.ConnConnected, app.MessageDelivered, app.MessageRead, said.WAID}
	if len(order) != len(want) {
		t.Fatalf("after reconnecting: %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("after reconnecting: %v, want %v", order, want)
		}
	}
}

func TestATemporaryBanLastsUntilItsEnd(t *testing.T) {
	s, c, r := started(t, simulator.Options{})
	until := c.Now().Add(time.Hour)
	if err := s.Fault(simulator.Fault{Kind: simulator.FaultBan, Until: until}); err != nil {
		t.Fatal(err)
	}
	ch := r.changes()
	if len(ch) != 2 || ch[1].State != app.ConnBanned || !ch[1].Until.Equal(until) || ch[1].Reason == "" {
		t.Fatalf("changes %+v", ch)
	}
	if st := s.Status(); st.State != app.ConnBanned || !st.Until.Equal(until) {
		t.Errorf("status %+v", st)
	}
	if _, err := s.Send(t.Context(), text("W1", tariro, "hi")); !errors.Is(err, app.ErrNotConnected) {
		t.Errorf("send while banned: %v", err)
	}
	c.Advance(time.Hour)
	if st := s.Status(); st.State != app.ConnConnected || !st.Until.IsZero() {
		t.Errorf("after the ban: %+v", st)
	}
}

func TestSendErrorsFailTheNextSendsWithoutDelivering(t *testing.T) {
	s, _, _ := started(t, simulator.Options{})
	if err := s.Fault(simulator.Fault{Kind: simulator.FaultSendErrors, Count: 2}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		_, err := s.Send(t.Context(), text("W1", tariro, "hi"))
		var se *app.SendError
		if !errors.As(err, &se) || se.Permanent {
			t.Errorf("send %d: %v, want a non-permanent SendError", i, err)
		}
	}
	if s.TotalDeliveries() != 0 {
		t.Error("a failed send was delivered")
	}
	send(t, s, text("W1", tariro, "hi"))
	if s.Deliveries("W1") != 1 {
		t.Error("the third send was not delivered")
	}
}

func TestReconnectEndsEveryFaultNow(t *testing.T) {
	s, c, r := started(t, simulator.Options{})
	for _, f := range []simulator.Fault{
		{Kind: simulator.FaultSendErrors, Count: 3},
		{Kind: simulator.FaultLostAcks, Count: 3},
		{Kind: simulator.FaultDisconnect, For: time.Hour},
	} {
		if err := s.Fault(f); err != nil {
			t.Fatal(err)
		}
	}
	s.Reconnect()
	if st := s.Status(); st.State != app.ConnConnected {
		t.Fatalf("status %+v", st)
	}
	send(t, s, text("W1", tariro, "hi")) // neither a send error nor a lost ack
	if st := s.Status(); st.State != app.ConnConnected {
		t.Fatalf("status %+v", st)
	}

	// The ended disconnect's timer must not cut a later one short.
	if err := s.Fault(simulator.Fault{Kind: simulator.FaultDisconnect, For: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	before := len(r.changes())
	c.Advance(time.Hour)
	if got := len(r.changes()); got != before || s.Status().State != app.ConnDisconnected {
		t.Errorf("the ended disconnect still fired: %+v", r.changes()[before:])
	}
}

func TestANewDisconnectReplacesTheOneInEffect(t *testing.T) {
	s, c, _ := started(t, simulator.Options{})
	for _, d := range []time.Duration{time.Minute, time.Hour} {
		if err := s.Fault(simulator.Fault{Kind: simulator.FaultDisconnect, For: d}); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(30 * time.Minute)
	if s.Status().State != app.ConnDisconnected {
		t.Error("the first disconnect's end cut the second one short")
	}
}

func TestFaultRefusesWhatItCannotDo(t *testing.T) {
	s, c, _ := started(t, simulator.Options{})
	for _, tc := range []struct {
		name string
		f    simulator.Fault
	}{
		{"an unknown kind", simulator.Fault{Kind: "flood"}},
		{"a disconnect of no time", simulator.Fault{Kind: simulator.FaultDisconnect}},
		{"a ban that ended", simulator.Fault{Kind: simulator.FaultBan, Until: c.Now()}},
		{"no send errors", simulator.Fault{Kind: simulator.FaultSendErrors}},
		{"no lost acks", simulator.Fault{Kind: simulator.FaultLostAcks, Count: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, s.Fault(tc.f), app.EINVALID)
		})
	}
	if s.Status().State != app.ConnConnected {
		t.Error("a refused fault changed the state")
	}
	stopped := simulator.New(simulator.Options{})
	wantCode(t, stopped.Fault(simulator.Fault{Kind: simulator.FaultSendErrors, Count: 1}), app.EUNAVAILABLE)
}

func TestAReceiptRefusedBeforeADisconnectWaitsForTheReconnect(t *testing.T) {
	s, c, r := started(t, simulator.Options{ReadAfter: -1})
	send(t, s, text("W1", tariro, "Hello"))
	r.failNext(1)
	c.Advance(time.Second) // delivered: refused, a retry armed for 2 s
	if err := s.Fault(simulator.Fault{Kind: simulator.FaultDisconnect, For: time.Hour}); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if len(r.receipts()) != 0 {
		t.Fatalf("receipts %+v handed over while disconnected", r.receipts())
	}
	if n := c.Pending(); n != 1 {
		t.Errorf("%d timers armed while disconnected; want only the reconnect, no retrying in vain", n)
	}
	s.Reconnect()
	if len(r.receipts()) != 1 {
		t.Errorf("receipts %+v after reconnecting", r.receipts())
	}
}
