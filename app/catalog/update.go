package catalog

import (
	"context"

	"smartbot/app"
	"smartbot/store"
)

// ProductChanges is a change to a product with PATCH semantics: a nil
// field stays as it is. Stock changes only when SetStock is true, to
// Stock, or to untracked when Stock is nil; an SKU of "" takes it off.
type ProductChanges struct {
	SKU         *string
	Name        *string
	Description *string
	Category    *string
	Price       *int64
	Currency    *string
	SetStock    bool
	Stock       *int64
	Active      *bool
}

// apply returns p with the changes made, validated.
func (c ProductChanges) apply(p app.Product) (app.Product, error) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.SKU, c.SKU)
	set(&p.Name, c.Name)
	set(&p.Description, c.Description)
	set(&p.Category, c.Category)
	set(&p.Currency, c.Currency)
	if c.Price != nil {
		p.Price = *c.Price
	}
	if c.SetStock {
		p.Stock = c.Stock
	}
	if c.Active != nil {
		p.Active = *c.Active
	}
	if errs := p.Validate(); len(errs) > 0 {
		return p, app.Invalid(errs...)
	}
	return p, nil
}

// changedFields names the fields of a product's that differ between
// before and after, in the order of the product's shape (DESIGN §13): what
// product_updated reports as changed.
func changedFields(before, after app.Product) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("sku", before.SKU != after.SKU)
	add("name", before.Name != after.Name)
	add("description", before.Description != after.Description)
	add("category", before.Category != after.Category)
	add("price", before.Price != after.Price)
	add("currency", before.Currency != after.Currency)
	add("stock", (before.Stock == nil) != (after.Stock == nil) || before.Stock != nil && after.Stock != nil && *before.Stock != *after.Stock)
	add("active", before.Active != after.Active)
	return out
}

// UpdateProduct changes product id as c says and emits product_updated
// ("updated", with the fields that changed), audited, in one transaction.
// A change that changes nothing writes nothing and emits nothing. A taken
// SKU is ECONFLICT; an archived product is ENOTFOUND.
func (s *Service) UpdateProduct(ctx context.Context, id string, c ProductChanges) (app.Product, error) {
	return s.write(ctx, func(tx *store.Tx) (app.Product, error) { return s.UpdateProductTx(ctx, tx, id, c) })
}

// UpdateProductTx is UpdateProduct inside tx.
func (s *Service) UpdateProductTx(ctx context.Context, tx *store.Tx, id string, c ProductChanges) (app.Product, error) {
	before, err := tx.Product(ctx, id)
	if err != nil {
		return before, err
	}
	after, err := c.apply(before)
	if err != nil {
		return before, err
	}
	_, err = s.saveTx(ctx, tx, before, &after)
	return after, err
}

// saveTx stores after over before when they differ, and emits its
// product_updated. It reports whether anything changed.
func (s *Service) saveTx(ctx context.Context, tx *store.Tx, before app.Product, after *app.Product) (bool, error) {
	changed := changedFields(before, *after)
	if len(changed) == 0 {
		return false, nil
	}
	if err := tx.UpdateProduct(ctx, before, after); err != nil {
		return false, err
	}
	data := after.UpdatedData("updated")
	data.Changed = changed
	_, err := s.emitter.Emit(ctx, tx, data)
	return true, err
}

// ArchiveProduct takes product id out of the catalog (a soft delete): it
// is no longer listed, store.Product no longer finds it (ENOTFOUND), so it
// cannot be ordered, and orders that have it keep their snapshot. Its SKU
// is free for a new product. It emits product_updated ("deleted"),
// audited, in one transaction, and returns the product as it was last
// shown, now inactive.
func (s *Service) ArchiveProduct(ctx context.Context, id string) (app.Product, error) {
	return s.write(ctx, func(tx *store.Tx) (app.Product, error) { return s.ArchiveProductTx(ctx, tx, id) })
}

// ArchiveProductTx is ArchiveProduct inside tx.
func (s *Service) ArchiveProductTx(ctx context.Context, tx *store.Tx, id string) (app.Product, error) {
	p, err := tx.ArchiveProduct(ctx, id)
	if err != nil {
		return p, err
	}
	_, err = s.emitter.Emit(ctx, tx, p.UpdatedData("deleted"))
	return p, err
}
