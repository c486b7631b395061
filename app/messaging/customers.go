package messaging

import (
	"context"

	"smartbot/app"
	"smartbot/store"
)

// AddCustomer makes sure the customer with the phone number (E.164)
// exists, named name when the shop has not named it yet. simulated marks a
// test customer of the simulator.
func (s *Service) AddCustomer(ctx context.Context, phone, name string, simulated bool) (c app.Customer, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		c, err = s.AddCustomerTx(ctx, tx, phone, name, simulated)
		return err
	})
	return c, err
}

// AddCustomerTx is AddCustomer inside tx.
func (s *Service) AddCustomerTx(ctx context.Context, tx *store.Tx, phone, name string, simulated bool) (app.Customer, error) {
	if !app.ValidPhone(phone) {
		return app.Customer{}, app.Invalid(app.FieldError{Field: "phone", Message: "must be a phone number in E.164 form, like +263771234567"})
	}
	if e := app.CheckText("name", name, 200, false); e != nil {
		return app.Customer{}, app.Invalid(*e)
	}
	c, err := tx.CustomerByPhone(ctx, phone)
	if app.ErrorCode(err) != app.ENOTFOUND {
		return c, err
	}
	c, err = tx.CustomerForPeer(ctx, app.Peer{Chat: app.UserJID(phone), Phone: phone, Name: name}, simulated, false)
	if err != nil {
		return c, err
	}
	return c, tx.Audit(ctx, app.AuditEntry{Action: "customer.create", EntityType: "customer", EntityID: c.ID, After: c})
}

// SetHandover hands the customer's chat to staff (on: the bot stays quiet)
// or back to the bot.
func (s *Service) SetHandover(ctx context.Context, customerID string, on bool) (c app.Customer, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		c, err = s.SetHandoverTx(ctx, tx, customerID, on)
		return err
	})
	return c, err
}

// SetHandoverTx is SetHandover inside tx.
func (s *Service) SetHandoverTx(ctx context.Context, tx *store.Tx, customerID string, on bool) (app.Customer, error) {
	if !app.ValidID(app.PrefixCustomer, customerID) {
		return app.Customer{}, app.Errorf(app.ENOTFOUND, "customer %s not found", customerID)
	}
	return tx.SetHandover(ctx, customerID, on)
}

// MarkRead records that staff saw the customer's chat: its inbound
// messages are no longer counted unread. It tells WhatsApp too (blue
// ticks), when a transport is connected; a failure there is not an error
// of the shop's.
func (s *Service) MarkRead(ctx context.Context, customerID string) error {
	if !app.ValidID(app.PrefixCustomer, customerID) {
		return app.Errorf(app.ENOTFOUND, "customer %s not found", customerID)
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error { return tx.MarkConversationRead(ctx, customerID) })
	if err != nil {
		return err
	}
	unread, _, err := s.db.ListMessages(ctx, store.MessageFilter{CustomerID: customerID, Direction: app.DirectionIn, Limit: 20})
	if err != nil || len(unread) == 0 {
		return err
	}
	if t := s.Transport(); t != nil && s.Status().State == app.ConnConnected {
		ids := make([]string, 0, len(unread))
		for _, m := range unread {
			ids = append(ids, m.WAID)
		}
		if err := t.MarkRead(ctx, unread[0].Chat, unread[0].Chat, ids); err != nil {
			s.log.Info("could not mark messages read on WhatsApp", "customer", customerID, "error", err)
		}
	}
	return nil
}
