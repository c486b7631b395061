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

// Media records (media_files) and their places on products (product_media).
// The bytes live on disk under DATA_DIR/media (app/media.Files); a record
// names them by storage_key. Records are deleted softly: the row stays, with
// deleted_at, so that the file sweeper can tell a file that lost its last
// record a moment ago (a backup may still need it) from one long unused.

const mediaColumns = `id, original_name, mime, kind, size, sha256, width, height, storage_key, status, variants, error, created_by, created_at, updated_at, deleted_at, alt`

// rowReader and rowsReader are the read pool's prepared reads (DB.queryRow,
// DB.query) or a transaction's (Tx.QueryRowContext, Tx.QueryContext), so
// that the DB and Tx forms of a read share one body.
type (
	rowReader  func(ctx context.Context, query string, args ...any) *sql.Row
	rowsReader func(ctx context.Context, query string, args ...any) (*sql.Rows, error)
)

func scanMedia(scan func(...any) error, extra ...any) (app.Media, error) {
	var m app.Media
	var width, height sql.NullInt64
	var variants, created, updated string
	var deleted sql.NullString
	dest := append([]any{&m.ID, &m.OriginalName, &m.MIME, &m.Kind, &m.Size, &m.SHA256, &width, &height, &m.StorageKey,
		&m.Status, &variants, &m.Error, &m.CreatedBy, &created, &updated, &deleted, &m.Alt}, extra...)
	if err := scan(dest...); err != nil {
		return m, err
	}
	m.Width, m.Height = int(width.Int64), int(height.Int64)
	m.CreatedAt, m.UpdatedAt, m.DeletedAt = ts(created), ts(updated), tsPtr(deleted)
	if err := json.Unmarshal([]byte(variants), &m.Variants); err != nil {
		return m, fmt.Errorf("variants: %w", err)
	}
	if m.Variants == nil {
		m.Variants = map[string]app.MediaVariant{}
	}
	return m, nil
}

// nullPositive writes 0 (unknown) as null: width and height must be > 0.
func nullPositive(n int) sql.NullInt64 {
	return sql.NullInt64{Int64: int64(n), Valid: n > 0}
}

// nullBytes writes an empty blob as null.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func variantsJSON(v map[string]app.MediaVariant) (string, error) {
	for name := range v {
		if !app.ValidVariant(name) {
			return "", app.Errorf(app.EINVALID, "%q is not a variant name", name)
		}
	}
	if v == nil {
		return "{}", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// CreateMedia stores m (its ID, StorageKey and what was read from the file
// set; Status processing unless set) and audits it.
func (tx *Tx) CreateMedia(ctx context.Context, m *app.Media) error {
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	m.CreatedAt, m.UpdatedAt, m.DeletedAt = now, now, nil
	if m.Status == "" {
		m.Status = app.MediaProcessing
	}
	if m.Variants == nil {
		m.Variants = map[string]app.MediaVariant{}
	}
	variants, err := variantsJSON(m.Variants)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		insert into media_files (id, original_name, mime, kind, size, sha256, width, height, storage_key, status, variants, error, created_by, created_at, updated_at, alt, inline_thumb)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.OriginalName, m.MIME, string(m.Kind), m.Size, m.SHA256, nullPositive(m.Width), nullPositive(m.Height), m.StorageKey,
		m.Status, variants, m.Error, m.CreatedBy, app.FormatTime(now), app.FormatTime(now), m.Alt, nullBytes(m.Inline))
	if err != nil {
		return fmt.Errorf("store: create media %s: %w", m.ID, mapError(err))
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "media.create", EntityType: "media", EntityID: m.ID, After: m})
}

const mediaByIDSQL = `select ` + mediaColumns + `, inline_thumb from media_files where id = ? and deleted_at is null`

// Media returns the media record with id, inline thumbnail included. A
// deleted record is ENOTFOUND, as an unknown id is.
func (db *DB) Media(ctx context.Context, id string) (app.Media, error) {
	return media(ctx, db.queryRow, id)
}

// Media is DB.Media inside tx.
func (tx *Tx) Media(ctx context.Context, id string) (app.Media, error) {
	return media(ctx, tx.QueryRowContext, id)
}

func media(ctx context.Context, read rowReader, id string) (app.Media, error) {
	var inline []byte
	m, err := scanMedia(read(ctx, mediaByIDSQL, id).Scan, &inline)
	if errors.Is(err, sql.ErrNoRows) {
		return m, notFound("media", id)
	}
	if err != nil {
		return m, fmt.Errorf("store: get media %s: %w", id, err)
	}
	m.Inline = inline
	return m, nil
}

// MediaFilter narrows ListMedia. Empty fields match everything.
type MediaFilter struct {
	Kind   app.MediaKind
	Status string
	// Search matches a part of the original name or of the alt text,
	// ignoring ASCII case.
	Search string
	Limit  int // clamped: 50 when unset, 500 at most
	// Cursor is the next value a previous page returned: the id of its last
	// record.
	Cursor string
}

// ListMedia lists the records that are not deleted, newest first, without
// their inline thumbnails (Media has them). next is the cursor of the
// following page, "" on the last.
func (db *DB) ListMedia(ctx context.Context, f MediaFilter) (list []app.Media, next string, err error) {
	q := `select ` + mediaColumns + ` from media_files where deleted_at is null`
	var args []any
	if f.Kind != "" {
		q += ` and kind = ?`
		args = append(args, string(f.Kind))
	}
	if f.Status != "" {
		q += ` and status = ?`
		args = append(args, f.Status)
	}
	if f.Search != "" {
		q += ` and (original_name like ? escape '\' or alt like ? escape '\')`
		like := "%" + likeEscaper.Replace(f.Search) + "%"
		args = append(args, like, like)
	}
	if f.Cursor != "" {
		// The cursor's row is found deleted or not: a record deleted while
		// someone pages does not end their paging.
		q += ` and (created_at, id) < (select created_at, id from media_files where id = ?)`
		args = append(args, f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q += ` order by created_at desc, id desc limit ?`
	args = append(args, limit+1)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: list media: %w", err)
	}
	defer rows.Close()
	list = []app.Media{}
	for rows.Next() {
		m, err := scanMedia(rows.Scan)
		if err != nil {
			return nil, "", fmt.Errorf("store: list media: %w", err)
		}
		list = append(list, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: list media: %w", err)
	}
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// setMedia writes the columns a change touches and audits the change: the
// record as it was and as it is.
func (tx *Tx) setMedia(ctx context.Context, action, id string, change func(m *app.Media) error) (app.Media, error) {
	before, err := tx.Media(ctx, id)
	if err != nil {
		return before, err
	}
	after := before
	if err := change(&after); err != nil {
		return before, err
	}
	after.UpdatedAt = tx.db.now().UTC().Truncate(time.Millisecond)
	variants, err := variantsJSON(after.Variants)
	if err != nil {
		return before, err
	}
	_, err = tx.ExecContext(ctx, `
		update media_files set status = ?, width = ?, height = ?, variants = ?, inline_thumb = ?, error = ?, alt = ?, updated_at = ?
		where id = ?`,
		after.Status, nullPositive(after.Width), nullPositive(after.Height), variants, nullBytes(after.Inline), after.Error, after.Alt,
		app.FormatTime(after.UpdatedAt), id)
	if err != nil {
		return before, fmt.Errorf("store: %s %s: %w", action, id, mapError(err))
	}
	return after, tx.Audit(ctx, app.AuditEntry{Action: action, EntityType: "media", EntityID: id, Before: before, After: after})
}

// SetMediaReady records what processing made: the upright dimensions (0
// when unknown, as for audio), the variants (nil for none) and WhatsApp's
// inline thumbnail, and marks the record ready. It may run again on a
// ready record (a job that ran twice) and ends the same way; a deleted
// record is ENOTFOUND.
func (tx *Tx) SetMediaReady(ctx context.Context, id string, width, height int, variants map[string]app.MediaVariant, inline []byte) error {
	_, err := tx.setMedia(ctx, "media.ready", id, func(m *app.Media) error {
		if variants == nil {
			variants = map[string]app.MediaVariant{}
		}
		m.Status, m.Width, m.Height, m.Variants, m.Inline, m.Error = app.MediaReady, width, height, variants, inline, ""
		return nil
	})
	return err
}

// SetMediaFailed marks the record failed with reason, a sentence for the
// owner.
func (tx *Tx) SetMediaFailed(ctx context.Context, id, reason string) error {
	_, err := tx.setMedia(ctx, "media.fail", id, func(m *app.Media) error {
		m.Status, m.Error = app.MediaFailed, reason
		return nil
	})
	return err
}

// UpdateMediaAlt sets the record's alt text (validated by the caller,
// app.MediaAltMax characters at most) and returns the record.
func (tx *Tx) UpdateMediaAlt(ctx context.Context, id, alt string) (app.Media, error) {
	return tx.setMedia(ctx, "media.update", id, func(m *app.Media) error {
		m.Alt = alt
		return nil
	})
}

// DeleteMedia deletes the record softly (its row stays, with deleted_at,
// for the file sweeper's grace period) and audits it with the record as it
// was, original name included. While a product or a template uses it, it
// is ECONFLICT: take it off first (DetachMediaEverywhere, and the template's
// own change), so no product or template is left pointing at nothing.
func (tx *Tx) DeleteMedia(ctx context.Context, id string) error {
	before, err := tx.Media(ctx, id)
	if err != nil {
		return err
	}
	uses, err := tx.MediaUses(ctx, id)
	if err != nil {
		return err
	}
	if len(uses) > 0 {
		msg := fmt.Sprintf("The file is still used by %s %q", uses[0].Type, uses[0].Name)
		if len(uses) > 1 {
			msg += fmt.Sprintf(" and %d more", len(uses)-1)
		}
		return app.Errorf(app.ECONFLICT, "%s: take it off there first.", msg)
	}
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	if _, err := tx.ExecContext(ctx, `update media_files set deleted_at = ?, updated_at = ? where id = ?`,
		app.FormatTime(now), app.FormatTime(now), id); err != nil {
		return fmt.Errorf("store: delete media %s: %w", id, mapError(err))
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "media.delete", EntityType: "media", EntityID: id, Before: before})
}

const mediaUsesSQL = `
		select 'product', p.id, p.name from product_media pm join products p on p.id = pm.product_id
		where pm.media_id = ? and p.deleted_at is null
		union all
		select 'template', t.id, t.name from message_templates t where t.header_media_id = ?
		order by 1, 3, 2`

// MediaUses lists what uses media id: the products it is on (deleted
// products aside) and the templates whose header shows it, by type and
// name. It is empty, never nil, when nothing does.
func (db *DB) MediaUses(ctx context.Context, id string) ([]app.MediaUse, error) {
	return mediaUses(ctx, db.query, id)
}

// MediaUses is DB.MediaUses inside tx.
func (tx *Tx) MediaUses(ctx context.Context, id string) ([]app.MediaUse, error) {
	return mediaUses(ctx, tx.QueryContext, id)
}

func mediaUses(ctx context.Context, read rowsReader, id string) ([]app.MediaUse, error) {
	rows, err := read(ctx, mediaUsesSQL, id, id)
	if err != nil {
		return nil, fmt.Errorf("store: uses of media %s: %w", id, err)
	}
	defer rows.Close()
	uses := []app.MediaUse{}
	for rows.Next() {
		var u app.MediaUse
		if err := rows.Scan(&u.Type, &u.ID, &u.Name); err != nil {
			return nil, fmt.Errorf("store: uses of media %s: %w", id, err)
		}
		uses = append(uses, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: uses of media %s: %w", id, err)
	}
	return uses, nil
}

// StorageKeyInUse reports whether a record that is not deleted, or was
// deleted after since, names the file at key. The sweeper passes now minus
// its grace period: a file stays while a backup that began before its last
// record went may still copy it.
func (db *DB) StorageKeyInUse(ctx context.Context, key string, since time.Time) (bool, error) {
	var used bool
	err := db.queryRow(ctx, `
		select exists (select 1 from media_files where storage_key = ? and (deleted_at is null or deleted_at > ?))`,
		key, app.FormatTime(since)).Scan(&used)
	if err != nil {
		return false, fmt.Errorf("store: is %s in use: %w", key, err)
	}
	return used, nil
}

// Product media.

const productMediaSQL = `
		select product_id, media_id, role, position from product_media
		where product_id in (select value from json_each(?))
		order by product_id, position, media_id`

// ProductMedia returns the media on product productID in order: by
// position, 0 first.
func (db *DB) ProductMedia(ctx context.Context, productID string) ([]app.ProductMedia, error) {
	m, err := productMedia(ctx, db.query, productID)
	return m[productID], err
}

// ProductMedia is DB.ProductMedia inside tx.
func (tx *Tx) ProductMedia(ctx context.Context, productID string) ([]app.ProductMedia, error) {
	m, err := productMedia(ctx, tx.QueryContext, productID)
	return m[productID], err
}

// ProductsMedia returns the media of several products at once, in order,
// for filling a page of products in one query. Every id given has an
// entry, empty when the product has none.
func (db *DB) ProductsMedia(ctx context.Context, productIDs []string) (map[string][]app.ProductMedia, error) {
	return productMedia(ctx, db.query, productIDs...)
}

func productMedia(ctx context.Context, read rowsReader, productIDs ...string) (map[string][]app.ProductMedia, error) {
	out := make(map[string][]app.ProductMedia, len(productIDs))
	for _, id := range productIDs {
		out[id] = []app.ProductMedia{}
	}
	ids, err := json.Marshal(productIDs)
	if err != nil {
		return out, fmt.Errorf("store: media of products: %w", err)
	}
	rows, err := read(ctx, productMediaSQL, string(ids))
	if err != nil {
		return out, fmt.Errorf("store: media of products: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var productID string
		var pm app.ProductMedia
		if err := rows.Scan(&productID, &pm.MediaID, &pm.Role, &pm.Position); err != nil {
			return out, fmt.Errorf("store: media of products: %w", err)
		}
		out[productID] = append(out[productID], pm)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("store: media of products: %w", err)
	}
	return out, nil
}

// changeProductMedia runs change on product productID's media inside tx,
// then numbers the positions 0, 1, 2… in their order (closing the gap a
// detach leaves), marks the product updated and audits the change with the
// list before and after.
func (tx *Tx) changeProductMedia(ctx context.Context, action, productID string, change func(before []app.ProductMedia) error) error {
	var n int
	if err := tx.QueryRowContext(ctx, `select count(*) from products where id = ? and deleted_at is null`, productID).Scan(&n); err != nil {
		return fmt.Errorf("store: %s %s: %w", action, productID, err)
	}
	if n == 0 {
		return notFound("product", productID)
	}
	before, err := tx.ProductMedia(ctx, productID)
	if err != nil {
		return err
	}
	if err := change(before); err != nil {
		return err
	}
	after, err := tx.ProductMedia(ctx, productID)
	if err != nil {
		return err
	}
	for i := range after {
		if after[i].Position == i {
			continue
		}
		after[i].Position = i
		if _, err := tx.ExecContext(ctx, `update product_media set position = ? where product_id = ? and media_id = ?`,
			i, productID, after[i].MediaID); err != nil {
			return fmt.Errorf("store: %s %s: %w", action, productID, mapError(err))
		}
	}
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	if _, err := tx.ExecContext(ctx, `update products set updated_at = ? where id = ?`, app.FormatTime(now), productID); err != nil {
		return fmt.Errorf("store: %s %s: %w", action, productID, mapError(err))
	}
	return tx.Audit(ctx, app.AuditEntry{Action: action, EntityType: "product", EntityID: productID,
		Before: map[string]any{"media": before}, After: map[string]any{"media": after}})
}

// demotePrimary makes the product's primary picture, if any, a gallery one.
func (tx *Tx) demotePrimary(ctx context.Context, productID string) error {
	_, err := tx.ExecContext(ctx, `update product_media set role = 'gallery' where product_id = ? and role = 'primary'`, productID)
	if err != nil {
		return fmt.Errorf("store: demote the primary picture of %s: %w", productID, mapError(err))
	}
	return nil
}

func findProductMedia(list []app.ProductMedia, mediaID string) (app.ProductMedia, bool) {
	for _, pm := range list {
		if pm.MediaID == mediaID {
			return pm, true
		}
	}
	return app.ProductMedia{}, false
}

func notOnProduct(mediaID, productID string) error {
	return app.Errorf(app.ENOTFOUND, "media %s is not on product %s", mediaID, productID)
}

// AttachProductMedia puts media mediaID last on product productID, as its
// primary picture (the old primary becomes gallery) or in its gallery. An
// empty role means primary when the product has none yet, gallery
// otherwise. An unknown or deleted product or media is ENOTFOUND; media
// already on the product is ECONFLICT.
func (tx *Tx) AttachProductMedia(ctx context.Context, productID, mediaID, role string) error {
	switch role {
	case "", app.MediaRolePrimary, app.MediaRoleGallery:
	default:
		return app.Invalid(app.FieldError{Field: "role", Message: "must be primary or gallery"})
	}
	return tx.changeProductMedia(ctx, "product.attach_media", productID, func(before []app.ProductMedia) error {
		if _, err := tx.Media(ctx, mediaID); err != nil {
			return err
		}
		if _, ok := findProductMedia(before, mediaID); ok {
			return app.Errorf(app.ECONFLICT, "media %s is already on product %s", mediaID, productID)
		}
		if role == "" {
			role = app.MediaRolePrimary
			for _, pm := range before {
				if pm.Role == app.MediaRolePrimary {
					role = app.MediaRoleGallery
				}
			}
		}
		if role == app.MediaRolePrimary {
			if err := tx.demotePrimary(ctx, productID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `
			insert into product_media (product_id, media_id, role, position)
			values (?, ?, ?, (select coalesce(max(position) + 1, 0) from product_media where product_id = ?))`,
			productID, mediaID, role, productID)
		if err != nil {
			return fmt.Errorf("store: attach media %s to %s: %w", mediaID, productID, mapError(err))
		}
		return nil
	})
}

// DetachProductMedia takes media mediaID off product productID; the ones
// after it move up. Taking off the primary picture leaves the product
// without one until another is chosen. Media that is not on the product is
// ENOTFOUND.
func (tx *Tx) DetachProductMedia(ctx context.Context, productID, mediaID string) error {
	return tx.changeProductMedia(ctx, "product.detach_media", productID, func(before []app.ProductMedia) error {
		if _, ok := findProductMedia(before, mediaID); !ok {
			return notOnProduct(mediaID, productID)
		}
		if _, err := tx.ExecContext(ctx, `delete from product_media where product_id = ? and media_id = ?`, productID, mediaID); err != nil {
			return fmt.Errorf("store: detach media %s from %s: %w", mediaID, productID, mapError(err))
		}
		return nil
	})
}

// ReorderProductMedia puts product productID's media in the order of
// mediaIDs, which must name each of them exactly once (EINVALID otherwise,
// and nothing changes). Roles stay as they are.
func (tx *Tx) ReorderProductMedia(ctx context.Context, productID string, mediaIDs []string) error {
	return tx.changeProductMedia(ctx, "product.reorder_media", productID, func(before []app.ProductMedia) error {
		seen := make(map[string]bool, len(mediaIDs))
		for _, id := range mediaIDs {
			if _, ok := findProductMedia(before, id); !ok || seen[id] {
				seen = nil
				break
			}
			seen[id] = true
		}
		if seen == nil || len(mediaIDs) != len(before) {
			return app.Invalid(app.FieldError{Field: "media_ids",
				Message: fmt.Sprintf("must name each of the product's %d media exactly once", len(before))})
		}
		for i, id := range mediaIDs {
			if _, err := tx.ExecContext(ctx, `update product_media set position = ? where product_id = ? and media_id = ?`, i, productID, id); err != nil {
				return fmt.Errorf("store: reorder media of %s: %w", productID, mapError(err))
			}
		}
		return nil
	})
}

// SetPrimaryProductMedia makes media mediaID, which must be on the product
// (ENOTFOUND otherwise), its primary picture; the old primary becomes
// gallery. Positions stay as they are.
func (tx *Tx) SetPrimaryProductMedia(ctx context.Context, productID, mediaID string) error {
	return tx.changeProductMedia(ctx, "product.set_primary_media", productID, func(before []app.ProductMedia) error {
		if _, ok := findProductMedia(before, mediaID); !ok {
			return notOnProduct(mediaID, productID)
		}
		if err := tx.demotePrimary(ctx, productID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `update product_media set role = 'primary' where product_id = ? and media_id = ?`, productID, mediaID)
		if err != nil {
			return fmt.Errorf("store: set primary media of %s: %w", productID, mapError(err))
		}
		return nil
	})
}

// DetachMediaEverywhere takes media mediaID off every product it is on
// (each change audited on its product, as DetachProductMedia does) and
// returns what still uses it: the templates whose header shows it. It does
// not change templates: a template's header is part of a versioned
// template, which only the template service changes (with a new version),
// so the caller decides what to do with them; DeleteMedia refuses while
// any is left.
func (tx *Tx) DetachMediaEverywhere(ctx context.Context, mediaID string) (left []app.MediaUse, err error) {
	uses, err := tx.MediaUses(ctx, mediaID)
	if err != nil {
		return nil, err
	}
	left = []app.MediaUse{}
	for _, u := range uses {
		if u.Type != "product" {
			left = append(left, u)
			continue
		}
		if err := tx.DetachProductMedia(ctx, u.ID, mediaID); err != nil {
			return nil, err
		}
	}
	return left, nil
}
