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

// Orders: the rows of orders, order_items and order_steps. The commerce
// service decides what may change; these methods store it and audit it.

const orderColumns = `o.id, o.number, o.customer_id, coalesce(c.phone, ''), c.name, o.status, o.payment_status, o.fulfilment,
	o.total, o.paid, o.currency, o.delivery_address, o.notes, o.source, o.stock_reserved, o.problem, o.created_at, o.updated_at`

const orderFrom = ` from orders o join customers c on c.id = o.customer_id`

func scanOrder(scan func(...any) error) (app.Order, error) {
	var o app.Order
	var created, updated string
	err := scan(&o.ID, &o.Number, &o.CustomerID, &o.CustomerPhone, &o.CustomerName, &o.Status, &o.PaymentStatus, &o.Fulfilment,
		&o.Total, &o.Paid, &o.Currency, &o.DeliveryAddress, &o.Notes, &o.Source, &o.StockReserved, &o.Problem, &created, &updated)
	o.CreatedAt, o.UpdatedAt = ts(created), ts(updated)
	o.Items, o.Timeline = []app.OrderItem{}, []app.OrderStep{}
	return o, err
}

// Order returns the order with id, with its items, timeline and the
// customer's phone and name.
func (db *DB) Order(ctx context.Context, id string) (app.Order, error) {
	return order(ctx, db.queryRow, db.query, `o.id = ?`, id)
}

// Order is DB.Order inside tx: what tx has written is seen.
func (tx *Tx) Order(ctx context.Context, id string) (app.Order, error) {
	return order(ctx, tx.queryRow, tx.query, `o.id = ?`, id)
}

// The reads of one order by id, which every order job and status change
// makes inside its transaction: prepared once at open (hotWrites).
var (
	orderByIDSQL     = `select ` + orderColumns + orderFrom + ` where o.id = ?`
	oneOrderItemsSQL = orderItemsSQL(1)
)

const orderStepsSQL = `select status, at, by from order_steps where order_id = ? order by at, rowid`

func orderItemsSQL(n int) string {
	return `select order_id, coalesce(product_id, ''), name, unit_price, quantity from order_items
		where order_id in (?` + strings.Repeat(", ?", n-1) + `) order by order_id, position`
}

// OrderByNumber returns the order a customer quotes as number (SB-000123).
func (db *DB) OrderByNumber(ctx context.Context, number string) (app.Order, error) {
	return order(ctx, db.queryRow, db.query, `o.number = ?`, number)
}

// OrderByNumber is DB.OrderByNumber inside tx.
func (tx *Tx) OrderByNumber(ctx context.Context, number string) (app.Order, error) {
	return order(ctx, tx.QueryRowContext, tx.QueryContext, `o.number = ?`, number)
}

func order(ctx context.Context, row rowReader, rows rowsReader, where, arg string) (app.Order, error) {
	o, err := scanOrder(row(ctx, `select `+orderColumns+orderFrom+` where `+where, arg).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return o, notFound("order", arg)
	}
	if err != nil {
		return o, fmt.Errorf("store: get order %s: %w", arg, err)
	}
	items, err := orderItems(ctx, rows, o.ID)
	if err != nil {
		return o, err
	}
	o.Items = items[o.ID]
	if o.Timeline, err = orderSteps(ctx, rows, o.ID); err != nil {
		return o, err
	}
	return o, nil
}

// orderItems returns the items of the orders ids, by order id, in the
// order they were ordered.
func orderItems(ctx context.Context, read rowsReader, ids ...string) (map[string][]app.OrderItem, error) {
	out := make(map[string][]app.OrderItem, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
		out[id] = []app.OrderItem{}
	}
	rows, err := read(ctx, orderItemsSQL(len(ids)), args...)
	if err != nil {
		return nil, fmt.Errorf("store: order items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var it app.OrderItem
		if err := rows.Scan(&id, &it.ProductID, &it.Name, &it.UnitPrice, &it.Quantity); err != nil {
			return nil, fmt.Errorf("store: order items: %w", err)
		}
		out[id] = append(out[id], it)
	}
	return out, rows.Err()
}

func orderSteps(ctx context.Context, read rowsReader, id string) ([]app.OrderStep, error) {
	rows, err := read(ctx, orderStepsSQL, id)
	if err != nil {
		return nil, fmt.Errorf("store: order %s steps: %w", id, err)
	}
	defer rows.Close()
	steps := []app.OrderStep{}
	for rows.Next() {
		var s app.OrderStep
		var at string
		if err := rows.Scan(&s.Status, &at, &s.By); err != nil {
			return nil, fmt.Errorf("store: order %s steps: %w", id, err)
		}
		s.At = ts(at)
		steps = append(steps, s)
	}
	return steps, rows.Err()
}

const (
	nextOrderNumberSQL = `insert into counters (name, value) values ('order_number', 1)
		on conflict (name) do update set value = value + 1 returning value`
	insertOrderSQL = `insert into orders (id, number, customer_id, status, payment_status, fulfilment, total, paid, currency,
		delivery_address, notes, source, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)`
	insertOrderItemSQL = `insert into order_items (order_id, position, product_id, name, unit_price, quantity) values (?, ?, ?, ?, ?, ?)`
	insertOrderStepSQL = `insert into order_steps (order_id, status, at, by) values (?, ?, ?, ?)`
)

// CreateOrder stores o (its ID, customer, items, total and currency set):
// it takes the shop's next order number, starts it pending and unpaid with
// its first timeline step by by, and audits it. o is filled in as stored.
func (tx *Tx) CreateOrder(ctx context.Context, o *app.Order, by string) error {
	var n int64
	if err := tx.QueryRowContext(ctx, nextOrderNumberSQL).Scan(&n); err != nil {
		return fmt.Errorf("store: next order number: %w", mapError(err))
	}
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	at := app.FormatTime(now)
	o.Number, o.Status, o.PaymentStatus, o.Paid = app.OrderNumber(n), app.OrderPending, app.PaymentUnpaid, 0
	o.CreatedAt, o.UpdatedAt = now, now
	o.Timeline = []app.OrderStep{{Status: app.OrderPending, At: now, By: by}}
	_, err := tx.exec(ctx, insertOrderSQL, o.ID, o.Number, o.CustomerID, o.Status, o.PaymentStatus, o.Fulfilment, o.Total, o.Currency,
		o.DeliveryAddress, o.Notes, o.Source, at, at)
	if err != nil {
		return fmt.Errorf("store: create order %s: %w", o.ID, mapError(err))
	}
	for i, it := range o.Items {
		if _, err := tx.exec(ctx, insertOrderItemSQL, o.ID, i, it.ProductID, it.Name, it.UnitPrice, it.Quantity); err != nil {
			return fmt.Errorf("store: create order %s item %d: %w", o.ID, i, mapError(err))
		}
	}
	if _, err := tx.exec(ctx, insertOrderStepSQL, o.ID, app.OrderPending, at, by); err != nil {
		return fmt.Errorf("store: create order %s: %w", o.ID, mapError(err))
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "order.create", EntityType: "order", EntityID: o.ID, After: o})
}

// OrderProducts returns the products ids names that are not deleted, by
// id, without their media: what an order snapshots.
// orderProductsSQL takes the ids as one JSON array, so that one prepared
// statement serves orders of any number of lines.
var orderProductsSQL = `select ` + productColumns + ` from products where deleted_at is null and id in (select value from json_each(?))`

func (tx *Tx) OrderProducts(ctx context.Context, ids []string) (map[string]app.Product, error) {
	out := make(map[string]app.Product, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(ctx, orderProductsSQL, string(list))
	if err != nil {
		return nil, fmt.Errorf("store: products of an order: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanProduct(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: products of an order: %w", err)
		}
		out[p.ID] = p
	}
	return out, rows.Err()
}

// SetOrderStatus moves order id to status to, recording the step by by,
// and audits it. It is ECONFLICT when the order is not in status from any
// more (the caller checked the move against a stale read).
func (tx *Tx) SetOrderStatus(ctx context.Context, id, from, to, by string) (app.Order, error) {
	before, err := tx.Order(ctx, id)
	if err != nil {
		return before, err
	}
	at := app.FormatTime(tx.db.now())
	res, err := tx.ExecContext(ctx, `update orders set status = ?, updated_at = ? where id = ? and status = ?`, to, at, id, from)
	if err != nil {
		return before, fmt.Errorf("store: order %s status: %w", id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return before, app.Errorf(app.ECONFLICT, "order %s is %s, no longer %s", before.Number, before.Status, from)
	}
	if _, err := tx.ExecContext(ctx, insertOrderStepSQL, id, to, at, by); err != nil {
		return before, fmt.Errorf("store: order %s step %s: %w", id, to, mapError(err))
	}
	after, err := tx.Order(ctx, id)
	if err != nil {
		return after, err
	}
	return after, tx.Audit(ctx, app.AuditEntry{Action: "order.status", EntityType: "order", EntityID: id, Before: before, After: after})
}

// SetOrderPayment records what order id has been paid (net of refunds)
// and its payment status, and audits it.
func (tx *Tx) SetOrderPayment(ctx context.Context, id string, paid int64, status string) error {
	var beforePaid int64
	var beforeStatus string
	err := tx.QueryRowContext(ctx, `select paid, payment_status from orders where id = ?`, id).Scan(&beforePaid, &beforeStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("order", id)
	}
	if err != nil {
		return fmt.Errorf("store: order %s payment: %w", id, err)
	}
	_, err = tx.ExecContext(ctx, `update orders set paid = ?, payment_status = ?, updated_at = ? where id = ?`,
		paid, status, app.FormatTime(tx.db.now()), id)
	if err != nil {
		return fmt.Errorf("store: order %s payment: %w", id, mapError(err))
	}
	type payment struct {
		Paid          int64  `json:"paid"`
		PaymentStatus string `json:"payment_status"`
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "order.payment", EntityType: "order", EntityID: id,
		Before: payment{beforePaid, beforeStatus}, After: payment{paid, status}})
}
