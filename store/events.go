package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"smartbot/app"
)

const insertEventSQL = `insert into events (id, type, created_at, payload) values (?, ?, ?, ?)`

// InsertEvent stores e in the event history. Use app/event's Emitter, which
// also enqueues the webhook deliveries and tells live listeners, rather than
// calling this directly.
func (tx *Tx) InsertEvent(ctx context.Context, e app.Event) error {
	payload, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("store: insert event %s: %w", e.ID, err)
	}
	_, err = tx.exec(ctx, insertEventSQL,
		e.ID, string(e.Type), app.FormatTime(e.Timestamp), string(payload))
	if err != nil {
		return fmt.Errorf("store: insert event %s: %w", e.ID, mapError(err))
	}
	return nil
}

// EventRecord is a stored event with its place in the history.
type EventRecord struct {
	Seq int64
	app.Event
}

// EventFilter narrows ListEvents. After is a cursor (a Seq): only later
// events when Ascending, earlier ones otherwise.
type EventFilter struct {
	Type      app.EventType
	Cursor    int64
	Ascending bool
	Limit     int
}

// ListEvents returns the event history matching f, newest first unless
// f.Ascending.
func (db *DB) ListEvents(ctx context.Context, f EventFilter) ([]EventRecord, error) {
	var out []EventRecord
	err := db.listEvents(ctx, f, func(seq int64, payload []byte) error {
		e, err := decodeEvent(payload)
		if err != nil {
			return fmt.Errorf("seq %d: %w", seq, err)
		}
		out = append(out, EventRecord{Seq: seq, Event: e})
		return nil
	})
	return out, err
}

// EventJSON is a stored event as webhooks receive it: the JSON kept when
// it was emitted (compact, as json.Marshal of its app.Event wrote it), and
// its place in the history.
type EventJSON struct {
	Seq     int64
	Payload json.RawMessage
}

// ListEventsJSON is ListEvents without decoding: each event's stored JSON,
// for answers that send it on as it is.
func (db *DB) ListEventsJSON(ctx context.Context, f EventFilter) ([]EventJSON, error) {
	var out []EventJSON
	err := db.listEvents(ctx, f, func(seq int64, payload []byte) error {
		out = append(out, EventJSON{Seq: seq, Payload: payload})
		return nil
	})
	return out, err
}

// listEvents calls row with each event matching f, in order. payload is
// the row's own copy.
func (db *DB) listEvents(ctx context.Context, f EventFilter, row func(seq int64, payload []byte) error) error {
	var where []string
	var args []any
	if f.Type != "" {
		where = append(where, "type = ?")
		args = append(args, string(f.Type))
	}
	order := "desc"
	if f.Cursor > 0 {
		if f.Ascending {
			where = append(where, "seq > ?")
		} else {
			where = append(where, "seq < ?")
		}
		args = append(args, f.Cursor)
	}
	if f.Ascending {
		order = "asc"
	}
	q := `select seq, payload from events`
	if len(where) > 0 {
		q += " where " + strings.Join(where, " and ")
	}
	q += " order by seq " + order + " limit ?"
	args = append(args, clampLimit(f.Limit))
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: list events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var payload []byte
		if err := rows.Scan(&seq, &payload); err != nil {
			return fmt.Errorf("store: list events: %w", err)
		}
		if err := row(seq, payload); err != nil {
			return fmt.Errorf("store: list events: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: list events: %w", err)
	}
	return nil
}

// Event returns the event with the given id.
func (db *DB) Event(ctx context.Context, id string) (app.Event, error) {
	var payload string
	if err := db.queryRow(ctx, `select payload from events where id = ?`, id).Scan(&payload); err != nil {
		if app.ErrorCode(mapError(err)) == app.ENOTFOUND {
			return app.Event{}, notFound("event", id)
		}
		return app.Event{}, fmt.Errorf("store: get event %s: %w", id, err)
	}
	return decodeEvent([]byte(payload))
}

func decodeEvent(payload []byte) (app.Event, error) {
	var raw struct {
		ID        string          `json:"id"`
		Type      app.EventType   `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return app.Event{}, err
	}
	ts, err := app.ParseTime(raw.Timestamp)
	if err != nil {
		return app.Event{}, err
	}
	return app.Event{ID: raw.ID, Type: raw.Type, Timestamp: ts, Data: raw.Data}, nil
}
