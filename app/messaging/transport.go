package messaging

import (
	"context"

	"smartbot/app"
	"smartbot/store"
)

// Chosen is the transport the shop's settings choose: the simulator until
// the owner switches to WhatsApp.
func (s *Service) Chosen(ctx context.Context) (string, error) {
	name := app.TransportSimulator
	if err := s.db.Setting(ctx, app.SettingTransport, &name); err != nil && app.ErrorCode(err) != app.ENOTFOUND {
		return "", err
	}
	return name, nil
}

// Start puts the chosen transport to work.
func (s *Service) Start(ctx context.Context) error {
	name, err := s.Chosen(ctx)
	if err != nil {
		return err
	}
	t, ok := s.transports[name]
	if !ok {
		return app.Errorf(app.EUNAVAILABLE, "the %s transport is not available in this build", name)
	}
	return s.Use(ctx, t)
}

// Choose switches to the transport called name (whatsapp or simulator),
// records the choice in settings and starts it. Messages queued meanwhile
// wait and go out through the new one.
func (s *Service) Choose(ctx context.Context, name string) error {
	t, ok := s.transports[name]
	if !ok {
		return app.Invalid(app.FieldError{Field: "transport", Message: "must be whatsapp or simulator"})
	}
	if err := s.db.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(ctx, app.SettingTransport, name) }); err != nil {
		return err
	}
	if s.Transport() == t {
		return nil
	}
	return s.Use(ctx, t)
}
