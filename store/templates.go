package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"smartbot/app"
)

// Message templates (message_templates) and their versions
// (template_versions). Every save is a new version: the row holds the
// latest, and each version's whole template is kept as a JSON snapshot
// that is never changed (a trigger refuses updates), so that any version
// can be shown again or rolled back to.

const templateColumns = `id, name, kind, category, language, header, body, footer, buttons, list, variables, triggers, delivery_style, status, version, created_at, updated_at`

func scanTemplate(scan func(...any) error) (app.Template, error) {
	var t app.Template
	var header, list sql.NullString
	var buttons, variables, triggers, created, updated string
	if err := scan(&t.ID, &t.Name, &t.Kind, &t.Category, &t.Language, &header, &t.Body, &t.Footer, &buttons, &list,
		&variables, &triggers, &t.DeliveryStyle, &t.Status, &t.Version, &created, &updated); err != nil {
		return t, err
	}
	t.CreatedAt, t.UpdatedAt = ts(created), ts(updated)
	for _, c := range []struct {
		col  sql.NullString
		dest any
	}{
		{header, &t.Header}, {sql.NullString{String: buttons, Valid: true}, &t.Buttons}, {list, &t.List},
		{sql.NullString{String: variables, Valid: true}, &t.Variables}, {sql.NullString{String: triggers, Valid: true}, &t.Triggers},
	} {
		if c.col.Valid {
			if err := json.Unmarshal([]byte(c.col.String), c.dest); err != nil {
				return t, fmt.Errorf("template %s: %w", t.ID, err)
			}
		}
	}
	t.Normalize()
	return t, nil
}

// templateColumnsOf is what t writes into its row's JSON columns.
func templateColumnsOf(t *app.Template) (header, list any, buttons, variables, triggers string, err error) {
	enc := func(v any) string {
		b, merr := json.Marshal(v)
		if merr != nil && err == nil {
			err = merr
		}
		return string(b)
	}
	if t.Header != nil {
		header = enc(t.Header)
	}
	if t.List != nil {
		list = enc(t.List)
	}
	return header, list, enc(t.Buttons), enc(t.Variables), enc(t.Triggers), err
}

// CreateTemplate stores t (its ID set, validated) as version 1, with its
// first snapshot and audit row. A name another template has is ECONFLICT.
func (tx *Tx) CreateTemplate(ctx context.Context, t *app.Template, note string) error {
	t.Normalize()
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	t.CreatedAt, t.UpdatedAt, t.Version = now, now, 1
	header, list, buttons, variables, triggers, err := templateColumnsOf(t)
	if err != nil {
		return fmt.Errorf("store: create template: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		insert into message_templates (id, name, kind, category, language, header, header_media_id, body, footer, buttons, list,
			variables, triggers, delivery_style, status, version, created_at, updated_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, t.Kind, t.Category, t.Language, header, nullString(t.HeaderMediaID()), t.Body, t.Footer, buttons, list,
		variables, triggers, t.DeliveryStyle, t.Status, t.Version, app.FormatTime(now), app.FormatTime(now))
	if err != nil {
		return templateWriteError("create", t, err)
	}
	if err := tx.snapshotTemplate(ctx, *t, note); err != nil {
		return err
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "template.create", EntityType: "template", EntityID: t.ID, After: t})
}

// UpdateTemplate saves t as the next version of its template, when the
// template is still at version basedOn: a template changed meanwhile is
// ECONFLICT naming its version, so that an editor does not undo another's
// save unknowingly. t's Version, CreatedAt and UpdatedAt are set.
func (tx *Tx) UpdateTemplate(ctx context.Context, t *app.Template, basedOn int, note string) error {
	before, err := tx.Template(ctx, t.ID)
	if err != nil {
		return err
	}
	if before.Version != basedOn {
		return &app.Error{Code: app.ECONFLICT, Message: fmt.Sprintf("the template was saved by someone else meanwhile: it is at version %d, this change was made to version %d; reload it and make the change again", before.Version, basedOn),
			Fields: []app.FieldError{{Field: "version", Message: fmt.Sprintf("is %d; the template is at %d", basedOn, before.Version)}}}
	}
	t.Normalize()
	t.CreatedAt, t.Version = before.CreatedAt, before.Version+1
	t.UpdatedAt = tx.db.now().UTC().Truncate(time.Millisecond)
	header, list, buttons, variables, triggers, err := templateColumnsOf(t)
	if err != nil {
		return fmt.Errorf("store: update template: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		update message_templates set name = ?, kind = ?, category = ?, language = ?, header = ?, header_media_id = ?, body = ?, footer = ?,
			buttons = ?, list = ?, variables = ?, triggers = ?, delivery_style = ?, status = ?, version = ?, updated_at = ?
		where id = ?`,
		t.Name, t.Kind, t.Category, t.Language, header, nullString(t.HeaderMediaID()), t.Body, t.Footer,
		buttons, list, variables, triggers, t.DeliveryStyle, t.Status, t.Version, app.FormatTime(t.UpdatedAt), t.ID)
	if err != nil {
		return templateWriteError("update", t, err)
	}
	if err := tx.snapshotTemplate(ctx, *t, note); err != nil {
		return err
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "template.update", EntityType: "template", EntityID: t.ID, Before: before, After: t})
}

// templateWriteError names a taken name; other failures are wrapped.
func templateWriteError(verb string, t *app.Template, err error) error {
	err = mapError(err)
	if app.ErrorCode(err) == app.ECONFLICT {
		return &app.Error{Code: app.ECONFLICT, Message: "another template is named " + t.Name,
			Fields: []app.FieldError{{Field: "name", Message: "is taken by another template"}}, Err: err}
	}
	return fmt.Errorf("store: %s template %s: %w", verb, t.ID, err)
}

// snapshotTemplate keeps t, whole, as its version.
func (tx *Tx) snapshotTemplate(ctx context.Context, t app.Template, note string) error {
	snap, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("store: template %s version %d: %w", t.ID, t.Version, err)
	}
	a := app.ActorFrom(ctx)
	by := a.Type
	if a.ID != "" {
		by += ":" + a.ID
	}
	_, err = tx.ExecContext(ctx, `insert into template_versions (template_id, version, snapshot, created_by, created_at, note) values (?, ?, ?, ?, ?, ?)`,
		t.ID, t.Version, string(snap), by, app.FormatTime(t.UpdatedAt), note)
	if err != nil {
		return fmt.Errorf("store: template %s version %d: %w", t.ID, t.Version, mapError(err))
	}
	return nil
}

// SetTemplateStatus archives a template (app.TemplateArchived) or makes it
// active again, without a new version: its content does not change.
func (tx *Tx) SetTemplateStatus(ctx context.Context, id, status string) (app.Template, error) {
	before, err := tx.Template(ctx, id)
	if err != nil {
		return before, err
	}
	after := before
	after.Status, after.UpdatedAt = status, tx.db.now().UTC().Truncate(time.Millisecond)
	if _, err := tx.ExecContext(ctx, `update message_templates set status = ?, updated_at = ? where id = ?`, status, app.FormatTime(after.UpdatedAt), id); err != nil {
		return before, fmt.Errorf("store: template %s status: %w", id, mapError(err))
	}
	action := "template.archive"
	if status != app.TemplateArchived {
		action = "template.restore"
	}
	return after, tx.Audit(ctx, app.AuditEntry{Action: action, EntityType: "template", EntityID: id, Before: before, After: after})
}

const templateByIDSQL = `select ` + templateColumns + ` from message_templates where id = ?`

// Template returns the template with id, at its latest version.
func (db *DB) Template(ctx context.Context, id string) (app.Template, error) {
	return template(ctx, db.queryRow, id)
}

// Template is DB.Template inside tx.
func (tx *Tx) Template(ctx context.Context, id string) (app.Template, error) {
	return template(ctx, tx.QueryRowContext, id)
}

func template(ctx context.Context, read rowReader, id string) (app.Template, error) {
	t, err := scanTemplate(read(ctx, templateByIDSQL, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("template", id)
	}
	if err != nil {
		return t, fmt.Errorf("store: get template %s: %w", id, err)
	}
	return t, nil
}

// TemplateByName returns the template called name.
func (db *DB) TemplateByName(ctx context.Context, name string) (app.Template, error) {
	t, err := scanTemplate(db.queryRow(ctx, `select `+templateColumns+` from message_templates where name = ?`, name).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("template", name)
	}
	if err != nil {
		return t, fmt.Errorf("store: get template %s: %w", name, err)
	}
	return t, nil
}

// TemplateFilter narrows ListTemplates. Empty fields match everything.
type TemplateFilter struct {
	Kind   string
	Status string
	// Search matches a part of the name or of the body, ignoring ASCII case.
	Search string
	Limit  int // clamped: 50 when unset, 500 at most
	// Cursor is the next value a previous page returned.
	Cursor string
}

// ListTemplates lists templates by name. next is the cursor of the
// following page, "" on the last.
func (db *DB) ListTemplates(ctx context.Context, f TemplateFilter) (list []app.Template, next string, err error) {
	q := `select ` + templateColumns + ` from message_templates where 1`
	var args []any
	if f.Kind != "" {
		q += ` and kind = ?`
		args = append(args, f.Kind)
	}
	if f.Status != "" {
		q += ` and status = ?`
		args = append(args, f.Status)
	}
	if f.Search != "" {
		q += ` and (name like ? escape '\' or body like ? escape '\')`
		like := "%" + likeEscaper.Replace(f.Search) + "%"
		args = append(args, like, like)
	}
	if f.Cursor != "" {
		q += ` and name > (select name from message_templates where id = ?)`
		args = append(args, f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q += ` order by name limit ?`
	args = append(args, limit+1)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list templates: %w", err)
	}
	defer rows.Close()
	list = []app.Template{}
	for rows.Next() {
		t, err := scanTemplate(rows.Scan)
		if err != nil {
			return nil, "", fmt.Errorf("store: list templates: %w", err)
		}
		list = append(list, t)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list templates: %w", err)
	}
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}

// TemplateVersionInfo is one version of a template, without its content.
type TemplateVersionInfo struct {
	Version   int       `json:"version"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Note      string    `json:"note"`
}

// TemplateVersions lists the versions of template id, newest first.
func (db *DB) TemplateVersions(ctx context.Context, id string) ([]TemplateVersionInfo, error) {
	if _, err := db.Template(ctx, id); err != nil {
		return nil, err
	}
	rows, err := db.query(ctx, `select version, created_by, created_at, note from template_versions where template_id = ? order by version desc`, id)
	if err != nil {
		return nil, fmt.Errorf("store: versions of template %s: %w", id, err)
	}
	defer rows.Close()
	out := []TemplateVersionInfo{}
	for rows.Next() {
		var v TemplateVersionInfo
		var created string
		if err := rows.Scan(&v.Version, &v.CreatedBy, &created, &v.Note); err != nil {
			return nil, fmt.Errorf("store: versions of template %s: %w", id, err)
		}
		v.CreatedAt = ts(created)
		out = append(out, v)
	}
	return out, rows.Err()
}

// TemplateVersion returns template id as it was saved at version n.
func (db *DB) TemplateVersion(ctx context.Context, id string, n int) (app.Template, error) {
	return templateVersion(ctx, db.queryRow, id, n)
}

// TemplateVersion is DB.TemplateVersion inside tx.
func (tx *Tx) TemplateVersion(ctx context.Context, id string, n int) (app.Template, error) {
	return templateVersion(ctx, tx.QueryRowContext, id, n)
}

func templateVersion(ctx context.Context, read rowReader, id string, n int) (app.Template, error) {
	var t app.Template
	var snap string
	err := read(ctx, `select snapshot from template_versions where template_id = ? and version = ?`, id, n).Scan(&snap)
	if errors.Is(err, sql.ErrNoRows) {
		return t, app.Errorf(app.ENOTFOUND, "template %s has no version %d", id, n)
	}
	if err != nil {
		return t, fmt.Errorf("store: template %s version %d: %w", id, n, err)
	}
	if err := json.Unmarshal([]byte(snap), &t); err != nil {
		return t, fmt.Errorf("store: template %s version %d: %w", id, n, err)
	}
	t.Normalize()
	return t, nil
}
