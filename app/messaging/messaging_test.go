package messaging_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/event"
	"smartbot/app/messaging"
	"smartbot/app/whatsapp/simulator"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

// rig is the messaging service on a real database and the simulator, with
// a clock and timers the test moves by hand.
type rig struct {
	t     *testing.T
	db    *store.DB
	clock *storetest.Clock
	sim   *simulator.Simulator
	svc   *messaging.Service

	mu     sync.Mutex
	timers []func()
	sent   []sentAt
	hooked int
}

type sentAt struct {
	to string
	at time.Time
}

// noPacing sends as fast as it is asked.
var noPacing = app.Pacing{PerMinute: 0, ColdDailyCap: -1, BreakerErrors: 5, BreakerPause: time.Minute}

func newRig(t *testing.T, p app.Pacing) *rig {
	t.Helper()
	r := &rig{t: t, clock: storetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))}
	r.db = storetest.OpenAt(t, t.TempDir(), r.clock.Now)
	r.sim = simulator.New(simulator.Options{
		Now: r.clock.Now,
		After: func(d time.Duration, f func()) func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.timers = append(r.timers, f)
			return func() bool { return false }
		},
		OnSend: func(o app.Outgoing) {
			r.mu.Lock()
			r.sent = append(r.sent, sentAt{o.To, r.clock.Now()})
			r.mu.Unlock()
		},
	})
	r.start(p)
	return r
}

// start makes a service (again, as after a restart) on the same database
// and simulator.
func (r *rig) start(p app.Pacing) {
	r.t.Helper()
	ctx := context.Background()
	queues := queue.New(r.db)
	r.svc = messaging.New(messaging.Options{
		DB: r.db, Queues: queues, Emitter: event.NewEmitter(queues, event.NewBroker(), r.clock.Now),
		Jitter: func(d time.Duration) time.Duration { return d / 2 },
		OnInbound: func(ctx context.Context, tx *store.Tx, c app.Customer, m app.Message, in *app.Inbound) error {
			r.hooked++
			return nil
		},
	})
	if err := r.svc.SetPacing(ctx, p); err != nil {
		r.t.Fatal(err)
	}
	if err := r.svc.Use(ctx, r.sim); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(r.svc.Stop)
}

// fire runs the timers the simulator set (receipts, reconnects).
func (r *rig) fire() {
	r.mu.Lock()
	fs := r.timers
	r.timers = nil
	r.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

func (r *rig) send(in messaging.Outbound) app.Message {
	r.t.Helper()
	ms, err := r.svc.Send(context.Background(), in)
	if err != nil {
		r.t.Fatal(err)
	}
	return ms[len(ms)-1]
}

// process runs m's job as the runner would, moving the clock through
// every snooze, until the job is done or fails; it returns the error of
// the last attempt.
func (r *rig) process(m app.Message, attempt int) error {
	r.t.Helper()
	body, _ := json.Marshal(map[string]string{"message_id": m.ID})
	for range 10000 {
		err := r.svc.Process(context.Background(), queue.Job{ID: "j", Queue: queue.MessageSending, Body: body, Attempt: attempt})
		d, ok := queue.Snoozed(err)
		if !ok {
			return err
		}
		r.clock.Add(max(d, time.Millisecond))
	}
	r.t.Fatalf("message %s was still snoozing after 10000 rounds", m.ID)
	return nil
}

func (r *rig) message(id string) app.Message {
	r.t.Helper()
	m, err := r.db.Message(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

func TestAMessageIsQueuedSentThenDeliveredAndReadByTheSimulatorsReceipts(t *testing.T) {
	r := newRig(t, noPacing)
	m := r.send(messaging.Outbound{To: "+263771234567", Text: "Your order is ready"})
	if m.Status != app.MessageQueued || m.WAID == "" {
		t.Fatalf("sent message = %+v; want queued with its WhatsApp id chosen", m)
	}
	if err := r.process(m, 1); err != nil {
		t.Fatal(err)
	}
	if got := r.message(m.ID); got.Status != app.MessageSentStatus || got.SentAt == nil {
		t.Fatalf("after the job: %+v; want sent", got)
	}
	if n := storetest.Count(t, r.db, `select count(*) from events where type = 'message_sent'`); n != 1 {
		t.Fatalf("%d message_sent events, want 1", n)
	}
	in := r.sim.Inbox("+263771234567")
	if len(in) != 1 || in[0].Message.Text != "Your order is ready" || in[0].WAID != m.WAID {
		t.Fatalf("the customer's inbox = %+v", in)
	}
	r.fire() // delivered
	if got := r.message(m.ID); got.Status != app.MessageDelivered {
		t.Fatalf("after the delivered receipt: %s", got.Status)
	}
	r.fire() // read
	if got := r.message(m.ID); got.Status != app.MessageRead || got.ReadAt == nil {
		t.Fatalf("after the read receipt: %s", got.Status)
	}
	// The job running again after a crash sends nothing more.
	if err := r.process(m, 2); err != nil {
		t.Fatal(err)
	}
	if n := r.sim.Deliveries(m.WAID); n != 1 {
		t.Fatalf("%d deliveries after the job ran twice, want 1", n)
	}
}

func TestFiftyMessagesToOneChatKeepTheChatGap(t *testing.T) {
	p := noPacing
	p.ChatGap, p.ChatJitter = 2*time.Second, time.Second
	r := newRig(t, p)
	var ms []app.Message
	for range 50 {
		ms = append(ms, r.send(messaging.Outbound{To: "+263771234567", Text: "hello"}))
	}
	for _, m := range ms {
		if err := r.process(m, 1); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.sent) != 50 {
		t.Fatalf("%d sent, want 50", len(r.sent))
	}
	for i := 1; i < len(r.sent); i++ {
		if gap := r.sent[i].at.Sub(r.sent[i-1].at); gap < p.ChatGap {
			t.Fatalf("messages %d and %d went %s apart, under the chat gap of %s", i-1, i, gap, p.ChatGap)
		}
	}
	// Pacing waits, it does not stall: the jitter here is half its range.
	if total := r.sent[49].at.Sub(r.sent[0].at); total > 49*(p.ChatGap+p.ChatJitter/2)+time.Second {
		t.Fatalf("50 messages took %s", total)
	}
}

func TestTwoHundredMessagesToDifferentChatsKeepTheGlobalRate(t *testing.T) {
	p := noPacing
	p.PerMinute = 20
	r := newRig(t, p)
	var ms []app.Message
	for i := range 200 {
		ms = append(ms, r.send(messaging.Outbound{To: "+2637700" + pad(i), Text: "news"}))
	}
	for _, m := range ms {
		if err := r.process(m, 1); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.sent) != 200 {
		t.Fatalf("%d sent, want 200", len(r.sent))
	}
	for i := p.PerMinute; i < len(r.sent); i++ {
		if d := r.sent[i].at.Sub(r.sent[i-p.PerMinute].at); d < time.Minute {
			t.Fatalf("%d messages went within %s, over %d a minute", p.PerMinute+1, d, p.PerMinute)
		}
	}
}

func pad(i int) string {
	s := "0000" + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
	return s[len(s)-5:]
}

func TestMessagesQueuedThroughADisconnectAndARestartAllGoOutOnceInOrder(t *testing.T) {
	r := newRig(t, noPacing)
	var ms []app.Message
	for i := range 5 {
		ms = append(ms, r.send(messaging.Outbound{To: "+263771234567", Text: "part " + string(rune('1'+i))}))
	}
	if err := r.sim.Fault(simulator.Fault{Kind: simulator.FaultDisconnect, For: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if st := r.svc.Status(); st.State != app.ConnDisconnected {
		t.Fatalf("status while disconnected: %+v", st)
	}
	body, _ := json.Marshal(map[string]string{"message_id": ms[0].ID})
	err := r.svc.Process(context.Background(), queue.Job{Body: body, Attempt: 1})
	if _, ok := queue.Snoozed(err); !ok {
		t.Fatalf("a send while disconnected returned %v; want a snooze that spends no attempt", err)
	}
	if len(r.sent) != 0 {
		t.Fatal("something was sent while disconnected")
	}
	// The process restarts; ten minutes later the connection is back.
	r.svc.Stop()
	r.start(noPacing)
	r.clock.Add(10 * time.Minute)
	r.sim.Reconnect()
	if st := r.svc.Status(); st.State != app.ConnConnected {
		t.Fatalf("status after reconnecting: %+v", st)
	}
	for _, m := range ms {
		if err := r.process(m, 1); err != nil {
			t.Fatal(err)
		}
	}
	in := r.sim.Inbox("+263771234567")
	if len(in) != 5 {
		t.Fatalf("the customer got %d messages, want 5", len(in))
	}
	for i, got := range in {
		if got.Message.Text != "part "+string(rune('1'+i)) {
			t.Fatalf("message %d is %q: out of order", i, got.Message.Text)
		}
	}
	if n := storetest.Count(t, r.db, `select count(*) from events where type = 'bot_disconnected'`); n != 1 {
		t.Fatalf("%d bot_disconnected events, want 1", n)
	}
}

func TestALaterMessageToAChatWaitsForAnEarlierOneStillQueued(t *testing.T) {
	r := newRig(t, noPacing)
	first := r.send(messaging.Outbound{To: "+263771234567", Text: "first"})
	second := r.send(messaging.Outbound{To: "+263771234567", Text: "second"})
	_ = first
	body, _ := json.Marshal(map[string]string{"message_id": second.ID})
	err := r.svc.Process(context.Background(), queue.Job{Body: body, Attempt: 1})
	if _, ok := queue.Snoozed(err); !ok || len(r.sent) != 0 {
		t.Fatalf("the second message went before the first (err %v, %d sent)", err, len(r.sent))
	}
}

func TestASendWhoseAnswerWasLostIsRetriedWithoutReachingTheCustomerTwice(t *testing.T) {
	r := newRig(t, noPacing)
	m := r.send(messaging.Outbound{To: "+263771234567", Text: "only once"})
	if err := r.sim.Fault(simulator.Fault{Kind: simulator.FaultLostAcks, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.process(m, 1); err == nil {
		t.Fatal("the first attempt, whose answer was lost, succeeded")
	}
	if got := r.message(m.ID); got.Status != app.MessageQueued {
		t.Fatalf("after the lost answer: %s; want still queued", got.Status)
	}
	if err := r.process(m, 2); err != nil {
		t.Fatal(err)
	}
	if in := r.sim.Inbox("+263771234567"); len(in) != 1 || r.sim.Deliveries(m.WAID) != 1 {
		t.Fatalf("the customer got %d messages (%d with its id), want it once", len(in), r.sim.Deliveries(m.WAID))
	}
	if got := r.message(m.ID); got.Status != app.MessageSentStatus {
		t.Fatalf("after the retry: %s; want sent", got.Status)
	}
}

func TestAnInboundMessageIsStoredWithItsCustomerAndEventOnceAndTheHookRunsInItsTransaction(t *testing.T) {
	r := newRig(t, noPacing)
	if err := r.sim.AddCustomer("+263771234567", "Tariro"); err != nil {
		t.Fatal(err)
	}
	in, err := r.sim.Say(context.Background(), "+263771234567", simulator.Said{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, r.db, `select count(*) from messages where direction = 'in' and text = 'hi' and wa_message_id = ?`, in.WAID); n != 1 {
		t.Fatalf("%d inbound messages stored, want 1", n)
	}
	if n := storetest.Count(t, r.db, `select count(*) from events where type = 'message_received'`); n != 1 {
		t.Fatalf("%d message_received events, want 1", n)
	}
	c, err := r.db.CustomerByPhone(context.Background(), "+263771234567")
	if err != nil || c.Name != "Tariro" || !c.Simulated || c.LastInboundAt == nil {
		t.Fatalf("customer = %+v, %v", c, err)
	}
	// WhatsApp gives the same message again: nothing new.
	if err := r.svc.Handle(context.Background(), &in); err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, r.db, `select count(*) from messages`); n != 1 || r.hooked != 1 {
		t.Fatalf("after a duplicate: %d messages, hook ran %d times; want 1 and 1", n, r.hooked)
	}
}

func TestBadSendsAreRefusedWithTheFieldAndStoreNothing(t *testing.T) {
	r := newRig(t, noPacing)
	for _, tc := range []struct {
		in    messaging.Outbound
		field string
	}{
		{messaging.Outbound{To: "0771234567", Text: "hi"}, "to"},
		{messaging.Outbound{To: "+263771234567"}, "text"},
		{messaging.Outbound{To: "+263771234567", Text: "hi", MediaID: "med_x"}, "text"},
		{messaging.Outbound{CustomerID: "cus_nope", Text: "hi"}, "customer_id"},
	} {
		_, err := r.svc.Send(context.Background(), tc.in)
		var e *app.Error
		if !asAppError(err, &e) || e.Code != app.EINVALID || len(e.Fields) == 0 || e.Fields[0].Field != tc.field {
			t.Errorf("Send(%+v) = %v; want EINVALID naming %s", tc.in, err, tc.field)
		}
	}
	if n := storetest.Count(t, r.db, `select count(*) from messages`); n != 0 {
		t.Fatalf("%d messages stored by refused sends", n)
	}
}

func asAppError(err error, target **app.Error) bool {
	e, ok := err.(*app.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestAReplyShowsTypingForItsLengthBeforeItGoes(t *testing.T) {
	p := noPacing
	p.TypingPerChar, p.TypingMin, p.TypingMax = 100*time.Millisecond, time.Second, 3*time.Second
	r := newRig(t, p)
	if err := r.sim.AddCustomer("+263771234567", "Tariro"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.sim.Say(context.Background(), "+263771234567", simulator.Said{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	m := r.send(messaging.Outbound{To: "+263771234567", Text: "Hello Tariro"}) // 12 characters: 1.2 s
	body, _ := json.Marshal(map[string]string{"message_id": m.ID})
	err := r.svc.Process(context.Background(), queue.Job{Body: body, Attempt: 1})
	d, ok := queue.Snoozed(err)
	if !ok || d != 1200*time.Millisecond {
		t.Fatalf("the first run returned %v; want a snooze of 1.2s while typing shows", err)
	}
	if pr := r.sim.Presence("+263771234567"); !pr.Typing || len(r.sent) != 0 {
		t.Fatalf("presence %+v with %d sent; want typing and nothing sent yet", pr, len(r.sent))
	}
	r.clock.Add(d)
	if err := r.process(m, 1); err != nil {
		t.Fatal(err)
	}
	if pr := r.sim.Presence("+263771234567"); pr.Typing || len(r.sent) != 1 || pr.On != 1 {
		t.Fatalf("after the wait: presence %+v, %d sent; want the message sent once, after one typing", pr, len(r.sent))
	}
}

func TestMessagesToCustomersOutsideTheWindowStopAtTheDailyCap(t *testing.T) {
	p := noPacing
	p.ColdDailyCap = 2
	r := newRig(t, p)
	start := r.clock.Now()
	var ms []app.Message
	for i := range 3 {
		ms = append(ms, r.send(messaging.Outbound{To: "+2637730" + pad(i), Text: "A new offer"}))
	}
	for _, m := range ms {
		if err := r.process(m, 1); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.sent) != 3 {
		t.Fatalf("%d sent, want 3", len(r.sent))
	}
	if r.sent[1].at.Sub(start) >= time.Hour {
		t.Fatalf("the second cold message waited %s, under the cap of 2", r.sent[1].at.Sub(start))
	}
	if wait := r.sent[2].at.Sub(start); wait < 24*time.Hour {
		t.Fatalf("the third cold message went after %s; the cap of 2 a day should hold it a day", wait)
	}
	// A customer who wrote is not counted: a reply goes at once.
	if err := r.sim.AddCustomer("+263771234567", "Tariro"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.sim.Say(context.Background(), "+263771234567", simulator.Said{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	before := r.clock.Now()
	for range 3 {
		if err := r.process(r.send(messaging.Outbound{To: "+263771234567", Text: "Hello"}), 1); err != nil {
			t.Fatal(err)
		}
	}
	if r.clock.Now() != before {
		t.Fatalf("replies to a customer who wrote waited %s", r.clock.Now().Sub(before))
	}
}
