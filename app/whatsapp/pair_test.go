package whatsapp

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"

	"smartbot/app"
	"smartbot/store/storetest"
)

// startedClient is a Client with no paired number, started with a handler
// that passes every connection change to the returned channel. Nothing
// connects: without a device Start only reports.
func startedClient(t *testing.T, now func() time.Time) (*Client, <-chan *app.ConnectionChange) {
	t.Helper()
	c, err := New(Options{DB: storetest.New(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan *app.ConnectionChange, 16)
	err = c.Start(context.Background(), func(_ context.Context, h app.Happening) error {
		if cc, ok := h.(*app.ConnectionChange); ok {
			changes <- cc
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	if cc := <-changes; cc.State != app.ConnDisconnected || cc.Reason != reasonNotPaired {
		t.Fatalf("first change %+v, want disconnected, not paired", cc)
	}
	return c, changes
}

func TestQRPairingShowsEachCodeThenConnects(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	c, changes := startedClient(t, clock.Now)
	ch := make(chan whatsmeow.QRChannelItem)
	c.beginQR(ch)
	done := make(chan struct{})
	go func() { c.runQR(ch, func() string { return "+263771234567" }); close(done) }()

	pairingSince := clock.Now()
	for _, code := range []string{"2@first", "2@second", "2@third"} {
		ch <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: code, Timeout: 20 * time.Second}
		cc := <-changes
		if cc.State != app.ConnPairing || cc.QR != code {
			t.Fatalf("after code %s: %+v", code, cc)
		}
		if s := c.Status(); s.QR != code || !s.Since.Equal(pairingSince) {
			t.Errorf("status after code %s: %+v; a new code is the same pairing since %v", code, s, pairingSince)
		}
		clock.Add(20 * time.Second)
	}
	ch <- whatsmeow.QRChannelSuccess
	cc := <-changes
	if cc.State != app.ConnConnected || cc.Phone != "+263771234567" || cc.QR != "" {
		t.Fatalf("after success: %+v", cc)
	}
	<-done
	if s := c.Status(); s.State != app.ConnConnected || s.QR != "" || s.Phone != "+263771234567" || !s.Since.Equal(clock.Now()) {
		t.Errorf("status after success: %+v", s)
	}
}

func TestQRPairingThatEndsUnscannedOrFailsDisconnectsWithTheReason(t *testing.T) {
	for _, c := range []struct {
		item   whatsmeow.QRChannelItem
		reason string
	}{
		{whatsmeow.QRChannelTimeout, "the QR code was not scanned in time"},
		{whatsmeow.QRChannelClientOutdated, "WhatsApp refused this client version; update Smartbot"},
		{whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventError, Error: errors.New("bad signature")}, "pairing failed: bad signature"},
	} {
		client, changes := startedClient(t, nil)
		ch := make(chan whatsmeow.QRChannelItem, 2)
		client.beginQR(ch)
		ch <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "2@only"}
		ch <- c.item
		close(ch)
		client.runQR(ch, func() string { return "" })
		if cc := <-changes; cc.QR != "2@only" {
			t.Fatalf("first change %+v", cc)
		}
		cc := <-changes
		if cc.State != app.ConnDisconnected || cc.Reason != c.reason || cc.QR != "" {
			t.Errorf("%s: %+v, want disconnected: %s", c.item.Event, cc, c.reason)
		}
		client.mu.Lock()
		pairing := client.qr != nil
		client.mu.Unlock()
		if pairing {
			t.Errorf("%s: the pairing is still marked running", c.item.Event)
		}
	}
}

func TestAnEarlierQRPairingDoesNotReportOverANewOne(t *testing.T) {
	c, changes := startedClient(t, nil)
	old := make(chan whatsmeow.QRChannelItem, 2)
	c.beginQR(old)
	current := make(chan whatsmeow.QRChannelItem, 1)
	c.beginQR(current)
	old <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "2@stale"}
	old <- whatsmeow.QRChannelTimeout
	close(old)
	c.runQR(old, func() string { return "" })
	current <- whatsmeow.QRChannelItem{Event: whatsmeow.QRChannelEventCode, Code: "2@fresh"}
	close(current)
	c.runQR(current, func() string { return "" })
	if cc := <-changes; cc.QR != "2@fresh" {
		t.Errorf("first change after two pairings: %+v, want the new pairing's code", cc)
	}
}

func TestPairingIsRefusedWhileANumberIsPaired(t *testing.T) {
	db := storetest.New(t)
	pairedDevice(t, db)
	c, err := New(Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.started = true
	c.mu.Unlock()
	if err := c.PairQR(context.Background()); !errors.Is(err, errPaired) {
		t.Errorf("PairQR with a paired number: %v", err)
	}
	if _, err := c.PairPhone(context.Background(), "+263771234567"); !errors.Is(err, errPaired) {
		t.Errorf("PairPhone with a paired number: %v", err)
	}
}

func TestSendingWithoutAPairedNumberSaysSo(t *testing.T) {
	c, _ := startedClient(t, nil)
	ctx := context.Background()
	if _, err := c.Send(ctx, app.Outgoing{WAID: "3EB0X", To: "263771234567@s.whatsapp.net", Text: "hi"}); !errors.Is(err, app.ErrNotPaired) {
		t.Errorf("Send: %v, want ErrNotPaired", err)
	}
	if err := c.Typing(ctx, "263771234567@s.whatsapp.net", true); !errors.Is(err, app.ErrNotPaired) {
		t.Errorf("Typing: %v", err)
	}
	if err := c.Logout(ctx); !errors.Is(err, app.ErrNotPaired) {
		t.Errorf("Logout: %v", err)
	}
}

func TestSendingWhileDisconnectedSaysNotConnected(t *testing.T) {
	db := storetest.New(t)
	pairedDevice(t, db)
	c, err := New(Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), app.Outgoing{WAID: "3EB0X", To: "263771234567@s.whatsapp.net", Text: "hi"}); !errors.Is(err, app.ErrNotConnected) {
		t.Errorf("Send: %v, want ErrNotConnected", err)
	}
}
