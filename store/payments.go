package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"smartbot/app"
)

// A payment row's status column predates refunds-as-rows: every row this
// package writes is a settled movement of money, "succeeded"; a refund is
// a row with refund = 1.
const paymentSucceeded = "succeeded"

const paymentColumns = `id, order_id, amount, currency, method, provider, reference, refund, reason, recorded_by, coalesce(paid_at, created_at), created_at`

func scanPayment(scan func(...any) error) (app.Payment, error) {
	var p app.Payment
	var paid, created string
	err := scan(&p.ID, &p.OrderID, &p.Amount, &p.Currency, &p.Method, &p.Provider, &p.Reference, &p.Refund, &p.Reason, &p.RecordedBy, &paid, &created)
	p.PaidAt, p.CreatedAt = ts(paid), ts(created)
	return p, err
}

// CreatePayment stores p (its ID set; a zero PaidAt means now) and audits
// it as payment.record, or payment.refund for a refund. A (provider,
// reference) pair already recorded is ECONFLICT: callers that want a
// repeat to be harmless look it up first with PaymentByReference.
func (tx *Tx) CreatePayment(ctx context.Context, p *app.Payment) error {
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	p.CreatedAt = now
	if p.PaidAt.IsZero() {
		p.PaidAt = now
	}
	p.PaidAt = p.PaidAt.UTC().Truncate(time.Millisecond)
	_, err := tx.ExecContext(ctx, `
		insert into payments (id, order_id, amount, currency, method, provider, reference, refund, reason, recorded_by, status, paid_at, created_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.OrderID, p.Amount, p.Currency, p.Method, p.Provider, p.Reference, p.Refund, p.Reason, p.RecordedBy,
		paymentSucceeded, app.FormatTime(p.PaidAt), app.FormatTime(now))
	if err != nil {
		err = mapError(err)
		if app.ErrorCode(err) == app.ECONFLICT {
			return &app.Error{Code: app.ECONFLICT, Message: fmt.Sprintf("provider %s already has a payment with reference %s", p.Provider, p.Reference),
				Fields: []app.FieldError{{Field: "reference", Message: "is already recorded for this provider"}}, Err: err}
		}
		return fmt.Errorf("store: create payment %s: %w", p.ID, err)
	}
	action := "payment.record"
	if p.Refund {
		action = "payment.refund"
	}
	return tx.Audit(ctx, app.AuditEntry{Action: action, EntityType: "payment", EntityID: p.ID, After: p})
}

// PaymentByReference returns the payment provider recorded as reference,
// read inside tx so that a repeat in the same transaction sees it.
func (tx *Tx) PaymentByReference(ctx context.Context, provider, reference string) (app.Payment, error) {
	p, err := scanPayment(tx.QueryRowContext(ctx, `select `+paymentColumns+` from payments where provider = ? and reference = ?`, provider, reference).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound("payment", provider+"/"+reference)
	}
	if err != nil {
		return p, fmt.Errorf("store: get payment %s/%s: %w", provider, reference, err)
	}
	return p, nil
}

// PaymentTotals is what an order was paid and refunded.
type PaymentTotals struct {
	Paid     int64
	Refunded int64
	// LastMethod is the method of the latest payment (not refund), "" when
	// there is none: a refund goes back the way the money came.
	LastMethod string
}

// OrderPaymentTotals sums order id's payments and refunds inside tx.
func (tx *Tx) OrderPaymentTotals(ctx context.Context, orderID string) (PaymentTotals, error) {
	var t PaymentTotals
	err := tx.QueryRowContext(ctx, `
		select coalesce(sum(case when refund = 0 then amount end), 0),
		       coalesce(sum(case when refund = 1 then amount end), 0),
		       coalesce((select method from payments where order_id = ?1 and refund = 0 order by paid_at desc, id desc limit 1), '')
		from payments where order_id = ?1`, orderID).Scan(&t.Paid, &t.Refunded, &t.LastMethod)
	if err != nil {
		return t, fmt.Errorf("store: payment totals of order %s: %w", orderID, err)
	}
	return t, nil
}

// OrderPayments lists order id's payments and refunds, latest first.
func (db *DB) OrderPayments(ctx context.Context, orderID string) ([]app.Payment, error) {
	list, _, err := db.ListPayments(ctx, PaymentFilter{OrderID: orderID, Limit: 500})
	return list, err
}

// PaymentFilter narrows ListPayments. Empty fields match everything. From
// is inclusive and To exclusive, on paid_at. Cursor is the id of the last
// payment of the previous page.
type PaymentFilter struct {
	OrderID string
	Method  string
	From    *time.Time
	To      *time.Time
	Cursor  string
	Limit   int
}

// ListPayments lists payments and refunds by when the money moved, latest
// first, and the cursor of the next page ("" on the last). Pages follow
// the (paid_at, id) indexes, never an offset.
func (db *DB) ListPayments(ctx context.Context, f PaymentFilter) ([]app.Payment, string, error) {
	var where []string
	var args []any
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	if f.OrderID != "" {
		add("order_id = ?", f.OrderID)
	}
	if f.Method != "" {
		add("method = ?", f.Method)
	}
	if f.From != nil {
		add("paid_at >= ?", app.FormatTime(*f.From))
	}
	if f.To != nil {
		add("paid_at < ?", app.FormatTime(*f.To))
	}
	if f.Cursor != "" {
		var paid sql.NullString
		err := db.queryRow(ctx, `select paid_at from payments where id = ?`, f.Cursor).Scan(&paid)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !paid.Valid) {
			return nil, "", app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out; use next_cursor from the previous page"})
		}
		if err != nil {
			return nil, "", fmt.Errorf("store: list payments: %w", err)
		}
		add("(paid_at, id) < (?, ?)", paid.String, f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q := `select ` + paymentColumns + ` from payments`
	if len(where) > 0 {
		q += " where " + strings.Join(where, " and ")
	}
	q += " order by paid_at desc, id desc limit ?"
	args = append(args, limit+1)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list payments: %w", err)
	}
	defer rows.Close()
	out := []app.Payment{}
	for rows.Next() {
		p, err := scanPayment(rows.Scan)
		if err != nil {
			return nil, "", fmt.Errorf("store: list payments: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list payments: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// InboundSecret is the HMAC secret signed payment notifications are
// checked with. After a rotation the previous secret stays valid until
// PreviousUntil, so the shop can update its provider without losing a
// notification in between.
type InboundSecret struct {
	Secret        string     `json:"secret"`
	CreatedAt     time.Time  `json:"created_at"`
	Previous      string     `json:"previous,omitempty"`
	PreviousUntil *time.Time `json:"previous_until,omitempty"`
}

// InboundPaymentSecret returns the inbound payment secret; ENOTFOUND when
// the owner has not made one.
func (db *DB) InboundPaymentSecret(ctx context.Context) (InboundSecret, error) {
	var s InboundSecret
	err := db.Setting(ctx, app.SettingInboundPaymentSecret, &s)
	if err == nil && s.Secret == "" {
		err = notFound("setting", app.SettingInboundPaymentSecret)
	}
	return s, err
}

// SetInboundPaymentSecret stores s and audits the rotation. Unlike
// SetSetting, the audit row holds when the secret was made and until when
// the previous one works, never a secret.
func (tx *Tx) SetInboundPaymentSecret(ctx context.Context, s InboundSecret) error {
	var before sql.NullString
	err := tx.QueryRowContext(ctx, `select json_object('created_at', value ->> 'created_at') from settings where key = ?`,
		app.SettingInboundPaymentSecret).Scan(&before)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: set inbound payment secret: %w", err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("store: set inbound payment secret: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		insert into settings (key, value, updated_at) values (?, ?, ?)
		on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
		app.SettingInboundPaymentSecret, string(b), app.FormatTime(tx.db.now()))
	if err != nil {
		return fmt.Errorf("store: set inbound payment secret: %w", mapError(err))
	}
	type shown struct {
		CreatedAt     time.Time  `json:"created_at"`
		PreviousUntil *time.Time `json:"previous_until"`
	}
	entry := app.AuditEntry{Action: "payment.inbound_secret_rotate", EntityType: "setting", EntityID: app.SettingInboundPaymentSecret,
		After: shown{CreatedAt: s.CreatedAt, PreviousUntil: s.PreviousUntil}}
	if before.Valid {
		entry.Before = json.RawMessage(before.String)
	}
	return tx.Audit(ctx, entry)
}
