// Package whatsapp is the transport on the shop's real WhatsApp number: an
// app.Transport built on whatsmeow. Its device keys and Signal sessions live
// in the app's SQLite file (whatsmeow's own whatsmeow_* tables), written
// through the app's single write connection; inbound happenings go to the
// messaging service's handler and WhatsApp is acknowledged only after that
// handler committed them.
//
// Sharing one write connection with whatsmeow is safe under one rule, which
// whatsmeow keeps on its side (see store.go): nobody waits for an app write
// while holding a whatsmeow transaction, and nobody calls into this package
// while holding an app transaction (store.DB.Write): every Client method but
// Status may read or write whatsmeow's tables, and would wait forever for the
// connection that the caller's own transaction holds.
package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.mau.fi/whatsmeow"
	wastore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"

	"smartbot/app"
	"smartbot/store"
)

// Options configure New.
type Options struct {
	DB *store.DB
	// Log receives the transport's notices and whatsmeow's own log; nil
	// discards them.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HandlerTimeout bounds one call of the inbound handler, so a stuck
	// handler cannot stall the connection; 0 means 30 seconds. A handler
	// that runs out of time is treated as failed: WhatsApp is not
	// acknowledged and sends the happening again.
	HandlerTimeout time.Duration
}

// Client is the whatsmeow transport. It is safe for concurrent use.
type Client struct {
	container      *sqlstore.Container
	log            *slog.Logger
	now            func() time.Time
	handlerTimeout time.Duration

	mu        sync.Mutex
	wa        *whatsmeow.Client
	handle    app.InboundHandler
	handlerID uint32 // our event handler on wa, while started
	started   bool
	status    app.TransportStatus
	// stopPairing ends a running QR pairing (its context).
	stopPairing context.CancelFunc
	// qr is the running QR pairing's channel: while it runs, the
	// Disconnected that ends a QR session is the QR loop's to report.
	qr <-chan whatsmeow.QRChannelItem

	// reportMu keeps the status and the order of the connection changes the
	// handler sees in step when whatsmeow reports from several goroutines.
	reportMu sync.Mutex
	wg       sync.WaitGroup
}

var _ app.Transport = (*Client)(nil)

// upgradeTimeout bounds whatsmeow's schema upgrade in New.
const upgradeTimeout = time.Minute

// reasonNotPaired is the status's reason while no number is paired.
const reasonNotPaired = "no WhatsApp number is paired"

// New opens the whatsmeow session store on opts.DB (creating or upgrading
// its tables) and loads the paired device, if there is one. It does not
// connect: Start does.
func New(opts Options) (*Client, error) {
	if opts.DB == nil {
		return nil, errors.New("whatsapp: no database given")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HandlerTimeout <= 0 {
		opts.HandlerTimeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), upgradeTimeout)
	defer cancel()
	container, err := openContainer(ctx, opts.DB, opts.Log)
	if err != nil {
		return nil, err
	}
	device, err := container.GetFirstDevice(ctx)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: load device: %w", err)
	}
	c := &Client{
		container:      container,
		log:            opts.Log,
		now:            opts.Now,
		handlerTimeout: opts.HandlerTimeout,
	}
	c.wa = c.newWhatsmeow(device)
	c.status = app.TransportStatus{Transport: app.TransportWhatsApp, State: app.ConnDisconnected, Since: c.now()}
	if device.ID == nil {
		c.status.Reason = reasonNotPaired
	} else {
		c.status.Phone = app.PhoneOfJID(device.ID.ToNonAD().String())
	}
	return c, nil
}

// newWhatsmeow makes the whatsmeow client of device, set up for
// at-least-once delivery.
func (c *Client) newWhatsmeow(device *wastore.Device) *whatsmeow.Client {
	wa := whatsmeow.NewClient(device, newLogger(c.log, "whatsmeow"))
	wa.EnableAutoReconnect = true
	// A first connection that fails on the network retries in the
	// background instead of leaving the shop offline until a restart.
	wa.InitialAutoReconnect = true
	// The receipt that tells WhatsApp "stored, do not resend" goes out only
	// after our handler returned true, that is after the commit.
	wa.SynchronousAck = true
	// A message whose handler failed is resent by WhatsApp, but the Signal
	// ratchet has already moved: whatsmeow keeps the plaintext of every
	// decrypted message until it was handled, so the resend still decrypts.
	wa.EnableDecryptedEventBuffer = true
	return wa
}

// Start connects when a number is paired and keeps the connection up until
// Stop; without a session it only waits for PairQR or PairPhone. It returns
// at once: connecting happens in the background and its progress arrives as
// ConnectionChange happenings.
func (c *Client) Start(_ context.Context, handle app.InboundHandler) error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return errors.New("whatsapp: already started")
	}
	c.started = true
	c.handle = handle
	wa := c.wa
	c.handlerID = wa.AddEventHandlerWithSuccessStatus(c.onEvent)
	c.mu.Unlock()

	if wa.Store.ID == nil {
		c.reportIf(&app.ConnectionChange{State: app.ConnDisconnected, Reason: reasonNotPaired}, true)
		return nil
	}
	c.reportIf(&app.ConnectionChange{State: app.ConnConnecting}, true)
	c.wg.Go(func() {
		if err := wa.Connect(); err != nil {
			c.report(&app.ConnectionChange{State: app.ConnDisconnected, Reason: "cannot connect: " + err.Error()})
		}
	})
	return nil
}

// Stop disconnects and waits for the transport's goroutines to end. Nothing
// reaches the handler after it returns.
func (c *Client) Stop() {
	c.mu.Lock()
	if !c.started {
		c.mu.Unlock()
		return
	}
	c.started = false
	wa, id := c.wa, c.handlerID
	if c.stopPairing != nil {
		c.stopPairing()
		c.stopPairing = nil
	}
	c.mu.Unlock()
	wa.RemoveEventHandler(id)
	wa.Disconnect()
	c.wg.Wait()
	c.reportMu.Lock()
	c.mu.Lock()
	c.handle = nil
	c.setStatus(&app.ConnectionChange{State: app.ConnDisconnected, Reason: "stopped", At: c.now()})
	c.mu.Unlock()
	c.reportMu.Unlock()
}

// Status is the connection's state now.
func (c *Client) Status() app.TransportStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// current is the whatsmeow client in use.
func (c *Client) current() *whatsmeow.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wa
}

// report records a connection change as the status and gives it to the
// handler. A change that alters nothing the panel shows is not repeated.
func (c *Client) report(cc *app.ConnectionChange) { c.reportIf(cc, false) }

// reportIf is report; always gives the change to the handler even when the
// status already showed it: Start tells a new handler where things stand.
func (c *Client) reportIf(cc *app.ConnectionChange, always bool) {
	if cc.At.IsZero() {
		cc.At = c.now()
	}
	c.reportMu.Lock()
	defer c.reportMu.Unlock()
	c.mu.Lock()
	changed := c.setStatus(cc) || always
	handle := c.handle
	c.mu.Unlock()
	if !changed || handle == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.handlerTimeout)
	defer cancel()
	if err := handle(ctx, cc); err != nil {
		// A connection change is not resent by WhatsApp; the status
		// above still shows it.
		c.log.Warn("whatsapp: the handler did not take a connection change", "state", cc.State, "err", err)
	}
}

// setStatus moves the status to cc and reports whether anything changed.
// Since moves only when the state does: a rotating QR code is the same
// pairing. The caller holds c.mu.
func (c *Client) setStatus(cc *app.ConnectionChange) bool {
	s := c.status
	if s.State == cc.State && s.Reason == cc.Reason && s.QR == cc.QR && s.Until.Equal(cc.Until) && (cc.Phone == "" || s.Phone == cc.Phone) {
		return false
	}
	if s.State != cc.State {
		s.Since = cc.At
	}
	s.State, s.Reason, s.QR, s.Until = cc.State, cc.Reason, cc.QR, cc.Until
	if cc.Phone != "" {
		s.Phone = cc.Phone
	}
	c.status = s
	return true
}

// deliver gives one inbound happening to the handler on whatsmeow's
// goroutine and reports whether it was stored: whatsmeow acknowledges the
// message only then.
func (c *Client) deliver(h app.Happening) bool {
	c.mu.Lock()
	handle := c.handle
	c.mu.Unlock()
	if handle == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.handlerTimeout)
	defer cancel()
	if err := handle(ctx, h); err != nil {
		c.log.Warn("whatsapp: the handler failed; WhatsApp will send it again", "type", fmt.Sprintf("%T", h), "err", err)
		return false
	}
	return true
}

// ownPhone is the paired number in E.164, or "".
func ownPhone(wa *whatsmeow.Client) string {
	if wa == nil || wa.Store == nil || wa.Store.ID == nil {
		return ""
	}
	return app.PhoneOfJID(wa.Store.ID.ToNonAD().String())
}

// parseJID reads a chat id the app stored (a phone-number JID or a LID).
func parseJID(s string) (types.JID, error) {
	jid, err := types.ParseJID(s)
	if err != nil || jid.User == "" {
		return types.JID{}, &app.SendError{Permanent: true, Reason: "bad chat id " + s, Err: err}
	}
	return jid, nil
}
