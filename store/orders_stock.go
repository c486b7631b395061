package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"smartbot/app"
)

// errShort ends the savepoint of a reservation that cannot be filled.
var errShort = errors.New("store: not enough stock")

// The writes of a reservation, prepared once at open (hotWrites).
const (
	takeStockSQL     = `update products set stock = stock - ? where id = ? and stock is not null and stock >= ?`
	setOrderStockSQL = `update orders set stock_reserved = ?, problem = ?, updated_at = ? where id = ?`
)

// ReserveOrderStock takes the stock of order id's tracked products from
// the catalog: every line or none. When a product has too little left, the
// order's problem says which and how much is left, and no stock is taken.
// An order already reserved, already flagged, or cancelled is left as it
// is, so a job that runs twice takes the stock once. Untracked products
// (stock null) and products deleted since are not counted. It audits what
// it did and returns the order as it now is.
func (tx *Tx) ReserveOrderStock(ctx context.Context, id string) (app.Order, error) {
	before, err := tx.Order(ctx, id)
	if err != nil || before.StockReserved || before.Problem != "" || before.Status == app.OrderCancelled {
		return before, err
	}
	var problem string
	err = tx.Savepoint(ctx, func() error {
		for _, l := range linesByProduct(before.Items) {
			// The guard in the where clause is what keeps two orders from
			// both taking the last unit: the single writer runs them one
			// after the other and the second finds too little.
			res, err := tx.exec(ctx, takeStockSQL, l.quantity, l.productID, l.quantity)
			if err != nil {
				return fmt.Errorf("store: reserve stock of %s: %w", l.productID, mapError(err))
			}
			if n, _ := res.RowsAffected(); n == 1 {
				continue
			}
			var name string
			var stock sql.NullInt64
			err = tx.QueryRowContext(ctx, `select name, stock from products where id = ?`, l.productID).Scan(&name, &stock)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !stock.Valid) {
				continue
			}
			if err != nil {
				return fmt.Errorf("store: reserve stock of %s: %w", l.productID, err)
			}
			problem = fmt.Sprintf("Not enough stock of %s: %d ordered, %d left.", name, l.quantity, stock.Int64)
			return errShort
		}
		return nil
	})
	if err != nil && !errors.Is(err, errShort) {
		return before, err
	}
	reserved := problem == ""
	_, err = tx.exec(ctx, setOrderStockSQL, reserved, problem, app.FormatTime(tx.db.now()), id)
	if err != nil {
		return before, fmt.Errorf("store: reserve stock of order %s: %w", id, mapError(err))
	}
	after := before
	after.StockReserved, after.Problem = reserved, problem
	return after, tx.Audit(ctx, app.AuditEntry{Action: "order.reserve_stock", EntityType: "order", EntityID: id,
		Before: stockState{before.StockReserved, before.Problem}, After: stockState{after.StockReserved, after.Problem}})
}

// ReleaseOrderStock gives order id's reserved stock back to the catalog
// (a cancelled order) and audits it. An order with nothing reserved is
// left alone; released reports whether stock went back.
func (tx *Tx) ReleaseOrderStock(ctx context.Context, id string) (released bool, err error) {
	o, err := tx.Order(ctx, id)
	if err != nil || !o.StockReserved {
		return false, err
	}
	for _, l := range linesByProduct(o.Items) {
		// A product whose stock stopped being tracked meanwhile keeps null.
		if _, err := tx.ExecContext(ctx, `update products set stock = stock + ? where id = ? and stock is not null`, l.quantity, l.productID); err != nil {
			return false, fmt.Errorf("store: release stock of %s: %w", l.productID, mapError(err))
		}
	}
	if _, err := tx.ExecContext(ctx, `update orders set stock_reserved = 0, updated_at = ? where id = ?`, app.FormatTime(tx.db.now()), id); err != nil {
		return false, fmt.Errorf("store: release stock of order %s: %w", id, mapError(err))
	}
	return true, tx.Audit(ctx, app.AuditEntry{Action: "order.release_stock", EntityType: "order", EntityID: id,
		Before: stockState{true, o.Problem}, After: stockState{false, o.Problem}})
}

type stockState struct {
	StockReserved bool   `json:"stock_reserved"`
	Problem       string `json:"problem"`
}

type productLine struct {
	productID string
	quantity  int64
}

// linesByProduct sums an order's quantities per product, in the order the
// products first appear: two lines of one product must fit together.
func linesByProduct(items []app.OrderItem) []productLine {
	var out []productLine
	at := map[string]int{}
	for _, it := range items {
		if it.ProductID == "" {
			continue
		}
		if i, ok := at[it.ProductID]; ok {
			out[i].quantity += it.Quantity
			continue
		}
		at[it.ProductID] = len(out)
		out = append(out, productLine{it.ProductID, it.Quantity})
	}
	return out
}

// OrderNotice is a customer notification of an order that was handled:
// sent as MessageID, or skipped ("" when there was nothing to send with).
type OrderNotice struct {
	Notice    string    `json:"notice"`
	MessageID string    `json:"message_id"`
	At        time.Time `json:"at"`
}

// ClaimOrderNotice records that order orderID's notice about ref ("" for
// a notice sent once per order, a payment's id for its acknowledgement) is
// being sent. It reports false when it was already: the caller sends
// nothing then. It is written in the transaction that queues the message,
// so both or neither stay.
func (tx *Tx) ClaimOrderNotice(ctx context.Context, orderID, notice, ref string) (bool, error) {
	res, err := tx.ExecContext(ctx, `insert into order_notices (order_id, notice, ref, at) values (?, ?, ?, ?) on conflict do nothing`,
		orderID, notice, ref, app.FormatTime(tx.db.now()))
	if err != nil {
		return false, fmt.Errorf("store: claim notice %s of order %s: %w", notice, orderID, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetOrderNoticeMessage records the message a claimed notice went as.
func (tx *Tx) SetOrderNoticeMessage(ctx context.Context, orderID, notice, ref, messageID string) error {
	_, err := tx.ExecContext(ctx, `update order_notices set message_id = ? where order_id = ? and notice = ? and ref = ?`, messageID, orderID, notice, ref)
	if err != nil {
		return fmt.Errorf("store: notice %s of order %s: %w", notice, orderID, mapError(err))
	}
	return nil
}

// OrderNotices lists the notifications handled for order id, oldest first.
func (db *DB) OrderNotices(ctx context.Context, id string) ([]OrderNotice, error) {
	rows, err := db.query(ctx, `select notice, coalesce(message_id, ''), at from order_notices where order_id = ? order by at, rowid`, id)
	if err != nil {
		return nil, fmt.Errorf("store: notices of order %s: %w", id, err)
	}
	defer rows.Close()
	out := []OrderNotice{}
	for rows.Next() {
		var n OrderNotice
		var at string
		if err := rows.Scan(&n.Notice, &n.MessageID, &at); err != nil {
			return nil, fmt.Errorf("store: notices of order %s: %w", id, err)
		}
		n.At = ts(at)
		out = append(out, n)
	}
	return out, rows.Err()
}
