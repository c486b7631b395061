package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"

	"smartbot/app"
	"smartbot/store"
)

// ImportCSV reads a catalog file (see the top of this file) and imports
// it: every row checked first, then all of them in one transaction, each
// created or changed product with its audit row and product_updated.
func (s *Service) ImportCSV(ctx context.Context, r io.Reader) (ImportResult, error) {
	rows, cols, err := parseCSV(r)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		res, err = s.importTx(ctx, tx, rows, cols)
		return err
	})
	return res, err
}

// ImportCSVTx is ImportCSV inside tx. The file is read and checked before
// anything is written; the caller's transaction is held only for the writes.
func (s *Service) ImportCSVTx(ctx context.Context, tx *store.Tx, r io.Reader) (ImportResult, error) {
	rows, cols, err := parseCSV(r)
	if err != nil {
		return ImportResult{}, err
	}
	return s.importTx(ctx, tx, rows, cols)
}

func (s *Service) importTx(ctx context.Context, tx *store.Tx, rows []importRow, cols map[string]bool) (ImportResult, error) {
	var res ImportResult
	skus := make([]string, len(rows))
	for i, row := range rows {
		skus[i] = row.p.SKU
	}
	existing, err := tx.ProductsBySKU(ctx, skus)
	if err != nil {
		return res, err
	}
	for _, row := range rows {
		before, ok := existing[row.p.SKU]
		if !ok {
			p := row.p
			p.ID = app.NewID(app.PrefixProduct)
			if err := tx.CreateProduct(ctx, &p); err != nil {
				return res, atLine(row.line, err)
			}
			if _, err := s.emitter.Emit(ctx, tx, p.UpdatedData("created")); err != nil {
				return res, err
			}
			res.Created++
			continue
		}
		after := merge(before, row.p, cols)
		changed, err := s.saveTx(ctx, tx, before, &after)
		if err != nil {
			return res, atLine(row.line, err)
		}
		if changed {
			res.Updated++
		} else {
			res.Unchanged++
		}
	}
	return res, nil
}

// merge is product p with the columns cols of the file's row taken from row.
func merge(p, row app.Product, cols map[string]bool) app.Product {
	p.Name, p.Price, p.Currency = row.Name, row.Price, row.Currency
	if cols["description"] {
		p.Description = row.Description
	}
	if cols["category"] {
		p.Category = row.Category
	}
	if cols["stock"] {
		p.Stock = row.Stock
	}
	if cols["active"] {
		p.Active = row.Active
	}
	return p
}

// atLine names the line of an error's fields, for a refusal only the
// database could make.
func atLine(line int, err error) error {
	var ae *app.Error
	if !errors.As(err, &ae) || len(ae.Fields) == 0 {
		return err
	}
	out := *ae
	out.Fields = make([]app.FieldError, len(ae.Fields))
	for i, f := range ae.Fields {
		out.Fields[i] = app.FieldError{Field: fmt.Sprintf("line %d: %s", line, f.Field), Message: f.Message}
	}
	out.Message = fmt.Sprintf("line %d: %s; nothing was imported", line, ae.Message)
	return &out
}
