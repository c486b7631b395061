package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"smartbot/app"
)

const messageColumns = `m.id, m.customer_id, coalesce(c.phone, ''), m.chat_jid, m.direction, m.kind, m.text, m.payload,
	coalesce(m.template_id, ''), coalesce(m.template_version, 0), coalesce(m.media_id, ''), m.status,
	coalesce(m.wa_message_id, ''), m.error, m.sent_by, m.created_at, m.sent_at, m.delivered_at, m.read_at`

const messageFrom = ` from messages m join customers c on c.id = m.customer_id`

func scanMessage(scan func(...any) error) (app.Message, error) {
	var m app.Message
	var payload, created string
	var sent, delivered, read sql.NullString
	err := scan(&m.ID, &m.CustomerID, &m.Phone, &m.Chat, &m.Direction, &m.Kind, &m.Text, &payload,
		&m.TemplateID, &m.TemplateVersion, &m.MediaID, &m.Status, &m.WAID, &m.Error, &m.SentBy,
		&created, &sent, &delivered, &read)
	m.Payload = []byte(payload)
	m.CreatedAt = ts(created)
	m.SentAt, m.DeliveredAt, m.ReadAt = tsPtr(sent), tsPtr(delivered), tsPtr(read)
	return m, err
}

const insertMessageSQL = `insert into messages (id, customer_id, chat_jid, direction, kind, text, payload, template_id,
		template_version, media_id, status, wa_message_id, error, sent_by, created_at)
	values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	on conflict (wa_message_id) where wa_message_id is not null do nothing`

// InsertMessage stores m (its ID set; CreatedAt set to now when zero).
// inserted is false when a message with the same WhatsApp id is already
// stored: an inbound message WhatsApp gave twice. An outgoing message is
// audited as sent by the actor in ctx; inbound ones are not (WhatsApp, not
// a person, made them).
func (tx *Tx) InsertMessage(ctx context.Context, m *app.Message) (inserted bool, err error) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = tx.db.now()
	}
	m.CreatedAt = m.CreatedAt.UTC().Truncate(time.Millisecond)
	if len(m.Payload) == 0 {
		m.Payload = []byte("{}")
	}
	var tplVersion any
	if m.TemplateVersion > 0 {
		tplVersion = m.TemplateVersion
	}
	res, err := tx.exec(ctx, insertMessageSQL, m.ID, m.CustomerID, m.Chat, m.Direction, m.Kind, m.Text, string(m.Payload),
		nullString(m.TemplateID), tplVersion, nullString(m.MediaID), m.Status, nullString(m.WAID), m.Error, m.SentBy,
		app.FormatTime(m.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("store: insert message: %w", mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if m.Direction == app.DirectionOut {
		return true, tx.Audit(ctx, app.AuditEntry{Action: "message.send", EntityType: "message", EntityID: m.ID, After: m})
	}
	return true, nil
}

// Message returns the message with id.
func (db *DB) Message(ctx context.Context, id string) (app.Message, error) {
	return message(ctx, db.queryRow, `m.id = ?`, id)
}

// Message is DB.Message inside tx.
func (tx *Tx) Message(ctx context.Context, id string) (app.Message, error) {
	return message(ctx, tx.QueryRowContext, `m.id = ?`, id)
}

// MessageByWAID returns the message with the WhatsApp id waid.
func (tx *Tx) MessageByWAID(ctx context.Context, waid string) (app.Message, error) {
	return message(ctx, tx.QueryRowContext, `m.wa_message_id = ?`, waid)
}

func message(ctx context.Context, read rowReader, where, arg string) (app.Message, error) {
	m, err := scanMessage(read(ctx, `select `+messageColumns+messageFrom+` where `+where, arg).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return m, notFound("message", arg)
	}
	if err != nil {
		return m, fmt.Errorf("store: get message %s: %w", arg, err)
	}
	return m, nil
}

// MarkMessageSent records that WhatsApp took the queued message id: its
// status becomes sent (unless a receipt already moved it further), with
// the time and whether it went to a customer outside the 24-hour window.
// changed is false when it was already recorded: a retried job.
func (tx *Tx) MarkMessageSent(ctx context.Context, id string, at time.Time, cold bool) (changed bool, err error) {
	res, err := tx.ExecContext(ctx, `update messages set status = 'sent', sent_at = ?, cold = ?, error = ''
		where id = ? and status in ('queued', 'failed')`, app.FormatTime(at), cold, id)
	if err != nil {
		return false, fmt.Errorf("store: mark %s sent: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// MarkMessageFailed records that the queued message id cannot be sent, and
// why. A message already sent stays sent.
func (tx *Tx) MarkMessageFailed(ctx context.Context, id, reason string) (changed bool, err error) {
	res, err := tx.ExecContext(ctx, `update messages set status = 'failed', error = ? where id = ? and status = 'queued'`, app.Clip(reason, 1000), id)
	if err != nil {
		return false, fmt.Errorf("store: mark %s failed: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ApplyReceipt moves the outgoing messages with the WhatsApp ids waids to
// status (delivered or read) when that is forward: a receipt never moves a
// message back, and a read receipt that arrives before the delivered one
// stamps both. It returns the messages it moved.
func (tx *Tx) ApplyReceipt(ctx context.Context, waids []string, status string, at time.Time) ([]app.Message, error) {
	if len(waids) == 0 {
		return nil, nil
	}
	rank := app.MessageStatusRank(status)
	if status != app.MessageDelivered && status != app.MessageRead {
		return nil, app.Errorf(app.EINVALID, "a receipt is delivered or read, not %q", status)
	}
	stamp := app.FormatTime(at)
	args := []any{status, stamp, stamp}
	readAt := "read_at"
	if status == app.MessageRead {
		readAt = "coalesce(read_at, ?)"
		args = append(args, stamp)
	}
	marks := strings.Repeat("?, ", len(waids)-1) + "?"
	for _, w := range waids {
		args = append(args, w)
	}
	args = append(args, rank)
	rows, err := tx.QueryContext(ctx, `update messages set status = ?,
			sent_at = coalesce(sent_at, ?), delivered_at = coalesce(delivered_at, ?), read_at = `+readAt+`
		where direction = 'out' and wa_message_id in (`+marks+`)
			and (case status when 'queued' then 1 when 'failed' then 2 when 'sent' then 3 when 'delivered' then 4 when 'read' then 5 else 0 end) < ?
		returning id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: apply receipt: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: apply receipt: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: apply receipt: %w", err)
	}
	moved := make([]app.Message, 0, len(ids))
	for _, id := range ids {
		m, err := tx.Message(ctx, id)
		if err != nil {
			return nil, err
		}
		moved = append(moved, m)
	}
	return moved, nil
}

// MessageFilter narrows ListMessages. Empty fields match everything.
type MessageFilter struct {
	CustomerID string
	Direction  string
	Status     string
	Kind       string
	// Oldest lists oldest first (a chat read top to bottom); the default
	// is newest first.
	Oldest bool
	Limit  int
	Cursor string
}

// ListMessages lists messages; next is the cursor of the following page.
func (db *DB) ListMessages(ctx context.Context, f MessageFilter) (list []app.Message, next string, err error) {
	q := `select ` + messageColumns + messageFrom + ` where 1`
	var args []any
	for _, c := range []struct{ col, v string }{{"m.customer_id", f.CustomerID}, {"m.direction", f.Direction}, {"m.status", f.Status}, {"m.kind", f.Kind}} {
		if c.v != "" {
			q += ` and ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	order, cmp := "desc", "<"
	if f.Oldest {
		order, cmp = "asc", ">"
	}
	if f.Cursor != "" {
		q += ` and (m.created_at, m.id) ` + cmp + ` (select created_at, id from messages where id = ?)`
		args = append(args, f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q += ` order by m.created_at ` + order + `, m.id ` + order + ` limit ?`
	args = append(args, limit+1)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list messages: %w", err)
	}
	defer rows.Close()
	list = []app.Message{}
	for rows.Next() {
		m, err := scanMessage(rows.Scan)
		if err != nil {
			return nil, "", fmt.Errorf("store: list messages: %w", err)
		}
		list = append(list, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list messages: %w", err)
	}
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}

// SentTo is when a chat was last sent a message, and whether the customer
// was outside the 24-hour window then.
type SentTo struct {
	Chat string
	At   time.Time
	Cold bool
}

// PacingSince returns what the sender's pacing must know after a restart,
// oldest first: every message sent since from, and every cold one (to a
// customer outside the 24-hour window) sent since coldFrom.
func (db *DB) PacingSince(ctx context.Context, from, coldFrom time.Time) ([]SentTo, error) {
	rows, err := db.query(ctx, `select chat_jid, sent_at, cold from messages
		where direction = 'out' and (sent_at >= ? or (cold = 1 and sent_at >= ?)) order by sent_at`, app.FormatTime(from), app.FormatTime(coldFrom))
	if err != nil {
		return nil, fmt.Errorf("store: pacing: %w", err)
	}
	defer rows.Close()
	var sent []SentTo
	for rows.Next() {
		var s SentTo
		var at string
		if err := rows.Scan(&s.Chat, &at, &s.Cold); err != nil {
			return nil, fmt.Errorf("store: pacing: %w", err)
		}
		s.At = ts(at)
		sent = append(sent, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pacing: %w", err)
	}
	return sent, nil
}

// EarlierQueued reports whether a message to the same customer, queued
// before m, is still waiting: messages to one chat go out in the order they
// were stored (rowid order: several may share a millisecond).
func (db *DB) EarlierQueued(ctx context.Context, m app.Message) (bool, error) {
	var n int
	err := db.queryRow(ctx, `select exists (select 1 from messages where customer_id = ? and direction = 'out'
		and status = 'queued' and rowid < (select rowid from messages where id = ?))`, m.CustomerID, m.ID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: earlier queued: %w", err)
	}
	return n == 1, nil
}

// SetMessageMedia records the library file an inbound message's attachment
// was saved as, or why it could not be (reason, mediaID empty).
func (tx *Tx) SetMessageMedia(ctx context.Context, id, mediaID, reason string) error {
	_, err := tx.ExecContext(ctx, `update messages set media_id = ?, error = ? where id = ?`, nullString(mediaID), app.Clip(reason, 1000), id)
	if err != nil {
		return fmt.Errorf("store: set media of %s: %w", id, err)
	}
	return nil
}
