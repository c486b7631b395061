package messaging

import (
	"context"
	"errors"
	"strings"

	"smartbot/app"
	"smartbot/store"
)

// PairQR starts pairing the shop's number with QR codes; each code arrives
// in Status (and to watchers) as it rotates. The start is audited.
func (s *Service) PairQR(ctx context.Context) error {
	t, err := s.pairable("pair a number")
	if err != nil {
		return err
	}
	if err := t.PairQR(ctx); err != nil {
		return pairingError(err)
	}
	return s.auditConnection(ctx, "whatsapp.pair", map[string]string{"method": "qr"})
}

// PairPhone starts pairing the number phone (E.164) by code and returns
// the code to type into WhatsApp on that phone. The start is audited; the
// code is not kept.
func (s *Service) PairPhone(ctx context.Context, phone string) (string, error) {
	if !app.ValidPhone(phone) {
		return "", app.Invalid(app.FieldError{Field: "phone", Message: "must be the shop's number with + and the country code, like +263771234567"})
	}
	t, err := s.pairable("pair a number")
	if err != nil {
		return "", err
	}
	code, err := t.PairPhone(ctx, phone)
	if err != nil {
		return "", pairingError(err)
	}
	return code, s.auditConnection(ctx, "whatsapp.pair", map[string]string{"method": "phone", "phone": phone})
}

// Logout unlinks Smartbot from the shop's number. Queued messages stay
// queued until a number is paired again.
func (s *Service) Logout(ctx context.Context) error {
	t, err := s.real("log out")
	if err != nil {
		return err
	}
	phone := s.Status().Phone
	if err := t.Logout(ctx); err != nil {
		return pairingError(err)
	}
	return s.auditConnection(ctx, "whatsapp.logout", map[string]string{"phone": phone})
}

// real is the transport in use when it is the shop's WhatsApp: the
// simulator has no number to pair or log out of.
func (s *Service) real(doing string) (app.Transport, error) {
	t := s.Transport()
	if t == nil {
		return nil, app.Errorf(app.ECONFLICT, "no WhatsApp connection is running; choose the whatsapp transport in settings to %s", doing)
	}
	if t.Status().Transport == app.TransportSimulator {
		return nil, app.Errorf(app.ECONFLICT, "the simulator needs no pairing and has no number to log out of: choose the whatsapp transport in settings to %s", doing)
	}
	return t, nil
}

// pairable is real, refused too while a number is connected.
func (s *Service) pairable(doing string) (app.Transport, error) {
	t, err := s.real(doing)
	if err != nil {
		return nil, err
	}
	if st := s.Status(); st.State == app.ConnConnected {
		phone := st.Phone
		if phone == "" {
			phone = "a number"
		}
		return nil, app.Errorf(app.ECONFLICT, "%s is paired and connected; log out first to pair another number", phone)
	}
	return t, nil
}

// pairingError turns what the transport said into an error for people:
// WhatsApp out of reach is worth a retry; a refusal says why.
func pairingError(err error) error {
	var ae *app.Error
	switch {
	case errors.As(err, &ae):
		return err
	case errors.Is(err, app.ErrNotConnected):
		return &app.Error{Code: app.EUNAVAILABLE, Message: "WhatsApp could not be reached; try again in a minute", Err: err}
	case errors.Is(err, app.ErrNotPaired):
		return &app.Error{Code: app.ECONFLICT, Message: "no WhatsApp number is paired", Err: err}
	}
	return &app.Error{Code: app.ECONFLICT, Message: "WhatsApp refused: " + strings.TrimPrefix(err.Error(), "whatsapp: "), Err: err}
}

// auditConnection records who paired or logged out. It runs after the
// transport call, never inside a transaction around it: the whatsmeow
// transport writes its own tables through the same single connection.
func (s *Service) auditConnection(ctx context.Context, action string, detail map[string]string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		return tx.Audit(ctx, app.AuditEntry{Action: action, EntityType: "whatsapp", EntityID: "session", After: detail})
	})
}
