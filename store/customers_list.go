package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"smartbot/app"
)

// The customers API's queries: the list with its search, a customer's
// orders, and staff's changes to a customer. (store/customers.go holds
// what the WhatsApp pipeline needs.)

// customerActivity is when a customer was last active: their last message,
// or when they were added for one who never wrote. The list pages by it
// and migration 0009 indexes exactly this expression.
const customerActivity = `coalesce(last_message_at, created_at)`

// CustomerFilter narrows ListCustomers.
type CustomerFilter struct {
	// Search matches a part of the name (ignoring ASCII case) or, by its
	// digits, a part of the phone number: "0771 234" finds +263771234567.
	Search string
	// Simulated: nil lists everyone; true only test customers; false only real ones.
	Simulated *bool
	Limit     int // clamped: 50 when unset, 500 at most
	// Cursor is the id of the last customer of the previous page.
	Cursor string
}

// ListCustomers lists customers, the most recently active first. next is
// the cursor of the following page, "" on the last.
func (db *DB) ListCustomers(ctx context.Context, f CustomerFilter) (list []app.Customer, next string, err error) {
	q := `select ` + customerColumns + ` from customers where 1`
	var args []any
	if s := strings.TrimSpace(f.Search); s != "" {
		like := "%" + likeEscaper.Replace(s) + "%"
		if digits := phoneDigits(s); digits != "" {
			q += ` and (name like ? escape '\' or phone like ?)`
			args = append(args, like, "%"+digits+"%")
		} else {
			q += ` and name like ? escape '\'`
			args = append(args, like)
		}
	}
	if f.Simulated != nil {
		q += ` and simulated = ?`
		args = append(args, *f.Simulated)
	}
	if f.Cursor != "" {
		q += ` and (` + customerActivity + `, id) < (select ` + customerActivity + `, id from customers where id = ?)`
		args = append(args, f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q += ` order by ` + customerActivity + ` desc, id desc limit ?`
	args = append(args, limit+1)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list customers: %w", err)
	}
	defer rows.Close()
	list = []app.Customer{}
	for rows.Next() {
		c, err := scanCustomer(rows.Scan)
		if err != nil {
			return nil, "", fmt.Errorf("store: list customers: %w", err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list customers: %w", err)
	}
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}

// phoneDigits is what a search means as part of a phone number: its
// digits, when it is written like one (digits, spaces, +, -, dots,
// brackets) and has at least three; "" otherwise. A leading 0 of a
// national number is dropped, since stored numbers are E.164.
func phoneDigits(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case strings.ContainsRune(" +-.()", c):
		default:
			return ""
		}
	}
	d := strings.TrimLeft(b.String(), "0")
	if len(d) < 3 {
		return ""
	}
	return d
}

// CustomerOrder is one of a customer's orders as their page lists it.
type CustomerOrder struct {
	ID            string    `json:"id"`
	Number        string    `json:"number"`
	Status        string    `json:"status"`
	PaymentStatus string    `json:"payment_status"`
	Fulfilment    string    `json:"fulfilment"`
	Total         int64     `json:"total"`
	Paid          int64     `json:"paid"`
	Currency      string    `json:"currency"`
	CreatedAt     time.Time `json:"created_at"`
}

// CustomerOrders returns customer id's latest orders, newest first, at
// most limit (clamped as lists are).
func (db *DB) CustomerOrders(ctx context.Context, id string, limit int) ([]CustomerOrder, error) {
	rows, err := db.query(ctx, `select id, number, status, payment_status, fulfilment, total, paid, currency, created_at
		from orders where customer_id = ? order by created_at desc, number desc limit ?`, id, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: orders of customer %s: %w", id, err)
	}
	defer rows.Close()
	list := []CustomerOrder{}
	for rows.Next() {
		var o CustomerOrder
		var created string
		if err := rows.Scan(&o.ID, &o.Number, &o.Status, &o.PaymentStatus, &o.Fulfilment, &o.Total, &o.Paid, &o.Currency, &created); err != nil {
			return nil, fmt.Errorf("store: orders of customer %s: %w", id, err)
		}
		o.CreatedAt = ts(created)
		list = append(list, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: orders of customer %s: %w", id, err)
	}
	return list, nil
}

// UpdateCustomer writes what staff may change of a customer (name, notes,
// marketing opt-out) from c over customer c.ID, which was before, and
// audits the change. c.UpdatedAt is set.
func (tx *Tx) UpdateCustomer(ctx context.Context, before app.Customer, c *app.Customer) error {
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	res, err := tx.ExecContext(ctx, `update customers set name = ?, notes = ?, marketing_opt_out = ?, updated_at = ? where id = ?`,
		c.Name, c.Notes, c.OptOut, app.FormatTime(now), c.ID)
	if err != nil {
		return fmt.Errorf("store: update customer %s: %w", c.ID, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("customer", c.ID)
	}
	c.UpdatedAt = now
	return tx.Audit(ctx, app.AuditEntry{Action: "customer.update", EntityType: "customer", EntityID: c.ID, Before: before, After: c})
}
