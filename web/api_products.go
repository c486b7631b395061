package web

import (
	"context"
	"net/http"
	"strconv"

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
	writeJSONWith(w, http.StatusCreated, func(b []byte) []byte { return appendProductJSON(b, p) })
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
	writeJSONWith(w, http.StatusOK, func(b []byte) []byte { return appendProductJSON(b, p) })
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
	// A page of the catalogue is read far more often than the catalogue
	// changes: it is kept until the next commit to the database (any
	// commit, by any process), and the same bytes answer every request
	// for it until then. Who may read it is still checked per request.
	body, err := s.db.Memo(r.Context(), "api:products:"+strconv.Itoa(limit)+":"+cursor, func(ctx context.Context) (any, error) {
		ps, err := s.db.Products(ctx, cursor, limit+1)
		if err != nil {
			return nil, err
		}
		page := newPage(ps, limit, func(p app.Product) string { return p.ID })
		return appendPage(nil, page, appendProductJSON), nil
	})
	if err != nil {
		return err
	}
	writeJSONWith(w, http.StatusOK, func(b []byte) []byte { return append(b, body.([]byte)...) })
	return nil
}

// appendProductJSON appends p as encoding/json writes an app.Product
// (json_test.go checks that every field is here).
func appendProductJSON(b []byte, p app.Product) []byte {
	b = appendJSONString(append(b, `{"id":`...), p.ID)
	b = appendJSONString(append(b, `,"sku":`...), p.SKU)
	b = appendJSONString(append(b, `,"name":`...), p.Name)
	b = appendJSONString(append(b, `,"description":`...), p.Description)
	b = appendJSONString(append(b, `,"category":`...), p.Category)
	b = strconv.AppendInt(append(b, `,"price":`...), p.Price, 10)
	b = appendJSONString(append(b, `,"currency":`...), p.Currency)
	b = append(b, `,"stock":`...)
	if p.Stock == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, *p.Stock, 10)
	}
	b = strconv.AppendBool(append(b, `,"active":`...), p.Active)
	b = append(b, `,"media":`...)
	if p.Media == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, m := range p.Media {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(append(b, `{"media_id":`...), m.MediaID)
			b = appendJSONString(append(b, `,"role":`...), m.Role)
			b = strconv.AppendInt(append(b, `,"position":`...), int64(m.Position), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendTime(append(b, `,"created_at":`...), p.CreatedAt)
	b = appendTime(append(b, `,"updated_at":`...), p.UpdatedAt)
	return append(b, '}')
}

// Product media: put pictures on a product, take them off, choose its
// primary one and their order. Each answers with the product as it now is.

func (s *Server) apiAttachProductMedia(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixProduct, "product")
	if err != nil {
		return err
	}
	var in struct {
		MediaID string `json:"media_id"`
		Role    string `json:"role"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if !app.ValidID(app.PrefixMedia, in.MediaID) {
		return app.Invalid(app.FieldError{Field: "media_id", Message: "is required: the id of a media file (med_…)"})
	}
	p, err := s.catalog.AttachMedia(r.Context(), id, in.MediaID, in.Role)
	return s.productAnswer(w, p, err)
}

func (s *Server) apiReorderProductMedia(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixProduct, "product")
	if err != nil {
		return err
	}
	var in struct {
		MediaIDs []string `json:"media_ids"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, err := s.catalog.ReorderMedia(r.Context(), id, in.MediaIDs)
	return s.productAnswer(w, p, err)
}

func (s *Server) apiSetPrimaryProductMedia(w http.ResponseWriter, r *http.Request) error {
	id, mediaID, err := productMediaIDs(r)
	if err != nil {
		return err
	}
	p, err := s.catalog.SetPrimaryMedia(r.Context(), id, mediaID)
	return s.productAnswer(w, p, err)
}

func (s *Server) apiDetachProductMedia(w http.ResponseWriter, r *http.Request) error {
	id, mediaID, err := productMediaIDs(r)
	if err != nil {
		return err
	}
	p, err := s.catalog.DetachMedia(r.Context(), id, mediaID)
	return s.productAnswer(w, p, err)
}

// productMediaIDs reads the product and media ids of a product media path.
func productMediaIDs(r *http.Request) (productID, mediaID string, err error) {
	if productID, err = pathID(r, app.PrefixProduct, "product"); err == nil {
		mediaID, err = pathIDOf(r, "media_id", app.PrefixMedia, "media")
	}
	return productID, mediaID, err
}

// productAnswer answers a change of a product with the product, or err.
func (s *Server) productAnswer(w http.ResponseWriter, p app.Product, err error) error {
	if err != nil {
		return err
	}
	writeJSONWith(w, http.StatusOK, func(b []byte) []byte { return appendProductJSON(b, p) })
	return nil
}
