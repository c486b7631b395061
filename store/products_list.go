package store

import (
	"context"
	"fmt"

	"smartbot/app"
)

// ProductFilter narrows ListProducts. Empty fields match every product of
// the catalog; archived products are never listed.
type ProductFilter struct {
	Category string
	// Active: nil lists both; true only what customers can order; false
	// only what is switched off.
	Active *bool
	// InStock: nil lists both; true what can be sold now (tracked stock
	// above zero, or stock not tracked); false what is sold out (tracked
	// stock at zero).
	InStock *bool
	// Search matches a part of the name or of the SKU, ignoring ASCII case.
	Search string
	Limit  int // clamped: 50 when unset, 500 at most
	// Cursor is the id of the last product of the previous page.
	Cursor string
}

// ListProducts lists products newest first, with their media. next is
// the cursor of the following page, "" on the last.
func (db *DB) ListProducts(ctx context.Context, f ProductFilter) (list []app.Product, next string, err error) {
	q := `select ` + productColumns + ` from products where deleted_at is null`
	var args []any
	if f.Category != "" {
		q += ` and category = ?`
		args = append(args, f.Category)
	}
	if f.Active != nil {
		q += ` and active = ?`
		args = append(args, *f.Active)
	}
	if f.InStock != nil {
		if *f.InStock {
			q += ` and (stock is null or stock > 0)`
		} else {
			q += ` and stock = 0`
		}
	}
	if f.Search != "" {
		q += ` and (name like ? escape '\' or sku like ? escape '\')`
		like := "%" + likeEscaper.Replace(f.Search) + "%"
		args = append(args, like, like)
	}
	if f.Cursor != "" {
		// The cursor's row is found archived or not: a product archived
		// while someone pages does not end their paging.
		q += ` and (created_at, rowid) < (select created_at, rowid from products where id = ?)`
		args = append(args, f.Cursor)
	}
	limit := clampLimit(f.Limit)
	q += ` order by created_at desc, rowid desc limit ?`
	args = append(args, limit+1)
	list, err = db.scanProducts(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	if err := db.withMedia(ctx, list); err != nil {
		return nil, "", err
	}
	return list, next, nil
}

// EachProduct calls fn with every product of the catalog in the order
// they were added, as a spreadsheet of it grows, without their media. It
// reads in pages, so a large catalog is never held whole; an error from fn
// ends it. (The order is the rows' insertion order, not created_at: rows
// imported in one millisecond keep the order of the file they came from.)
func (db *DB) EachProduct(ctx context.Context, fn func(app.Product) error) error {
	const pageSize = 500
	q := `select rowid, ` + productColumns + ` from products where deleted_at is null and rowid > ? order by rowid limit ?`
	var last int64
	for {
		rows, err := db.query(ctx, q, last, pageSize)
		if err != nil {
			return fmt.Errorf("store: each product: %w", err)
		}
		var page []app.Product
		for rows.Next() {
			p, err := scanProduct(func(dest ...any) error { return rows.Scan(append([]any{&last}, dest...)...) })
			if err != nil {
				rows.Close()
				return fmt.Errorf("store: each product: %w", err)
			}
			page = append(page, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: each product: %w", err)
		}
		for _, p := range page {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

func (db *DB) scanProducts(ctx context.Context, q string, args ...any) ([]app.Product, error) {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list products: %w", err)
	}
	defer rows.Close()
	list := []app.Product{}
	for rows.Next() {
		p, err := scanProduct(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("store: list products: %w", err)
		}
		list = append(list, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list products: %w", err)
	}
	return list, nil
}

// withMedia fills in the media of list's products, in one query.
func (db *DB) withMedia(ctx context.Context, list []app.Product) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]string, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	media, err := db.ProductsMedia(ctx, ids)
	if err != nil {
		return err
	}
	for i := range list {
		list[i].Media = media[list[i].ID]
	}
	return nil
}
