package whatsapp

import (
	"context"
	"errors"
	"fmt"

	"go.mau.fi/whatsmeow"
	wastore "go.mau.fi/whatsmeow/store"

	"smartbot/app"
)

// errPaired refuses pairing while a number is paired: log out first.
var errPaired = errors.New("whatsapp: a number is already paired; log out first")

// PairQR starts pairing with QR codes. It returns once the first connection
// is made; the codes (about every 20 seconds, for up to about 2½ minutes)
// and the outcome arrive as ConnectionChange happenings.
func (c *Client) PairQR(ctx context.Context) error {
	wa, err := c.forPairing()
	if err != nil {
		return err
	}
	// The pairing outlives the request that started it; Stop or a new
	// pairing ends it.
	qrCtx, cancel := context.WithCancel(context.Background())
	ch, err := wa.GetQRChannel(qrCtx)
	if err != nil {
		cancel()
		return fmt.Errorf("whatsapp: pair: %w", err)
	}
	c.mu.Lock()
	if c.stopPairing != nil {
		c.stopPairing()
	}
	c.stopPairing = cancel
	c.mu.Unlock()
	c.beginQR(ch)
	c.report(&app.ConnectionChange{State: app.ConnPairing, Reason: "connecting to show a QR code"})
	if err := wa.ConnectContext(qrCtx); err != nil {
		c.endQR(ch)
		c.report(&app.ConnectionChange{State: app.ConnDisconnected, Reason: "cannot connect: " + err.Error()})
		return fmt.Errorf("whatsapp: pair: %w", app.ErrNotConnected)
	}
	c.wg.Go(func() {
		c.runQR(ch, func() string { return ownPhone(wa) })
	})
	return nil
}

// beginQR makes ch the pairing whose outcome is reported; an earlier one
// still winding down is not.
func (c *Client) beginQR(ch <-chan whatsmeow.QRChannelItem) {
	c.mu.Lock()
	c.qr = ch
	c.mu.Unlock()
}

// endQR forgets the pairing ch, unless another took its place, and reports
// whether ch was still the current one.
func (c *Client) endQR(ch <-chan whatsmeow.QRChannelItem) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.qr != ch {
		return false
	}
	c.qr = nil
	return true
}

// runQR follows the QR pairing begun with ch to its end: each code is a
// pairing change carrying the code, success connects, anything else
// disconnects with the reason. It takes the channel (not the client) so
// tests can drive it with their own.
func (c *Client) runQR(ch <-chan whatsmeow.QRChannelItem, phone func() string) {
	for item := range ch {
		var cc *app.ConnectionChange
		switch item.Event {
		case whatsmeow.QRChannelEventCode:
			c.mu.Lock()
			current := c.qr == ch
			c.mu.Unlock()
			if current {
				c.report(&app.ConnectionChange{State: app.ConnPairing, QR: item.Code})
			}
			continue
		case whatsmeow.QRChannelSuccess.Event:
			cc = &app.ConnectionChange{State: app.ConnConnected, Reason: "paired", Phone: phone()}
		default:
			cc = &app.ConnectionChange{State: app.ConnDisconnected, Reason: qrFailure(item)}
		}
		if c.endQR(ch) {
			c.report(cc)
		}
		return
	}
	// Closed without an outcome: the pairing was cancelled (Stop, or a new
	// pairing took over).
	c.endQR(ch)
}

// qrFailure says in words why a QR pairing ended without a number.
func qrFailure(item whatsmeow.QRChannelItem) string {
	switch item.Event {
	case whatsmeow.QRChannelTimeout.Event:
		return "the QR code was not scanned in time"
	case whatsmeow.QRChannelClientOutdated.Event:
		return "WhatsApp refused this client version; update Smartbot"
	case whatsmeow.QRChannelScannedWithoutMultidevice.Event:
		return "the phone scanned the code without multi-device support"
	case whatsmeow.QRChannelErrUnexpectedEvent.Event:
		return "pairing ended unexpectedly"
	case whatsmeow.QRChannelEventError:
		return fmt.Sprintf("pairing failed: %v", item.Error)
	}
	return "pairing failed: " + item.Event
}

// PairPhone starts pairing by phone number and returns the code to type
// into WhatsApp on that phone ("Link with phone number instead").
func (c *Client) PairPhone(ctx context.Context, phone string) (string, error) {
	if !app.ValidPhone(phone) {
		return "", &app.Error{Code: app.EINVALID, Message: "the phone number must be in E.164 form, like +263771234567"}
	}
	wa, err := c.forPairing()
	if err != nil {
		return "", err
	}
	if !wa.IsConnected() {
		if err := wa.Connect(); err != nil {
			return "", fmt.Errorf("whatsapp: pair by phone: %w: %v", app.ErrNotConnected, err)
		}
	}
	// The display name must look like "Browser (OS)": WhatsApp checks it.
	code, err := wa.PairPhone(ctx, phone, true, whatsmeow.PairClientChrome, "Chrome (Linux)")
	if err != nil {
		return "", fmt.Errorf("whatsapp: pair by phone: %w", err)
	}
	c.report(&app.ConnectionChange{State: app.ConnPairing, Reason: "waiting for the code to be entered on " + phone})
	return code, nil
}

// forPairing returns a whatsmeow client ready to pair: a fresh device, since
// one that was logged out must not be reused.
func (c *Client) forPairing() (*whatsmeow.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wa.Store.ID != nil {
		return nil, errPaired
	}
	if !c.started {
		return nil, errors.New("whatsapp: not started")
	}
	c.replaceLocked(c.container.NewDevice())
	return c.wa, nil
}

// replaceLocked swaps in a whatsmeow client for device, moving our event
// handler to it. The caller holds c.mu and has started the client.
func (c *Client) replaceLocked(device *wastore.Device) {
	old, oldID := c.wa, c.handlerID
	// RemoveEventHandler waits for running handlers, which may be waiting
	// for c.mu: do it in the background.
	go func() {
		old.RemoveEventHandler(oldID)
		old.Disconnect()
	}()
	c.wa = c.newWhatsmeow(device)
	c.handlerID = c.wa.AddEventHandlerWithSuccessStatus(c.onEvent)
}

// Logout unlinks this device from the number (when WhatsApp can be told)
// and forgets the session either way.
func (c *Client) Logout(ctx context.Context) error {
	wa := c.current()
	if wa.Store.ID == nil {
		return app.ErrNotPaired
	}
	if wa.IsConnected() {
		if err := wa.Logout(ctx); err != nil {
			return fmt.Errorf("whatsapp: logout: %w", err)
		}
	} else {
		// WhatsApp cannot be told now; the phone still lists the device
		// until the owner removes it there.
		wa.Disconnect()
		if err := wa.Store.Delete(ctx); err != nil {
			return fmt.Errorf("whatsapp: logout: forget the session: %w", err)
		}
	}
	c.report(&app.ConnectionChange{State: app.ConnLoggedOut, Reason: "logged out from Smartbot"})
	return nil
}
