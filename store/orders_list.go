package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"smartbot/app"
)

// OrderFilter narrows ListOrders. Empty fields match everything.
type OrderFilter struct {
	Status        string
	PaymentStatus string
	CustomerID    string
	Fulfilment    string
	// Search is an order number (SB-000123, or just 123) or a customer's
	// phone number in E.164; it matches exactly, so the indexes serve it.
	Search string
	// From and To bound the creation time: From ≤ created_at < To.
	From, To time.Time
	Limit    int // clamped: 50 when unset, 500 at most
	// Cursor is the next value a previous page returned.
	Cursor string
}

// ListOrders lists orders newest first, with their items (not their
// timelines), and the cursor of the next page ("" on the last). Pages are
// read from (created_at, id) on, so a deep page costs what the first does:
// each filter has an index that leads with its column (0005, 0006).
func (db *DB) ListOrders(ctx context.Context, f OrderFilter) (list []app.Order, next string, err error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.Status != "" {
		add(`o.status = ?`, f.Status)
	}
	if f.PaymentStatus != "" {
		add(`o.payment_status = ?`, f.PaymentStatus)
	}
	if f.CustomerID != "" {
		add(`o.customer_id = ?`, f.CustomerID)
	}
	if f.Fulfilment != "" {
		add(`o.fulfilment = ?`, f.Fulfilment)
	}
	if s := strings.TrimSpace(f.Search); s != "" {
		number, phone := searchTerms(s)
		// Two indexed lookups (the number's and the customer's pages)
		// rather than a scan testing both.
		add(`o.rowid in (select rowid from orders where number = ? union all
			select rowid from orders where customer_id = (select id from customers where phone = ?))`, number, phone)
	}
	// With a filter whose index leads, the dates only bound that index's
	// walk: the unary + keeps SQLite's planner from choosing the date
	// index instead and filtering a long stretch of it.
	created := `o.created_at`
	if f.Status != "" || f.PaymentStatus != "" || f.CustomerID != "" {
		created = `+o.created_at`
	}
	if !f.From.IsZero() {
		add(created+` >= ?`, app.FormatTime(f.From))
	}
	if !f.To.IsZero() {
		add(created+` < ?`, app.FormatTime(f.To))
	}
	if f.Cursor != "" {
		at, id, ok := strings.Cut(f.Cursor, ",")
		if !ok || !app.ValidID(app.PrefixOrder, id) {
			return nil, "", app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out; use next_cursor from the previous page"})
		}
		// The first term is the index range the page starts at; the
		// second steps over the orders of that same millisecond already
		// shown.
		add(`o.created_at <= ? and (o.created_at < ? or o.id < ?)`, at, at, id)
	}
	// The page is chosen from orders alone, on their indexes, and only
	// its rows are joined to their customers.
	q := `select id from orders o`
	if len(where) > 0 {
		q += ` where ` + strings.Join(where, ` and `)
	}
	limit := clampLimit(f.Limit)
	q = `select ` + orderColumns + orderFrom + ` where o.id in (` + q + ` order by o.created_at desc, o.id desc limit ?)
		order by o.created_at desc, o.id desc`
	args = append(args, limit+1)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list orders: %w", err)
	}
	list = []app.Order{}
	for rows.Next() {
		o, err := scanOrder(rows.Scan)
		if err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("store: list orders: %w", err)
		}
		list = append(list, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list orders: %w", err)
	}
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		next = app.FormatTime(last.CreatedAt) + "," + last.ID
	}
	ids := make([]string, len(list))
	for i, o := range list {
		ids[i] = o.ID
	}
	items, err := orderItems(ctx, db.query, ids...)
	if err != nil {
		return nil, "", err
	}
	for i := range list {
		list[i].Items = items[list[i].ID]
	}
	return list, next, nil
}

// searchTerms reads a search as an order number and as a phone number:
// "123" is SB-000123 and +123…; "sb-000123" is SB-000123.
func searchTerms(s string) (number, phone string) {
	number, phone = strings.ToUpper(s), s
	digits := strings.TrimLeft(s, "+")
	if digits != "" && strings.Trim(digits, "0123456789") == "" {
		phone = "+" + digits
		if len(digits) <= 9 && !strings.HasPrefix(s, "+") {
			var n int64
			fmt.Sscan(digits, &n)
			number = app.OrderNumber(n)
		}
	}
	return number, phone
}
