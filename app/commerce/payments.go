package commerce

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"smartbot/app"
	"smartbot/store"
)

// Payments. Money received for an order is a payments row; money given
// back is a row with refund set and a reason. The order's paid (net of
// refunds) and payment_status follow from the rows (app.PaymentStatusOf)
// and change in the same transaction as the row, with its audit rows and,
// for money received, the payment_received event and the customer's
// notice.
//
// A cancelled order takes no new payment (staff would be recording a
// mistake, and a provider's report of one is refused and audited, so the
// owner sees money to give back), but its payments can still be refunded:
// that is what cancelling a paid order usually needs.

// NewPayment is a payment to record.
type NewPayment struct {
	// Order is the order's id (ord_…) or number (SB-000123).
	Order string
	// Amount is in minor units of Currency (1250 for 12.50), above zero.
	Amount int64
	// Currency must be the order's.
	Currency string
	// Method is one of app.PaymentMethods.
	Method string
	// Provider and Reference name the payment at its source; a pair
	// already recorded is that payment, not a new one. Provider defaults to
	// the method; Reference to the payment's own id, for a payment staff
	// took without one (cash).
	Provider  string
	Reference string
	// PaidAt is when the money came; nil means now.
	PaidAt *time.Time

	// recordedBy replaces the actor as recorded_by: "inbound" for a
	// signed notification.
	recordedBy string
}

// PaymentClockSkew is how far in the future a payment's paid_at may be:
// clocks differ, but a payment next week is a typing mistake.
const PaymentClockSkew = 5 * time.Minute

// RecordPayment records a payment of an order and returns it. created is
// false when the payment's provider and reference were recorded already:
// that first payment is returned and nothing is recorded. The same pair
// for another order, amount or currency is ECONFLICT.
func (s *Service) RecordPayment(ctx context.Context, in NewPayment) (p app.Payment, created bool, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		p, created, err = s.RecordPaymentTx(ctx, tx, in)
		return err
	})
	return p, created, err
}

// RecordPaymentTx is RecordPayment inside tx.
func (s *Service) RecordPaymentTx(ctx context.Context, tx *store.Tx, in NewPayment) (app.Payment, bool, error) {
	p, err := s.checkPayment(in)
	if err != nil {
		return p, false, err
	}
	o, err := orderOf(ctx, tx, in.Order)
	if err != nil {
		return p, false, err
	}
	first, err := tx.PaymentByReference(ctx, p.Provider, p.Reference)
	switch {
	case err == nil && !first.Refund && first.OrderID == o.ID && first.Amount == p.Amount && first.Currency == p.Currency:
		return first, false, nil
	case err == nil:
		return p, false, &app.Error{Code: app.ECONFLICT,
			Message: fmt.Sprintf("provider %s's reference %s is already recorded for another payment (%d %s); a repeat must name the same order, amount and currency",
				p.Provider, p.Reference, first.Amount, first.Currency),
			Fields: []app.FieldError{{Field: "reference", Message: "is already recorded for another payment"}}}
	case app.ErrorCode(err) != app.ENOTFOUND:
		return p, false, err
	}
	if o.Currency != p.Currency {
		return p, false, app.Invalid(app.FieldError{Field: "currency", Message: fmt.Sprintf("is %s, but order %s is in %s", p.Currency, o.Number, o.Currency)})
	}
	if o.Status == app.OrderCancelled {
		return p, false, &app.Error{Code: app.ECONFLICT, Message: fmt.Sprintf("order %s is cancelled: it takes no new payment (its payments can still be refunded)", o.Number)}
	}
	p.OrderID = o.ID
	if p.RecordedBy = in.recordedBy; p.RecordedBy == "" {
		p.RecordedBy = actorRef(ctx)
	}
	if err := tx.CreatePayment(ctx, &p); err != nil {
		return p, false, err
	}
	if err := s.settle(ctx, tx, o); err != nil {
		return p, false, err
	}
	_, err = s.emitter.Emit(ctx, tx, app.PaymentReceivedData{PaymentID: p.ID, OrderID: o.ID, OrderNumber: o.Number, Amount: p.Amount,
		Currency: p.Currency, Provider: p.Provider, Reference: p.Reference, PaidAt: app.FormatTime(p.PaidAt)})
	if err != nil {
		return p, false, err
	}
	return p, true, s.NotifyTx(ctx, tx, o.ID, NoticePaymentReceived, p.ID)
}

// checkPayment validates in and returns the payment it describes, without
// its order.
func (s *Service) checkPayment(in NewPayment) (app.Payment, error) {
	p := app.Payment{ID: app.NewID(app.PrefixPayment), Amount: in.Amount, Method: in.Method, Provider: strings.TrimSpace(in.Provider),
		Reference: strings.TrimSpace(in.Reference)}
	var errs []app.FieldError
	if strings.TrimSpace(in.Order) == "" {
		errs = append(errs, app.FieldError{Field: "order", Message: "is required: the order's id (ord_…) or number (SB-000123)"})
	}
	if in.Amount <= 0 {
		errs = append(errs, app.FieldError{Field: "amount", Message: "must be above zero, in minor units (1250 for 12.50)"})
	}
	cur, fe := app.ValidateCurrency("currency", in.Currency)
	if fe != nil {
		errs = append(errs, *fe)
	}
	p.Currency = cur
	if !slices.Contains(app.PaymentMethods, in.Method) {
		errs = append(errs, app.FieldError{Field: "method", Message: "must be one of " + strings.Join(app.PaymentMethods, ", ")})
	}
	if p.Provider == "" {
		p.Provider = in.Method
	}
	if p.Reference == "" {
		p.Reference = p.ID
	}
	for _, fe := range []*app.FieldError{app.CheckText("provider", p.Provider, 64, false), app.CheckText("reference", p.Reference, 255, false)} {
		if fe != nil {
			errs = append(errs, *fe)
		}
	}
	if in.PaidAt != nil {
		if in.PaidAt.After(s.now().Add(PaymentClockSkew)) {
			errs = append(errs, app.FieldError{Field: "paid_at", Message: "is in the future; give when the money came, or leave it out for now"})
		}
		p.PaidAt = *in.PaidAt
	}
	if len(errs) > 0 {
		return p, app.Invalid(errs...)
	}
	if p.PaidAt.IsZero() {
		p.PaidAt = s.now()
	}
	return p, nil
}

// Refund records money given back for order (id or number): amount in the
// order's currency, at most what was paid and not yet refunded, with a
// reason. The refund goes back by the method of the latest payment. It
// moves the payment status to refunded or back to partially_paid; it
// emits no event (payment_received is for money received).
func (s *Service) Refund(ctx context.Context, order string, amount int64, reason string) (p app.Payment, err error) {
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		p, err = s.RefundTx(ctx, tx, order, amount, reason)
		return err
	})
	return p, err
}

// RefundTx is Refund inside tx.
func (s *Service) RefundTx(ctx context.Context, tx *store.Tx, order string, amount int64, reason string) (app.Payment, error) {
	reason = strings.TrimSpace(reason)
	var errs []app.FieldError
	if amount <= 0 {
		errs = append(errs, app.FieldError{Field: "amount", Message: "must be above zero, in minor units (1250 for 12.50)"})
	}
	if fe := app.CheckText("reason", reason, 500, true); fe != nil {
		errs = append(errs, *fe)
	} else if reason == "" {
		errs = append(errs, app.FieldError{Field: "reason", Message: "is required: say why the money goes back"})
	}
	if len(errs) > 0 {
		return app.Payment{}, app.Invalid(errs...)
	}
	o, err := orderOf(ctx, tx, order)
	if err != nil {
		return app.Payment{}, err
	}
	t, err := tx.OrderPaymentTotals(ctx, o.ID)
	if err != nil {
		return app.Payment{}, err
	}
	if left := t.Paid - t.Refunded; amount > left {
		return app.Payment{}, app.Invalid(app.FieldError{Field: "amount",
			Message: fmt.Sprintf("is more than the %d %s that can be refunded (%d paid, %d refunded already)", left, o.Currency, t.Paid, t.Refunded)})
	}
	id := app.NewID(app.PrefixPayment)
	p := app.Payment{ID: id, OrderID: o.ID, Amount: amount, Currency: o.Currency, Method: t.LastMethod, Provider: "refund", Reference: id,
		Refund: true, Reason: reason, RecordedBy: actorRef(ctx), PaidAt: s.now()}
	if err := tx.CreatePayment(ctx, &p); err != nil {
		return p, err
	}
	return p, s.settle(ctx, tx, o)
}

// settle stores order o's paid and payment status as its payments now
// make them.
func (s *Service) settle(ctx context.Context, tx *store.Tx, o app.Order) error {
	t, err := tx.OrderPaymentTotals(ctx, o.ID)
	if err != nil {
		return err
	}
	return tx.SetOrderPayment(ctx, o.ID, t.Paid-t.Refunded, app.PaymentStatusOf(o.Total, t.Paid, t.Refunded))
}

// orderOf reads the order ref names: an id (ord_…) or a number
// (SB-000123, in any case).
func orderOf(ctx context.Context, tx *store.Tx, ref string) (app.Order, error) {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, app.PrefixOrder) {
		return tx.Order(ctx, ref)
	}
	return tx.OrderByNumber(ctx, strings.ToUpper(ref))
}

// PaymentSummary is an order's payments with what they add up to.
type PaymentSummary struct {
	OrderID       string        `json:"order_id"`
	OrderNumber   string        `json:"order_number"`
	Currency      string        `json:"currency"`
	Total         int64         `json:"total"`
	Paid          int64         `json:"paid"`
	Refunded      int64         `json:"refunded"`
	Balance       int64         `json:"balance"`
	PaymentStatus string        `json:"payment_status"`
	Data          []app.Payment `json:"data"`
}

// OrderPayments lists the payments and refunds of order (id or number),
// latest first, with their sums. Balance is what is still to pay (below
// zero when more was paid than the total).
func (s *Service) OrderPayments(ctx context.Context, order string) (PaymentSummary, error) {
	order = strings.TrimSpace(order)
	var o app.Order
	var err error
	if strings.HasPrefix(order, app.PrefixOrder) {
		o, err = s.db.Order(ctx, order)
	} else {
		o, err = s.db.OrderByNumber(ctx, strings.ToUpper(order))
	}
	if err != nil {
		return PaymentSummary{}, err
	}
	list, err := s.db.OrderPayments(ctx, o.ID)
	if err != nil {
		return PaymentSummary{}, err
	}
	sum := PaymentSummary{OrderID: o.ID, OrderNumber: o.Number, Currency: o.Currency, Total: o.Total, PaymentStatus: o.PaymentStatus, Data: list}
	for _, p := range list {
		if p.Refund {
			sum.Refunded += p.Amount
		} else {
			sum.Paid += p.Amount
		}
	}
	sum.Balance = o.Total - (sum.Paid - sum.Refunded)
	return sum, nil
}
