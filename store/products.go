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

const productColumns = `id, coalesce(sku, ''), name, description, category, price, currency, stock, active, created_at, updated_at`

func scanProduct(scan func(...any) error) (app.Product, error) {
	var p app.Product
	var stock sql.NullInt64
	var created, updated string
	err := scan(&p.ID, &p.SKU, &p.Name, &p.Description, &p.Category, &p.Price, &p.Currency, &stock, &p.Active, &created, &updated)
	if stock.Valid {
		p.Stock = &stock.Int64
	}
	p.CreatedAt, p.UpdatedAt, p.Media = ts(created), ts(updated), []app.ProductMedia{}
	return p, err
}

const insertProductSQL = `
		insert into products (id, sku, name, description, category, price, currency, stock, active, created_at, updated_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// CreateProduct stores p (its ID set) and audits it. A taken SKU is ECONFLICT.
func (tx *Tx) CreateProduct(ctx context.Context, p *app.Product) error {
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	p.CreatedAt, p.UpdatedAt = now, now
	if p.Media == nil {
		p.Media = []app.ProductMedia{}
	}
	var stock sql.NullInt64
	if p.Stock != nil {
		stock = sql.NullInt64{Int64: *p.Stock, Valid: true}
	}
	_, err := tx.exec(ctx, insertProductSQL,
		p.ID, nullString(p.SKU), p.Name, p.Description, p.Category, p.Price, p.Currency, stock, p.Active, app.FormatTime(now), app.FormatTime(now))
	if err != nil {
		err = mapError(err)
		if app.ErrorCode(err) == app.ECONFLICT {
			return &app.Error{Code: app.ECONFLICT, Message: "another product has SKU " + p.SKU, Fields: []app.FieldError{{Field: "sku", Message: "is taken"}}, Err: err}
		}
		return fmt.Errorf("store: create product: %w", err)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "product.create", EntityType: "product", EntityID: p.ID, After: p})
}

// Product returns the product with id.
func (db *DB) Product(ctx context.Context, id string) (app.Product, error) {
	p, err := scanProduct(db.queryRow(ctx, `select `+productColumns+` from products where id = ? and deleted_at is null`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound("product", id)
	}
	if err != nil {
		return p, fmt.Errorf("store: get product %s: %w", id, err)
	}
	p.Media, err = db.ProductMedia(ctx, id)
	return p, err
}

// Product is DB.Product inside tx: what tx has written is seen.
func (tx *Tx) Product(ctx context.Context, id string) (app.Product, error) {
	p, err := scanProduct(tx.QueryRowContext(ctx, `select `+productColumns+` from products where id = ? and deleted_at is null`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound("product", id)
	}
	if err != nil {
		return p, fmt.Errorf("store: get product %s: %w", id, err)
	}
	p.Media, err = tx.ProductMedia(ctx, id)
	return p, err
}

// Products lists products newest first. after is a cursor: the id of the
// last product of the previous page.
func (db *DB) Products(ctx context.Context, after string, limit int) ([]app.Product, error) {
	q := `select ` + productColumns + ` from products where deleted_at is null`
	args := []any{}
	if after != "" {
		q += ` and (created_at, rowid) < (select created_at, rowid from products where id = ?)`
		args = append(args, after)
	}
	q += ` order by created_at desc, rowid desc limit ?`
	args = append(args, limit)
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list products: %w", err)
	}
	defer rows.Close()
	var out []app.Product
	for rows.Next() {
		p, err := scanProduct(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: list products: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows.Close()
	ids := make([]string, len(out))
	for i, p := range out {
		ids[i] = p.ID
	}
	media, err := db.ProductsMedia(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Media = media[out[i].ID]
	}
	return out, nil
}

const updateProductSQL = `
		update products set sku = ?, name = ?, description = ?, category = ?, price = ?, currency = ?, stock = ?, active = ?, updated_at = ?
		where id = ? and deleted_at is null`

// UpdateProduct writes p's fields over the product p.ID, which was before,
// and audits the change. A taken SKU is ECONFLICT; a product archived or
// gone is ENOTFOUND. p.UpdatedAt is set.
func (tx *Tx) UpdateProduct(ctx context.Context, before app.Product, p *app.Product) error {
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	p.UpdatedAt = now
	var stock sql.NullInt64
	if p.Stock != nil {
		stock = sql.NullInt64{Int64: *p.Stock, Valid: true}
	}
	res, err := tx.exec(ctx, updateProductSQL,
		nullString(p.SKU), p.Name, p.Description, p.Category, p.Price, p.Currency, stock, p.Active, app.FormatTime(now), p.ID)
	if err != nil {
		err = mapError(err)
		if app.ErrorCode(err) == app.ECONFLICT {
			return &app.Error{Code: app.ECONFLICT, Message: "another product has SKU " + p.SKU, Fields: []app.FieldError{{Field: "sku", Message: "is taken"}}, Err: err}
		}
		return fmt.Errorf("store: update product %s: %w", p.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("product", p.ID)
	}
	return tx.Audit(ctx, app.AuditEntry{Action: "product.update", EntityType: "product", EntityID: p.ID, Before: before, After: p})
}

// ArchiveProduct takes product id out of the catalog: it is no longer
// listed, found by Product or orderable, and its SKU is free again, while
// the orders that have it keep their snapshot of it. The row stays, marked
// deleted and inactive, and the change is audited. It returns the product
// as it was last shown.
func (tx *Tx) ArchiveProduct(ctx context.Context, id string) (app.Product, error) {
	before, err := tx.Product(ctx, id)
	if err != nil {
		return before, err
	}
	now := tx.db.now().UTC().Truncate(time.Millisecond)
	at := app.FormatTime(now)
	if _, err := tx.ExecContext(ctx, `update products set deleted_at = ?, active = 0, updated_at = ? where id = ? and deleted_at is null`, at, at, id); err != nil {
		return before, fmt.Errorf("store: archive product %s: %w", id, mapError(err))
	}
	after := before
	after.Active, after.UpdatedAt = false, now
	return after, tx.Audit(ctx, app.AuditEntry{Action: "product.archive", EntityType: "product", EntityID: id, Before: before, After: after})
}

// ProductsBySKU returns the catalog's products (not archived) that have
// one of skus, by SKU, without their media: one query for a whole import.
func (tx *Tx) ProductsBySKU(ctx context.Context, skus []string) (map[string]app.Product, error) {
	out := make(map[string]app.Product, len(skus))
	if len(skus) == 0 {
		return out, nil
	}
	list, err := json.Marshal(skus)
	if err != nil {
		return nil, fmt.Errorf("store: products by sku: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `select `+productColumns+` from products
		where sku in (select value from json_each(?)) and deleted_at is null`, string(list))
	if err != nil {
		return nil, fmt.Errorf("store: products by sku: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanProduct(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: products by sku: %w", err)
		}
		out[p.SKU] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: products by sku: %w", err)
	}
	return out, nil
}
