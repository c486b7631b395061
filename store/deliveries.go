package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"smartbot/app"
)

// Delivery tasks: an order's trip to its customer. The courier link's
// secret is never stored, only its sha256 (courier_token_hash); a task is
// found by that hash when a courier opens the link.

const deliveryColumns = `d.id, d.order_id, o.number, d.status, d.assignee_name, d.assignee_phone, d.address, d.scheduled_for,
	d.notes, coalesce(d.proof_media_id, ''), d.started_at, d.completed_at, d.created_at, d.updated_at`

const deliveryFrom = ` from delivery_tasks d join orders o on o.id = d.order_id`

func scanDelivery(scan func(...any) error) (app.DeliveryTask, error) {
	var d app.DeliveryTask
	var scheduled, started, completed sql.NullString
	var created, updated string
	err := scan(&d.ID, &d.OrderID, &d.OrderNumber, &d.Status, &d.Assignee.Name, &d.Assignee.Phone, &d.Address, &scheduled,
		&d.Notes, &d.ProofMediaID, &started, &completed, &created, &updated)
	d.ScheduledFor, d.StartedAt, d.CompletedAt = tsPtr(scheduled), tsPtr(started), tsPtr(completed)
	d.CreatedAt, d.UpdatedAt = ts(created), ts(updated)
	return d, err
}

// CreateDelivery stores d (its ID, OrderID and Status set) and audits it.
// A second open task for the same order is ECONFLICT: the database keeps
// one open task per order (migration 0008).
func (tx *Tx) CreateDelivery(ctx context.Context, d *app.DeliveryTask) error {
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	d.CreatedAt, d.UpdatedAt = now, now
	_, err := tx.ExecContext(ctx, `
		insert into delivery_tasks (id, order_id, status, assignee_name, assignee_phone, address, scheduled_for, notes,
			proof_media_id, started_at, completed_at, created_at, updated_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.OrderID, d.Status, d.Assignee.Name, d.Assignee.Phone, d.Address, nullTS(d.ScheduledFor), d.Notes,
		nullString(d.ProofMediaID), nullTS(d.StartedAt), nullTS(d.CompletedAt), app.FormatTime(now), app.FormatTime(now))
	if err != nil {
		err = mapError(err)
		if app.ErrorCode(err) == app.ECONFLICT {
			return &app.Error{Code: app.ECONFLICT, Message: "the order already has an open delivery; finish or cancel it first", Err: err}
		}
		return fmt.Errorf("store: create delivery for %s: %w", d.OrderID, err)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "delivery.create", EntityType: "delivery", EntityID: d.ID, After: d})
}

// UpdateDelivery writes d over the task as it was (before) and audits the
// change as action ("delivery.update", "delivery.status", "delivery.proof").
// It is ECONFLICT when the task is no longer in before's status: the caller
// decided on a stale read.
func (tx *Tx) UpdateDelivery(ctx context.Context, before app.DeliveryTask, d *app.DeliveryTask, action string) error {
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	d.UpdatedAt = now
	res, err := tx.ExecContext(ctx, `
		update delivery_tasks set status = ?, assignee_name = ?, assignee_phone = ?, address = ?, scheduled_for = ?, notes = ?,
			proof_media_id = ?, started_at = ?, completed_at = ?, updated_at = ?
		where id = ? and status = ?`,
		d.Status, d.Assignee.Name, d.Assignee.Phone, d.Address, nullTS(d.ScheduledFor), d.Notes,
		nullString(d.ProofMediaID), nullTS(d.StartedAt), nullTS(d.CompletedAt), app.FormatTime(now), d.ID, before.Status)
	if err != nil {
		return fmt.Errorf("store: update delivery %s: %w", d.ID, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ECONFLICT, "delivery %s is no longer %s", d.ID, before.Status)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: action, EntityType: "delivery", EntityID: d.ID, Before: before, After: d})
}

// SetCourierTokenHash keeps hash, the sha256 of a new courier link's
// secret, on task id, replacing the link before it. The audit row says a
// link was made, never what it is.
func (tx *Tx) SetCourierTokenHash(ctx context.Context, id, hash string) error {
	res, err := tx.ExecContext(ctx, `update delivery_tasks set courier_token_hash = ?, updated_at = ? where id = ?`,
		hash, app.FormatTime(tx.db.now()), id)
	if err != nil {
		return fmt.Errorf("store: courier link of delivery %s: %w", id, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("delivery", id)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "delivery.link", EntityType: "delivery", EntityID: id,
		After: map[string]string{"courier_link": "issued; any link made before no longer works"}})
}

// Delivery returns the delivery task with id.
func (db *DB) Delivery(ctx context.Context, id string) (app.DeliveryTask, error) {
	return delivery(ctx, db.queryRow, `d.id = ?`, id, "delivery "+id)
}

// Delivery is DB.Delivery inside tx: what tx has written is seen.
func (tx *Tx) Delivery(ctx context.Context, id string) (app.DeliveryTask, error) {
	return delivery(ctx, tx.QueryRowContext, `d.id = ?`, id, "delivery "+id)
}

// OpenDeliveryOf returns order orderID's open task (pending, assigned or in
// transit), ENOTFOUND when it has none.
func (tx *Tx) OpenDeliveryOf(ctx context.Context, orderID string) (app.DeliveryTask, error) {
	return delivery(ctx, tx.QueryRowContext, `d.order_id = ? and d.status in ('pending', 'assigned', 'in_transit')`, orderID,
		"open delivery of order "+orderID)
}

// DeliveryByTokenHash returns the task whose courier link hashes to hash,
// with the hash as stored, for the caller to compare in constant time.
func (db *DB) DeliveryByTokenHash(ctx context.Context, hash string) (app.DeliveryTask, string, error) {
	return deliveryByTokenHash(ctx, db.queryRow, hash)
}

// DeliveryByTokenHash is DB.DeliveryByTokenHash inside tx.
func (tx *Tx) DeliveryByTokenHash(ctx context.Context, hash string) (app.DeliveryTask, string, error) {
	return deliveryByTokenHash(ctx, tx.QueryRowContext, hash)
}

func deliveryByTokenHash(ctx context.Context, read rowReader, hash string) (app.DeliveryTask, string, error) {
	var stored string
	d, err := scanDelivery(func(dest ...any) error {
		return read(ctx, `select `+deliveryColumns+`, d.courier_token_hash`+deliveryFrom+` where d.courier_token_hash = ?`, hash).
			Scan(append(dest, &stored)...)
	})
	if errors.Is(err, sql.ErrNoRows) {
		// The hash is not an id a person would recognise: say "link".
		return d, "", app.Errorf(app.ENOTFOUND, "no delivery has this courier link")
	}
	if err != nil {
		return d, "", fmt.Errorf("store: delivery by courier link: %w", err)
	}
	return d, stored, nil
}

func delivery(ctx context.Context, read rowReader, where, arg, what string) (app.DeliveryTask, error) {
	d, err := scanDelivery(read(ctx, `select `+deliveryColumns+deliveryFrom+` where `+where, arg).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound("delivery", arg)
	}
	if err != nil {
		return d, fmt.Errorf("store: get %s: %w", what, err)
	}
	return d, nil
}

// DeliveryFilter narrows ListDeliveries. Empty fields match everything.
// From and Until bound the scheduled time (Until exclusive); a task with
// no scheduled time matches no such bound. Cursor is the id of the last
// task of the previous page.
type DeliveryFilter struct {
	OrderID       string
	Status        string
	AssigneePhone string
	From, Until   time.Time
	Cursor        string
	Limit         int
}

// unscheduled sorts after every stored time: tasks without a time come
// last, in the order they were made (their ids are random, so by id).
const deliverySortKey = `coalesce(d.scheduled_for, '~')`

// ListDeliveries returns tasks matching f in the order they are due: by
// scheduled time, the unscheduled last; next is the cursor of the next
// page, "" on the last.
func (db *DB) ListDeliveries(ctx context.Context, f DeliveryFilter) (list []app.DeliveryTask, next string, err error) {
	q := `select ` + deliveryColumns + deliveryFrom + ` where 1`
	var args []any
	for _, c := range []struct{ col, v string }{{"d.order_id", f.OrderID}, {"d.status", f.Status}, {"d.assignee_phone", f.AssigneePhone}} {
		if c.v != "" {
			q += ` and ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if !f.From.IsZero() {
		q += ` and d.scheduled_for >= ?`
		args = append(args, app.FormatTime(f.From))
	}
	if !f.Until.IsZero() {
		q += ` and d.scheduled_for < ?`
		args = append(args, app.FormatTime(f.Until))
	}
	if f.Cursor != "" {
		q += ` and (` + deliverySortKey + `, d.id) > (select ` + deliverySortKey + `, d.id from delivery_tasks d where d.id = ?)`
		args = append(args, f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q += ` order by ` + deliverySortKey + `, d.id limit ?`
	args = append(args, limit+1)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list deliveries: %w", err)
	}
	defer rows.Close()
	list = []app.DeliveryTask{}
	for rows.Next() {
		d, err := scanDelivery(rows.Scan)
		if err != nil {
			return nil, "", fmt.Errorf("store: list deliveries: %w", err)
		}
		list = append(list, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list deliveries: %w", err)
	}
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}
