package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"smartbot/app"
	"smartbot/app/catalog"
	"smartbot/store"
)

// The catalog API: list (with filters), create, get, update, archive, the
// product's media, and the catalog as CSV (api_products_csv.go). The
// catalog service validates, stores and emits product_updated.

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
	q := r.URL.Query()
	f := store.ProductFilter{Category: q.Get("category"), Search: q.Get("q"), Limit: limit, Cursor: cursor}
	var errs []app.FieldError
	if f.Active, err = boolParam(q, "active"); err != nil {
		errs = append(errs, app.FieldError{Field: "active", Message: "must be true (on sale) or false (switched off)"})
	}
	if f.InStock, err = boolParam(q, "in_stock"); err != nil {
		errs = append(errs, app.FieldError{Field: "in_stock", Message: "must be true (can be sold now) or false (sold out)"})
	}
	if fe := app.CheckText("category", f.Category, 100, false); fe != nil {
		errs = append(errs, *fe)
	}
	if fe := app.CheckText("q", f.Search, 200, false); fe != nil {
		errs = append(errs, *fe)
	}
	if len(errs) > 0 {
		return app.Invalid(errs...)
	}
	build := func(ctx context.Context) (any, error) {
		ps, next, err := s.db.ListProducts(ctx, f)
		if err != nil {
			return nil, err
		}
		return appendPage(nil, page[app.Product]{Data: ps, NextCursor: cursorOf(next)}, appendProductJSON), nil
	}
	var body any
	if f.Search == "" {
		// A page of the catalogue is read far more often than the
		// catalogue changes: it is kept until the next commit to the
		// database (any commit, by any process), and the same bytes answer
		// every request for it until then. Who may read it is still
		// checked per request. A search is not kept: its words would crowd
		// the pages out of the memo.
		key := "api:products:" + strconv.Itoa(limit) + ":" + cursor + ":" + q.Get("active") + ":" + q.Get("in_stock") + ":" + f.Category
		body, err = s.db.Memo(r.Context(), key, build)
	} else {
		body, err = build(r.Context())
	}
	if err != nil {
		return err
	}
	writeJSONWith(w, http.StatusOK, func(b []byte) []byte { return append(b, body.([]byte)...) })
	return nil
}

// boolParam reads an optional true/false query parameter: nil when absent.
func boolParam(q url.Values, name string) (*bool, error) {
	switch q.Get(name) {
	case "":
		return nil, nil
	case "true":
		v := true
		return &v, nil
	case "false":
		v := false
		return &v, nil
	}
	return nil, fmt.Errorf("web: %s is not true or false", name)
}

// productPatch is the body of PATCH /api/products/{id}: the fields to
// change. A field left out, or null, stays as it is; but stock, whose null
// means "not tracked".
type productPatch struct {
	SKU         *string        `json:"sku"`
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
	Category    *string        `json:"category"`
	Price       *int64         `json:"price"`
	Currency    *string        `json:"currency"`
	Stock       jsontext.Value `json:"stock"`
	Active      *bool          `json:"active"`
}

func (s *Server) apiUpdateProduct(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixProduct, "product")
	if err != nil {
		return err
	}
	var in productPatch
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c := catalog.ProductChanges{SKU: in.SKU, Name: in.Name, Description: in.Description, Category: in.Category,
		Price: in.Price, Currency: in.Currency, Active: in.Active}
	if len(in.Stock) > 0 {
		c.SetStock = true
		if in.Stock.Kind() != 'n' {
			var n int64
			if err := jsonv2.Unmarshal(in.Stock, &n); err != nil {
				return app.Invalid(app.FieldError{Field: "stock", Message: "must be a whole number of zero or more, or null when stock is not tracked"})
			}
			c.Stock = &n
		}
	}
	p, err := s.catalog.UpdateProduct(r.Context(), id, c)
	return s.productAnswer(w, p, err)
}

// apiArchiveProduct is DELETE: the product is archived, not removed, as
// orders refer to it; it is gone from the catalog and the API.
func (s *Server) apiArchiveProduct(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, app.PrefixProduct, "product")
	if err != nil {
		return err
	}
	if _, err := s.catalog.ArchiveProduct(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// The catalog as CSV: the file format is documented in app/catalog/csv.go.

// maxImportBody caps an import's file.
const maxImportBody = 5 << 20

func (s *Server) apiExportProducts(w http.ResponseWriter, r *http.Request) error {
	// Written whole before it is sent, so that a failed read is a problem
	// document rather than a truncated file that looks complete.
	var buf bytes.Buffer
	if err := s.catalog.ExportCSV(r.Context(), &buf); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="products.csv"`)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}

// apiImportProducts takes a catalog file as the body (text/csv) or as the
// file field of a form (multipart/form-data).
func (s *Server) apiImportProducts(w http.ResponseWriter, r *http.Request) error {
	file, err := importFile(r)
	if err != nil {
		return err
	}
	res, err := s.catalog.ImportCSV(r.Context(), bytes.NewReader(file))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// importFile reads the file of an import request, whole: the file is
// checked in full before anything is written anyway.
func importFile(r *http.Request) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var body io.Reader
	switch {
	case err == nil && (mt == "text/csv" || mt == "application/csv"):
		body = r.Body
	case err == nil && mt == "multipart/form-data" && params["boundary"] != "":
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, app.Invalid(app.FieldError{Field: "file", Message: "is missing: send the CSV file as the form's file field"})
			}
			if err != nil {
				return nil, importReadError(err)
			}
			if part.FormName() == "file" {
				body = part
				break
			}
		}
	default:
		return nil, app.Errorf(app.EUNSUPPORTED, "send the catalog as the body with Content-Type: text/csv, or as the file field of a multipart/form-data form")
	}
	b, err := io.ReadAll(io.LimitReader(body, maxImportBody+1))
	if err != nil {
		return nil, importReadError(err)
	}
	if len(b) > maxImportBody {
		return nil, app.Errorf(app.ETOOLARGE, "the file is larger than %s; split it", byteSize(maxImportBody))
	}
	return b, nil
}

func importReadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return app.Errorf(app.ETOOLARGE, "the file is larger than %s; split it", byteSize(maxImportBody))
	}
	return &app.Error{Code: errMalformed, Message: "the form could not be read: " + err.Error(), Err: err}
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
