package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"smartbot/app"
)

const insertAuditSQL = `
		insert into audit_logs (actor_type, actor_id, actor_name, action, entity_type, entity_id, before, after, request_id, remote_addr, created_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// Audit writes the audit row of a change inside the change's transaction, so
// a committed change always has its row and a rolled-back one never does.
// The actor and request come from ctx (app.WithActor, app.WithRequest).
func (tx *Tx) Audit(ctx context.Context, e app.AuditEntry) error {
	before, err := auditJSON(e.Before)
	if err != nil {
		return fmt.Errorf("store: audit %s %s: %w", e.Action, e.EntityID, err)
	}
	after, err := auditJSON(e.After)
	if err != nil {
		return fmt.Errorf("store: audit %s %s: %w", e.Action, e.EntityID, err)
	}
	a := app.ActorFrom(ctx)
	r := app.RequestFrom(ctx)
	_, err = tx.exec(ctx, insertAuditSQL,
		a.Type, a.ID, a.Name, e.Action, e.EntityType, e.EntityID, before, after, r.ID, r.RemoteAddr, app.FormatTime(tx.db.now()))
	if err != nil {
		return fmt.Errorf("store: audit %s %s: %w", e.Action, e.EntityID, mapError(err))
	}
	return nil
}

func auditJSON(v any) (sql.NullString, error) {
	if v == nil {
		return sql.NullString{}, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		if raw == nil {
			return sql.NullString{}, nil
		}
		// Kept compact, as json.Marshal writes the rest, so that lists can
		// send the stored documents on without re-encoding them.
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return sql.NullString{}, err
		}
		return sql.NullString{String: b.String(), Valid: true}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

// AuditRecord is one stored row of the audit log. Before and After are
// the stored JSON documents, compact (Audit writes them so), or nil.
type AuditRecord struct {
	ID         int64
	Actor      app.Actor
	Action     string
	EntityType string
	EntityID   string
	Before     json.RawMessage
	After      json.RawMessage
	RequestID  string
	RemoteAddr string
	CreatedAt  string
}

// AuditFilter narrows ListAudit. Empty fields match everything. Before is a
// cursor: only rows with a smaller id, newest first.
type AuditFilter struct {
	EntityType string
	EntityID   string
	ActorType  string
	ActorID    string
	// Actor matches the actor's id or name: an email, a key's name, "system".
	Actor  string
	Action string
	Since  string // inclusive, app.TimeFormat
	Until  string // exclusive, app.TimeFormat
	Before int64
	Limit  int
}

// ListAudit returns audit rows matching f, newest first.
func (db *DB) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.EntityType != "" {
		add("entity_type = ?", f.EntityType)
	}
	if f.EntityID != "" {
		add("entity_id = ?", f.EntityID)
	}
	if f.ActorType != "" {
		add("actor_type = ?", f.ActorType)
	}
	if f.ActorID != "" {
		add("actor_id = ?", f.ActorID)
	}
	if f.Actor != "" {
		where = append(where, "(actor_id = ? or actor_name = ? or actor_name like ? escape '\\' or (actor_type = ? and actor_id = ''))")
		// A key's actor name is "name (maker's email)": match the name alone too.
		like := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Actor) + " (%"
		args = append(args, f.Actor, f.Actor, like, f.Actor)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Since != "" {
		add("created_at >= ?", f.Since)
	}
	if f.Until != "" {
		add("created_at < ?", f.Until)
	}
	if f.Before > 0 {
		add("id < ?", f.Before)
	}
	q := `select id, actor_type, actor_id, actor_name, action, entity_type, entity_id, before, after, request_id, remote_addr, created_at from audit_logs`
	if len(where) > 0 {
		q += " where " + strings.Join(where, " and ")
	}
	q += " order by id desc limit ?"
	args = append(args, clampLimit(f.Limit))
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var r AuditRecord
		// A NULL document scans as nil.
		if err := rows.Scan(&r.ID, &r.Actor.Type, &r.Actor.ID, &r.Actor.Name, &r.Action, &r.EntityType, &r.EntityID,
			(*[]byte)(&r.Before), (*[]byte)(&r.After), &r.RequestID, &r.RemoteAddr, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// clampLimit bounds a page size: 50 when unset, 500 at most.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}
