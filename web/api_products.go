package web

import (
	"net/http"

	"smartbot/app"
	"smartbot/app/catalog"
	"smartbot/store"
)

// The catalog API, starting with what the event feed and the integrations
// need: create, get, list. The catalog service validates, stores and emits
// product_updated.

type productInput struct {
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	Price       *int64 `json:"price"`
	Currency    string `json:"currency"`
	Stock       *int64 `json:"stock"`
	Active      *bool  `json:"active"`
}

func (s *Server) apiCreateProduct(w http.ResponseWriter, r *http.Request, tx *store.Tx) error {
	var in productInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, err := s.catalog.CreateProductTx(r.Context(), tx, catalog.NewProduct{SKU: in.SKU, Name: in.Name, Description: in.Description,
		Category: in.Category, Price: in.Price, Currency: in.Currency, Stock: in.Stock, Active: in.Active})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/products/"+p.ID)
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) apiProduct(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixProduct, "product")
	if err != nil {
		return err
	}
	p, err := s.db.Product(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiProducts(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	if cursor != "" && !app.ValidID(app.PrefixProduct, cursor) {
		return app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out"})
	}
	ps, err := s.db.Products(r.Context(), cursor, limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(ps, limit, func(p app.Product) string { return p.ID }))
	return nil
}
