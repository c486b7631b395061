package simulator_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/whatsapp/simulator"
)

func TestSendPutsTheMessageInTheCustomersInbox(t *testing.T) {
	var sent []app.Outgoing
	s, c, _ := started(t, simulator.Options{OnSend: func(m app.Outgoing) { sent = append(sent, m) }})
	addCustomer(t, s, tariro, "Tariro")

	res := send(t, s, text("W1", tariro, "Hello"))
	if res.WAID != "W1" || !res.At.Equal(c.Now()) {
		t.Errorf("result %+v", res)
	}
	in := s.Inbox(tariro)
	if len(in) != 1 || in[0].WAID != "W1" || in[0].Message.Text != "Hello" || in[0].Status != app.MessageSentStatus || !in[0].At.Equal(c.Now()) {
		t.Errorf("inbox %+v", in)
	}
	if len(sent) != 1 || sent[0].WAID != "W1" {
		t.Errorf("OnSend saw %+v", sent)
	}
	if len(s.Inbox(tendai)) != 0 {
		t.Error("another customer got it")
	}
}

func TestSendToANumberThatIsNoCustomerMakesItOne(t *testing.T) {
	s, _, _ := started(t, simulator.Options{})
	send(t, s, text("W1", tendai, "Your order is ready"))
	cs := s.Customers()
	if len(cs) != 1 || cs[0].Phone != tendai || cs[0].Name != "" {
		t.Errorf("customers %+v", cs)
	}
	if len(s.Inbox(tendai)) != 1 {
		t.Error("the message is not in its inbox")
	}
}

func TestASecondSendWithTheSameWAIDDeliversNothing(t *testing.T) {
	calls := 0
	s, c, _ := started(t, simulator.Options{OnSend: func(app.Outgoing) { calls++ }})
	first := send(t, s, text("W1", tariro, "Hello"))
	c.Advance(500 * time.Millisecond)
	again := send(t, s, text("W1", tariro, "Hello"))

	if again != first {
		t.Errorf("the repeat answered %+v, the first %+v", again, first)
	}
	if got := s.Deliveries("W1"); got != 1 {
		t.Errorf("Deliveries = %d, want 1", got)
	}
	if got := s.Attempts("W1"); got != 2 {
		t.Errorf("Attempts = %d, want 2", got)
	}
	if got := s.TotalDeliveries(); got != 1 {
		t.Errorf("TotalDeliveries = %d, want 1", got)
	}
	if n := len(s.Inbox(tariro)); n != 1 || calls != 1 {
		t.Errorf("%d in the inbox, OnSend called %d times", n, calls)
	}
}

// The crash between "sent to WhatsApp" and "recorded": the first attempt
// lands but its caller learns nothing; the retry with the same WAID must
// not make a second copy.
func TestALostAckThenARetryWithTheSameWAIDDeliversOnce(t *testing.T) {
	s, _, _ := started(t, simulator.Options{})
	if err := s.Fault(simulator.Fault{Kind: simulator.FaultLostAcks, Count: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Send(t.Context(), text("W1", tariro, "Hello"))
	var se *app.SendError
	if !errors.As(err, &se) || se.Permanent {
		t.Fatalf("first send: %v, want a non-permanent SendError", err)
	}
	if len(s.Inbox(tariro)) != 1 {
		t.Fatal("the first attempt did not reach the customer")
	}
	res := send(t, s, text("W1", tariro, "Hello"))
	if res.WAID != "W1" || s.Deliveries("W1") != 1 || len(s.Inbox(tariro)) != 1 {
		t.Errorf("after the retry: %+v, %d deliveries, inbox %d", res, s.Deliveries("W1"), len(s.Inbox(tariro)))
	}
}

func TestSendRefusesForGoodWhatWhatsAppWouldRefuse(t *testing.T) {
	s, _, _ := started(t, simulator.Options{})
	to := app.UserJID(tariro)
	for _, tc := range []struct {
		name string
		m    app.Outgoing
	}{
		{"no WAID", app.Outgoing{To: to, Kind: app.MessageKindText, Text: "hi"}},
		{"a LID chat", app.Outgoing{WAID: "W", To: "123@lid", Kind: app.MessageKindText, Text: "hi"}},
		{"empty text", app.Outgoing{WAID: "W", To: to, Kind: app.MessageKindText}},
		{"media without a file", app.Outgoing{WAID: "W", To: to, Kind: app.MessageKindMedia}},
		{"interactive without buttons", app.Outgoing{WAID: "W", To: to, Kind: app.MessageKindInteractive, Interactive: &app.OutgoingInteractive{Body: "?"}}},
		{"a poll of one option", app.Outgoing{WAID: "W", To: to, Kind: app.MessageKindPoll, Poll: &app.OutgoingPoll{Name: "?", Options: []string{"a"}}}},
		{"a reaction to nothing", app.Outgoing{WAID: "W", To: to, Kind: app.MessageKindReaction, Text: "👍"}},
		{"an unknown kind", app.Outgoing{WAID: "W", To: to, Kind: "sticker"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Send(t.Context(), tc.m)
			var se *app.SendError
			if !errors.As(err, &se) || !se.Permanent {
				t.Errorf("got %v, want a permanent SendError", err)
			}
		})
	}
	if s.TotalDeliveries() != 0 {
		t.Error("a refused message was delivered")
	}
}

func TestSendBeforeStartIsNotConnected(t *testing.T) {
	s := simulator.New(simulator.Options{})
	if _, err := s.Send(t.Context(), text("W1", tariro, "hi")); !errors.Is(err, app.ErrNotConnected) {
		t.Errorf("got %v, want ErrNotConnected", err)
	}
}

func TestReceiptsComeDeliveredThenReadOnTheClock(t *testing.T) {
	s, c, r := started(t, simulator.Options{})
	sentAt := send(t, s, text("W1", tariro, "Hello")).At

	c.Advance(999 * time.Millisecond)
	if len(r.receipts()) != 0 {
		t.Fatal("a receipt came early")
	}
	c.Advance(time.Millisecond)
	got := r.receipts()
	want := app.Receipt{Chat: app.UserJID(tariro), WAIDs: []string{"W1"}, Status: app.MessageDelivered, At: sentAt.Add(time.Second)}
	if len(got) != 1 || got[0].Chat != want.Chat || got[0].WAIDs[0] != "W1" || got[0].Status != want.Status || !got[0].At.Equal(want.At) {
		t.Fatalf("receipts %+v, want %+v", got, want)
	}
	if in := s.Inbox(tariro); in[0].Status != app.MessageDelivered || !in[0].DeliveredAt.Equal(want.At) {
		t.Errorf("inbox %+v", in[0])
	}

	c.Advance(2 * time.Second)
	got = r.receipts()
	if len(got) != 2 || got[1].Status != app.MessageRead || !got[1].At.Equal(sentAt.Add(3*time.Second)) {
		t.Fatalf("receipts %+v", got)
	}
	if in := s.Inbox(tariro); in[0].Status != app.MessageRead {
		t.Errorf("inbox %+v", in[0])
	}
}

func TestReadNeverComesBeforeDelivered(t *testing.T) {
	s, c, r := started(t, simulator.Options{DeliveredAfter: 5 * time.Second, ReadAfter: time.Second})
	send(t, s, text("W1", tariro, "Hello"))
	c.Advance(4 * time.Second)
	if len(r.receipts()) != 0 {
		t.Fatal("a receipt before the message was delivered")
	}
	c.Advance(time.Second)
	got := r.receipts()
	if len(got) != 2 || got[0].Status != app.MessageDelivered || got[1].Status != app.MessageRead {
		t.Errorf("receipts %+v", got)
	}
}

func TestNegativeDelaysMeanAPhoneThatNeverReports(t *testing.T) {
	for _, tc := range []struct {
		name       string
		o          simulator.Options
		wantStatus string
	}{
		{"phone off", simulator.Options{DeliveredAfter: -1}, app.MessageSentStatus},
		{"read receipts off", simulator.Options{ReadAfter: -1}, app.MessageDelivered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c, _ := started(t, tc.o)
			send(t, s, text("W1", tariro, "Hello"))
			c.Advance(time.Hour)
			if got := s.Inbox(tariro)[0].Status; got != tc.wantStatus {
				t.Errorf("status %s, want %s", got, tc.wantStatus)
			}
		})
	}
}

func TestAReceiptTheHandlerRefusesIsHandedOverAgainUntilTaken(t *testing.T) {
	s, c, r := started(t, simulator.Options{})
	send(t, s, text("W1", tariro, "Hello"))
	r.failNext(4)
	c.Advance(time.Second) // delivered: refused
	c.Advance(2 * time.Second)
	if len(r.receipts()) != 0 {
		t.Fatalf("receipts %+v while the handler refuses", r.receipts())
	}
	c.Advance(time.Minute)
	got := r.receipts()
	if len(got) != 2 || got[0].Status != app.MessageDelivered || got[1].Status != app.MessageRead {
		t.Errorf("receipts %+v, want delivered then read, once each", got)
	}
	if c.Pending() != 0 {
		t.Errorf("%d timers left armed", c.Pending())
	}
}

func TestTypingAndMarkReadAreRecordedPerChat(t *testing.T) {
	s, _, _ := started(t, simulator.Options{})
	ctx, chat := t.Context(), app.UserJID(tariro)
	for _, on := range []bool{true, false, true} {
		if err := s.Typing(ctx, chat, on); err != nil {
			t.Fatal(err)
		}
	}
	if p := s.Presence(tariro); p != (simulator.Presence{On: 2, Off: 1, Typing: true}) {
		t.Errorf("presence %+v", p)
	}
	send(t, s, text("W1", tariro, "Hello"))
	if s.Presence(tariro).Typing {
		t.Error("a message from the shop did not clear typing")
	}
	if err := s.MarkRead(ctx, chat, chat, []string{"A", "B"}); err != nil {
		t.Fatal(err)
	}
	if got := s.MarkedRead(tariro); strings.Join(got, ",") != "A,B" {
		t.Errorf("marked read %v", got)
	}
	wantCode(t, s.Typing(ctx, "123@lid", true), app.EINVALID)
	wantCode(t, s.MarkRead(ctx, "nope", "", nil), app.EINVALID)
}

func TestDownloadOpensTheRefTheCustomerSent(t *testing.T) {
	open := func(_ context.Context, ref []byte) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("file " + string(ref))), nil
	}
	s, _, _ := started(t, simulator.Options{Open: open})
	f, err := s.Download(t.Context(), &app.InboundMedia{Ref: []byte("med_1")})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, _ := io.ReadAll(f); string(b) != "file med_1" {
		t.Errorf("read %q", b)
	}
	_, err = s.Download(t.Context(), &app.InboundMedia{})
	wantCode(t, err, app.EINVALID)

	bare, _, _ := started(t, simulator.Options{})
	_, err = bare.Download(t.Context(), &app.InboundMedia{Ref: []byte("med_1")})
	wantCode(t, err, app.EUNSUPPORTED)
}

func TestWaitInboxReturnsOnceTheMessagesLand(t *testing.T) {
	s, _, _ := started(t, simulator.Options{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, id := range []string{"W1", "W2"} {
			if _, err := s.Send(context.Background(), text(id, tariro, id)); err != nil {
				t.Error(err)
			}
		}
	})
	in, err := s.WaitInbox(t.Context(), tariro, 2)
	wg.Wait()
	if err != nil || len(in) != 2 || in[1].WAID != "W2" {
		t.Errorf("got %+v, %v", in, err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.WaitInbox(ctx, tariro, 3); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait returned %v", err)
	}
}

func TestAReceiptWaitsBehindAnEarlierOneOfItsChatThatWasRefused(t *testing.T) {
	for _, refusals := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d refusals", refusals), func(t *testing.T) {
			// Read falls due at 1.5 s, before the first retry of the refused
			// delivered receipt at 2 s.
			s, c, r := started(t, simulator.Options{DeliveredAfter: time.Second, ReadAfter: 1500 * time.Millisecond})
			send(t, s, text("W1", tariro, "Hello"))
			r.failNext(refusals)
			c.Advance(time.Minute)
			got := r.receipts()
			if len(got) != 2 || got[0].Status != app.MessageDelivered || got[1].Status != app.MessageRead {
				t.Errorf("receipts %+v, want delivered then read", got)
			}
		})
	}
}

func TestRetriesOfARefusedReceiptComeFurtherApart(t *testing.T) {
	s, c, r := started(t, simulator.Options{ReadAfter: -1})
	send(t, s, text("W1", tariro, "Hello"))
	r.failNext(3)
	c.Advance(time.Second) // refused; retries at 2 s (refused), 4 s (refused), 8 s
	c.Advance(7*time.Second - time.Millisecond)
	if len(r.receipts()) != 0 {
		t.Fatal("retried sooner than 1 s, 2 s, 4 s apart")
	}
	changed := s.Changed()
	c.Advance(time.Millisecond)
	if len(r.receipts()) != 1 {
		t.Fatalf("receipts %+v at 8 s", r.receipts())
	}
	select {
	case <-changed:
	default:
		t.Error("Changed did not tell that the handler took the receipt")
	}
}

func TestTheRetryDelayStopsGrowingAtAMinute(t *testing.T) {
	s, c, r := started(t, simulator.Options{ReadAfter: -1})
	send(t, s, text("W1", tariro, "Hello"))
	r.failNext(7)
	// Refused at 1 s, then retried at 2, 4, 8, 16, 32, 64 s (all refused)
	// and, 60 s later rather than 64, at 124 s.
	c.Advance(124*time.Second - time.Millisecond)
	if len(r.receipts()) != 0 {
		t.Fatal("retried too soon")
	}
	c.Advance(time.Millisecond)
	if len(r.receipts()) != 1 {
		t.Errorf("no receipt at 124 s: the delay grew past a minute")
	}
}
