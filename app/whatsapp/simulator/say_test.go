package simulator_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"smartbot/app"
	"smartbot/app/whatsapp/simulator"
)

func TestAddCustomerTakesOnlyE164NumbersThatAreNotTheShops(t *testing.T) {
	s := simulator.New(simulator.Options{Phone: "+15550100000"})
	for _, phone := range []string{"", "0771234567", "263771234567", "+0771234567", "+12345", "+26377123456a", "+15550100000"} {
		if err := s.AddCustomer(phone, "X"); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("AddCustomer(%q) = %v, want EINVALID", phone, err)
		}
	}
	if len(s.Customers()) != 0 {
		t.Errorf("customers %+v", s.Customers())
	}
}

func TestAddingACustomerAgainRenamesItAndKeepsItsInbox(t *testing.T) {
	s, _, _ := started(t, simulator.Options{})
	addCustomer(t, s, tariro, "Tariro")
	addCustomer(t, s, tendai, "Tendai")
	send(t, s, text("W1", tariro, "Hello"))
	addCustomer(t, s, tariro, "  Tariro M. ")
	cs := s.Customers()
	if len(cs) != 2 || cs[0].Phone != tariro || cs[0].Name != "Tariro M." || cs[1].Phone != tendai {
		t.Errorf("customers %+v", cs)
	}
	if len(s.Inbox(tariro)) != 1 {
		t.Error("the inbox was lost")
	}
}

func TestSayHandsTheHandlerATextMessageFromTheCustomer(t *testing.T) {
	s, c, r := started(t, simulator.Options{})
	addCustomer(t, s, tariro, "Tariro")
	m, err := s.Say(t.Context(), tariro, simulator.Said{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	got := r.inbound()
	if len(got) != 1 || got[0].WAID != m.WAID {
		t.Fatalf("handler got %+v, Say returned %+v", got, m)
	}
	want := app.Peer{Chat: app.UserJID(tariro), Phone: tariro, Name: "Tariro"}
	if m.From != want || m.Kind != app.MessageKindText || m.Type != "conversation" || m.Text != "hi" || !m.At.Equal(c.Now()) || m.WAID == "" {
		t.Errorf("message %+v", m)
	}
	again, _ := s.Say(t.Context(), tariro, simulator.Said{Text: "hi"})
	if again.WAID == m.WAID {
		t.Error("two messages share a WAID")
	}
}

func TestSayReplyCarriesTheTitleOfTheOptionTapped(t *testing.T) {
	s, _, r := started(t, simulator.Options{})
	addCustomer(t, s, tariro, "Tariro")
	send(t, s, app.Outgoing{WAID: "MENU", To: app.UserJID(tariro), Kind: app.MessageKindInteractive, Interactive: &app.OutgoingInteractive{
		Body: "Menu", List: &app.TemplateList{Button: "Open", Sections: []app.TemplateSection{{Rows: []app.TemplateRow{{ID: "cat", Title: "Catalog"}}}}},
	}})
	send(t, s, app.Outgoing{WAID: "BTN", To: app.UserJID(tariro), Kind: app.MessageKindInteractive, Interactive: &app.OutgoingInteractive{
		Body: "Pay?", Buttons: []app.TemplateButton{{ID: "pay", Title: "Pay now"}, {ID: "help", Title: "Help"}},
	}})
	send(t, s, text("T", tariro, "and some text after"))

	for _, tc := range []struct {
		id, text, wantText, wantType, wantQuoted string
	}{
		{"help", "", "Help", "buttonsResponseMessage", "BTN"},
		{"cat", "", "Catalog", "listResponseMessage", "MENU"},
		{"gone", "old button", "old button", "buttonsResponseMessage", ""},
	} {
		m, err := s.Say(t.Context(), tariro, simulator.Said{ReplyID: tc.id, Text: tc.text})
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != app.MessageKindReply || m.ReplyID != tc.id || m.Text != tc.wantText || m.Type != tc.wantType || m.QuotedID != tc.wantQuoted {
			t.Errorf("reply %q: %+v", tc.id, m)
		}
	}
	if len(r.inbound()) != 3 {
		t.Errorf("handler got %d messages", len(r.inbound()))
	}
	if opts := s.Inbox(tariro)[1].Options(); len(opts) != 2 || opts[1] != (simulator.Option{ID: "help", Title: "Help"}) {
		t.Errorf("options %+v", opts)
	}
}

func TestSayPollVoteNamesThePollAndTheOption(t *testing.T) {
	s, _, _ := started(t, simulator.Options{})
	addCustomer(t, s, tariro, "Tariro")
	_, err := s.Say(t.Context(), tariro, simulator.Said{PollVote: "Large"})
	wantCode(t, err, app.EINVALID) // no poll yet

	poll := func(waid string, opts ...string) app.Outgoing {
		return app.Outgoing{WAID: waid, To: app.UserJID(tariro), Kind: app.MessageKindPoll, Poll: &app.OutgoingPoll{Name: "Size?", Options: opts, SelectableCount: 1}}
	}
	send(t, s, poll("P1", "Small", "Large"))
	send(t, s, poll("P2", "Red", "Blue"))
	m, err := s.Say(t.Context(), tariro, simulator.Said{PollVote: "Large"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != app.MessageKindPollVote || m.Type != "pollUpdateMessage" || m.PollID != "P1" || len(m.PollOptions) != 1 || m.PollOptions[0] != "Large" {
		t.Errorf("vote %+v", m)
	}
	if m, _ := s.Say(t.Context(), tariro, simulator.Said{PollVote: "Blue"}); m.PollID != "P2" {
		t.Errorf("vote on the newest poll went to %q", m.PollID)
	}
	_, err = s.Say(t.Context(), tariro, simulator.Said{PollVote: "Huge"})
	wantCode(t, err, app.EINVALID)
}

func TestSayMediaCarriesWhatDownloadNeeds(t *testing.T) {
	s, _, _ := started(t, simulator.Options{})
	addCustomer(t, s, tariro, "Tariro")
	m, err := s.Say(t.Context(), tariro, simulator.Said{Text: "proof", MediaRef: []byte("med_1"), MediaKind: app.MediaImage, MIME: "image/jpeg", Size: 42})
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != app.MessageKindMedia || m.Type != "imageMessage" || m.Text != "proof" || m.Media == nil ||
		string(m.Media.Ref) != "med_1" || m.Media.MIME != "image/jpeg" || m.Media.Kind != app.MediaImage || m.Media.Size != 42 {
		t.Errorf("media message %+v %+v", m, m.Media)
	}
	_, err = s.Say(t.Context(), tariro, simulator.Said{MediaRef: []byte("med_1"), MediaKind: app.MediaImage})
	wantCode(t, err, app.EINVALID) // no MIME
	_, err = s.Say(t.Context(), tariro, simulator.Said{MediaRef: []byte("med_1"), MediaKind: "sticker", MIME: "image/webp"})
	wantCode(t, err, app.EINVALID)
}

func TestSayRefusesWhatNoCustomerCouldSend(t *testing.T) {
	s, _, r := started(t, simulator.Options{})
	addCustomer(t, s, tariro, "Tariro")
	for _, tc := range []struct {
		name, from string
		said       simulator.Said
		code       string
	}{
		{"a number that is not E.164", "0771234567", simulator.Said{Text: "hi"}, app.EINVALID},
		{"no such test customer", tendai, simulator.Said{Text: "hi"}, app.ENOTFOUND},
		{"nothing", tariro, simulator.Said{Text: "  "}, app.EINVALID},
		{"a reply and a vote at once", tariro, simulator.Said{ReplyID: "a", PollVote: "b"}, app.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Say(t.Context(), tc.from, tc.said)
			wantCode(t, err, tc.code)
		})
	}
	if len(r.inbound()) != 0 {
		t.Errorf("handler got %+v", r.inbound())
	}

	stopped := simulator.New(simulator.Options{})
	addCustomer(t, stopped, tariro, "Tariro")
	_, err := stopped.Say(t.Context(), tariro, simulator.Said{Text: "hi"})
	wantCode(t, err, app.EUNAVAILABLE)
}

func TestSayReturnsTheHandlersErrorSoTheCallerKnowsItWasNotStored(t *testing.T) {
	s, _, r := started(t, simulator.Options{})
	addCustomer(t, s, tariro, "Tariro")
	r.failNext(1)
	if _, err := s.Say(t.Context(), tariro, simulator.Said{Text: "hi"}); !errors.Is(err, errBusy) {
		t.Errorf("got %v, want the handler's error", err)
	}
}

func TestSayCallsTheHandlerOneAtATimePerChat(t *testing.T) {
	var active, most atomic.Int32
	handle := func(context.Context, app.Happening) error {
		n := active.Add(1)
		defer active.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		for range 100 { // widen the window an overlap would need, without a sleep
			runtime.Gosched()
		}
		return nil
	}
	s := simulator.New(simulator.Options{})
	if err := s.Start(t.Context(), func(ctx context.Context, h app.Happening) error {
		if _, ok := h.(*app.Inbound); ok {
			return handle(ctx, h)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	addCustomer(t, s, tariro, "Tariro")
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := s.Say(context.Background(), tariro, simulator.Said{Text: "hi"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d handler calls for one chat overlapped", most.Load())
	}
}
