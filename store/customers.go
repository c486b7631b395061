package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"smartbot/app"
)

const customerColumns = `id, coalesce(phone, ''), jid, coalesce(lid, ''), name, handover_at, simulated, marketing_opt_out, notes,
	created_at, updated_at, last_message_at, last_inbound_at`

func scanCustomer(scan func(...any) error) (app.Customer, error) {
	var c app.Customer
	var handover, last, inbound sql.NullString
	var created, updated string
	err := scan(&c.ID, &c.Phone, &c.JID, &c.LID, &c.Name, &handover, &c.Simulated, &c.OptOut, &c.Notes,
		&created, &updated, &last, &inbound)
	c.CreatedAt, c.UpdatedAt = ts(created), ts(updated)
	c.Handover, c.LastMessageAt, c.LastInboundAt = tsPtr(handover), tsPtr(last), tsPtr(inbound)
	return c, err
}

// Customer returns the customer with id.
func (db *DB) Customer(ctx context.Context, id string) (app.Customer, error) {
	return customer(ctx, db.queryRow, `id = ?`, id)
}

// Customer is DB.Customer inside tx.
func (tx *Tx) Customer(ctx context.Context, id string) (app.Customer, error) {
	return customer(ctx, tx.QueryRowContext, `id = ?`, id)
}

// CustomerByPhone returns the customer with the E.164 number phone.
func (db *DB) CustomerByPhone(ctx context.Context, phone string) (app.Customer, error) {
	return customer(ctx, db.queryRow, `phone = ?`, phone)
}

// CustomerByPhone is DB.CustomerByPhone inside tx.
func (tx *Tx) CustomerByPhone(ctx context.Context, phone string) (app.Customer, error) {
	return customer(ctx, tx.queryRow, `phone = ?`, phone)
}

// customerByPhoneSQL is what every order placed by phone reads: prepared
// at open.
const customerByPhoneSQL = `select ` + customerColumns + ` from customers where phone = ?`

func customer(ctx context.Context, read rowReader, where string, arg string) (app.Customer, error) {
	c, err := scanCustomer(read(ctx, `select `+customerColumns+` from customers where `+where, arg).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound("customer", arg)
	}
	if err != nil {
		return c, fmt.Errorf("store: get customer %s: %w", arg, err)
	}
	return c, nil
}

// CustomerForPeer returns the customer WhatsApp names p, creating it when
// it is new, and brings its identity up to date: the chat to answer, the
// push name when the shop has not named it, the LID or phone number newly
// revealed. When WhatsApp reveals that a LID and a phone number are one
// person known here as two customers, they are merged into the older one:
// the younger one's messages and orders move to it and the younger row
// goes. inbound marks p as having just written (the 24-hour window).
//
// It writes no audit row: WhatsApp, not a person, changed the customer.
func (tx *Tx) CustomerForPeer(ctx context.Context, p app.Peer, simulated, inbound bool) (app.Customer, error) {
	if p.Phone == "" && p.LID == "" {
		return app.Customer{}, app.Errorf(app.EINVALID, "a WhatsApp peer without a phone number or LID cannot be a customer")
	}
	if p.Phone != "" && !app.ValidPhone(p.Phone) {
		return app.Customer{}, app.Errorf(app.EINVALID, "%q is not a phone number in E.164 form, like +263771234567", p.Phone)
	}
	var byPhone, byLID *app.Customer
	if p.Phone != "" {
		if c, err := tx.CustomerByPhone(ctx, p.Phone); err == nil {
			byPhone = &c
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			return c, err
		}
	}
	if p.LID != "" {
		if c, err := customer(ctx, tx.QueryRowContext, `lid = ?`, p.LID); err == nil {
			byLID = &c
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			return c, err
		}
	}
	now := app.FormatTime(tx.db.now())
	var id string
	switch {
	case byPhone != nil && byLID != nil && byPhone.ID != byLID.ID:
		keep, gone := *byPhone, *byLID
		if gone.CreatedAt.Before(keep.CreatedAt) {
			keep, gone = gone, keep
		}
		if err := tx.mergeCustomers(ctx, keep, gone); err != nil {
			return app.Customer{}, err
		}
		id = keep.ID
	case byPhone != nil:
		id = byPhone.ID
	case byLID != nil:
		id = byLID.ID
	default:
		id = app.NewID(app.PrefixCustomer)
		_, err := tx.ExecContext(ctx, `insert into customers (id, phone, jid, lid, name, simulated, created_at, updated_at)
			values (?, ?, ?, ?, ?, ?, ?, ?)`, id, nullString(p.Phone), p.Chat, nullString(p.LID), app.Clip(p.Name, 200), simulated, now, now)
		if err != nil {
			return app.Customer{}, fmt.Errorf("store: create customer: %w", mapError(err))
		}
	}
	var inboundAt any
	if inbound {
		inboundAt = now
	}
	_, err := tx.ExecContext(ctx, `update customers set
			phone = coalesce(phone, ?), lid = coalesce(?, lid),
			jid = case when ? <> '' then ? else jid end,
			name = case when name = '' then ? else name end,
			last_message_at = ?, last_inbound_at = coalesce(?, last_inbound_at), updated_at = ?
		where id = ?`,
		nullString(p.Phone), nullString(p.LID), p.Chat, p.Chat, app.Clip(p.Name, 200), now, inboundAt, now, id)
	if err != nil {
		return app.Customer{}, fmt.Errorf("store: update customer %s: %w", id, mapError(err))
	}
	return tx.Customer(ctx, id)
}

// mergeCustomers moves everything of gone to keep and deletes gone.
func (tx *Tx) mergeCustomers(ctx context.Context, keep, gone app.Customer) error {
	for _, q := range []string{
		`update messages set customer_id = ? where customer_id = ?`,
		`update orders set customer_id = ? where customer_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, keep.ID, gone.ID); err != nil {
			return fmt.Errorf("store: merge customer %s into %s: %w", gone.ID, keep.ID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `delete from customers where id = ?`, gone.ID); err != nil {
		return fmt.Errorf("store: merge customer %s into %s: %w", gone.ID, keep.ID, err)
	}
	// The kept row takes what only the other knew; the update that follows
	// in CustomerForPeer fills in the rest.
	_, err := tx.ExecContext(ctx, `update customers set
			phone = coalesce(phone, ?), lid = coalesce(lid, ?),
			name = case when name = '' then ? else name end,
			notes = case when notes = '' then ? else notes end
		where id = ?`, nullString(gone.Phone), nullString(gone.LID), gone.Name, gone.Notes, keep.ID)
	if err != nil {
		return fmt.Errorf("store: merge customer %s into %s: %w", gone.ID, keep.ID, err)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "customer.merge", EntityType: "customer", EntityID: keep.ID, Before: gone, After: keep})
}

// SetHandover hands the customer's chat to a person (on) or back to the
// bot, and audits it.
func (tx *Tx) SetHandover(ctx context.Context, id string, on bool) (app.Customer, error) {
	before, err := tx.Customer(ctx, id)
	if err != nil {
		return before, err
	}
	var at any
	if on {
		at = app.FormatTime(tx.db.now())
		if before.Handover != nil {
			at = app.FormatTime(*before.Handover)
		}
	}
	if _, err := tx.ExecContext(ctx, `update customers set handover_at = ?, updated_at = ? where id = ?`, at, app.FormatTime(tx.db.now()), id); err != nil {
		return before, fmt.Errorf("store: hand over %s: %w", id, err)
	}
	after, err := tx.Customer(ctx, id)
	if err != nil {
		return after, err
	}
	return after, tx.Audit(ctx, app.AuditEntry{Action: "customer.handover", EntityType: "customer", EntityID: id, Before: before, After: after})
}

// MarkConversationRead records that staff saw the customer's chat: the
// inbound messages before now are no longer unread. No audit: reading
// changes nothing of the shop.
func (tx *Tx) MarkConversationRead(ctx context.Context, id string) error {
	res, err := tx.ExecContext(ctx, `update customers set inbox_read_at = ? where id = ?`, app.FormatTime(tx.db.now()), id)
	if err != nil {
		return fmt.Errorf("store: mark %s read: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("customer", id)
	}
	return nil
}

// ConversationFilter narrows Conversations.
type ConversationFilter struct {
	Limit int
	// Cursor is the id of the last customer of the previous page.
	Cursor string
	// Simulated: nil lists everyone; true only test customers; false only real ones.
	Simulated *bool
}

// Conversations lists customers who have messages, the most recent chat
// first, each with its last message and how many inbound messages staff
// have not seen.
func (db *DB) Conversations(ctx context.Context, f ConversationFilter) (list []app.Conversation, next string, err error) {
	q := `select ` + customerColumns + `,
			(select count(*) from messages m where m.customer_id = c.id and m.direction = 'in'
				and m.created_at > coalesce(c.inbox_read_at, '')),
			(select id from messages m where m.customer_id = c.id order by created_at desc, id desc limit 1)
		from customers c where last_message_at is not null`
	var args []any
	if f.Simulated != nil {
		q += ` and simulated = ?`
		args = append(args, *f.Simulated)
	}
	if f.Cursor != "" {
		q += ` and (last_message_at, id) < (select last_message_at, id from customers where id = ?)`
		args = append(args, f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q += ` order by last_message_at desc, id desc limit ?`
	args = append(args, limit+1)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list conversations: %w", err)
	}
	list = []app.Conversation{}
	var lastIDs []string
	for rows.Next() {
		var cv app.Conversation
		var lastID sql.NullString
		cv.Customer, err = scanCustomer(func(dest ...any) error { return rows.Scan(append(dest, &cv.Unread, &lastID)...) })
		if err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("store: list conversations: %w", err)
		}
		list = append(list, cv)
		lastIDs = append(lastIDs, lastID.String)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list conversations: %w", err)
	}
	if len(list) > limit {
		list, lastIDs = list[:limit], lastIDs[:limit]
		next = list[limit-1].Customer.ID
	}
	last, err := db.messagesByID(ctx, lastIDs)
	if err != nil {
		return nil, "", err
	}
	for i, id := range lastIDs {
		if m, ok := last[id]; ok {
			list[i].Last = &m
		}
	}
	return list, next, nil
}

// messagesByID reads the messages ids, in one query.
func (db *DB) messagesByID(ctx context.Context, ids []string) (map[string]app.Message, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `select `+messageColumns+messageFrom+` where m.id in (select value from json_each(?))`, string(list))
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	defer rows.Close()
	out := make(map[string]app.Message, len(ids))
	for rows.Next() {
		m, err := scanMessage(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: messages: %w", err)
		}
		out[m.ID] = m
	}
	return out, rows.Err()
}
