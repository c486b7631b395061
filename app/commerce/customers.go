package commerce

import (
	"context"
	"strings"

	"smartbot/app"
	"smartbot/store"
)

// CustomerChanges is what staff may change of a customer, with PATCH
// semantics: a nil field stays as it is. Who the customer is on WhatsApp
// (phone, LID, chat) is WhatsApp's to say, not staff's.
type CustomerChanges struct {
	// Name is how the shop calls the customer; "" lets the next WhatsApp
	// message fill in the customer's own display name.
	Name  *string
	Notes *string
	// MarketingOptOut stops messages that are not about the customer's
	// own orders.
	MarketingOptOut *bool
}

// apply returns c with the changes made, validated.
func (ch CustomerChanges) apply(c app.Customer) (app.Customer, error) {
	var errs []app.FieldError
	if ch.Name != nil {
		c.Name = strings.TrimSpace(*ch.Name)
		if fe := app.CheckText("name", c.Name, 200, false); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if ch.Notes != nil {
		c.Notes = *ch.Notes
		if fe := app.CheckText("notes", c.Notes, 4000, true); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if ch.MarketingOptOut != nil {
		c.OptOut = *ch.MarketingOptOut
	}
	if len(errs) > 0 {
		return c, app.Invalid(errs...)
	}
	return c, nil
}

// UpdateCustomer changes customer id as ch says, audited. A change that
// changes nothing writes nothing.
func (s *Service) UpdateCustomer(ctx context.Context, id string, ch CustomerChanges) (c app.Customer, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		c, err = s.UpdateCustomerTx(ctx, tx, id, ch)
		return err
	})
	return c, err
}

// UpdateCustomerTx is UpdateCustomer inside tx.
func (s *Service) UpdateCustomerTx(ctx context.Context, tx *store.Tx, id string, ch CustomerChanges) (app.Customer, error) {
	before, err := tx.Customer(ctx, id)
	if err != nil {
		return before, err
	}
	after, err := ch.apply(before)
	if err != nil {
		return before, err
	}
	if after.Name == before.Name && after.Notes == before.Notes && after.OptOut == before.OptOut {
		return after, nil
	}
	return after, tx.UpdateCustomer(ctx, before, &after)
}
