package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/a-h/templ"

	"smartbot/app"
	"smartbot/store"
	"smartbot/web/ui"
)

// The products pages: the catalog's table with filters, live on
// product_updated; a product's form and pictures (page_products_edit.go,
// page_products_media.go); the catalog as CSV.

// productPageSize is how many products a page of the table shows.
const productPageSize = 50

// productQuery is the table's filter as the URL gives it.
type productQuery struct {
	form   ui.ProductFilterForm
	filter store.ProductFilter
}

func parseProductQuery(r *http.Request) productQuery {
	q := r.URL.Query()
	pq := productQuery{filter: store.ProductFilter{Limit: productPageSize}}
	pq.form.Search = app.Shorten(q.Get("q"), 100)
	pq.form.Category = app.Shorten(q.Get("category"), 100)
	pq.filter.Search, pq.filter.Category = pq.form.Search, pq.form.Category
	yes, no := true, false
	switch q.Get("active") {
	case "yes":
		pq.form.Active, pq.filter.Active = "yes", &yes
	case "no":
		pq.form.Active, pq.filter.Active = "no", &no
	}
	switch q.Get("stock") {
	case "in":
		pq.form.InStock, pq.filter.InStock = "in", &yes
	case "out":
		pq.form.InStock, pq.filter.InStock = "out", &no
	}
	if c := q.Get("cursor"); app.ValidID(app.PrefixProduct, c) {
		pq.filter.Cursor = c
	}
	return pq
}

// link is the table's address with this filter at cursor.
func (pq productQuery) link(cursor string) string {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", pq.form.Search)
	set("category", pq.form.Category)
	set("active", pq.form.Active)
	set("stock", pq.form.InStock)
	set("cursor", cursor)
	if len(v) == 0 {
		return "/products"
	}
	return "/products?" + v.Encode()
}

func (s *Server) pageProducts(w http.ResponseWriter, r *http.Request) error {
	return s.renderProducts(w, r, http.StatusOK, nil)
}

// renderProducts shows the catalog; importErrors are a refused import's
// messages by line.
func (s *Server) renderProducts(w http.ResponseWriter, r *http.Request, status int, importErrors []string) error {
	pq := parseProductQuery(r)
	table, err := s.productTable(r.Context(), pq)
	if err != nil {
		return err
	}
	l, _ := s.frame(w, r, "Products", "products")
	if len(importErrors) > 0 {
		l.Error = "Nothing was imported: the file has " + plural(len(importErrors), "problem") + ", listed below. Fix them and import the whole file again."
	}
	p := ui.ProductsPage{Layout: l, Filter: pq.form, Table: table, CanEdit: l.User.CanOperate(),
		ExportURL: "/api/products/export.csv", ImportErrors: importErrors, ImportMax: byteSize(maxImportBody)}
	p.Stream = "/products/stream"
	if raw := r.URL.RawQuery; raw != "" {
		p.Stream += "?" + raw
	}
	for _, row := range table.Rows {
		if row.Category != "" && !slices.Contains(p.Filter.Categories, row.Category) {
			p.Filter.Categories = append(p.Filter.Categories, row.Category)
		}
	}
	return render(w, r, status, ui.Products(p))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// productTable reads one page of the catalog as the table shows it.
func (s *Server) productTable(ctx context.Context, pq productQuery) (ui.ProductTable, error) {
	list, next, err := s.db.ListProducts(ctx, pq.filter)
	if err != nil {
		return ui.ProductTable{}, err
	}
	thumbs, err := s.productThumbs(ctx, list)
	if err != nil {
		return ui.ProductTable{}, err
	}
	m := s.moneyOf(ctx)
	var t ui.ProductTable
	for _, p := range list {
		row := ui.ProductRow{ID: p.ID, Href: shopPath("products", p.ID), Name: p.Name, SKU: p.SKU, Category: p.Category,
			Price: m.format(p.Price, p.Currency), Stock: "not tracked", Active: p.Active, Thumb: thumbs[p.ID]}
		if p.Stock != nil {
			row.Stock, row.SoldOut = strconv.FormatInt(*p.Stock, 10), *p.Stock == 0
		}
		t.Rows = append(t.Rows, row)
	}
	if next != "" {
		t.NextURL = pq.link(next)
	}
	f := pq.filter
	switch {
	case f.Search != "" || f.Category != "" || f.Active != nil || f.InStock != nil:
		t.Empty = "No products match these filters."
	case f.Cursor != "":
		t.Empty = "No more products."
	default:
		t.Empty = "No products yet. Add them one by one with New product, or import the catalog from a spreadsheet saved as CSV."
	}
	return t, nil
}

// productThumbs is each product's primary picture's thumbnail, when it
// is ready.
func (s *Server) productThumbs(ctx context.Context, list []app.Product) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range list {
		id := primaryMedia(p.Media)
		if id == "" {
			continue
		}
		md, err := s.db.Media(ctx, id)
		if app.ErrorCode(err) == app.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[p.ID] = mediaCard(md).Thumb
	}
	return out, nil
}

// primaryMedia is the id of a product's primary picture, else its first.
func primaryMedia(list []app.ProductMedia) string {
	for _, pm := range list {
		if pm.Role == "primary" {
			return pm.MediaID
		}
	}
	if len(list) > 0 {
		return list[0].MediaID
	}
	return ""
}

// streamProducts keeps the table current: on every product_updated event,
// and on the refresh tick for pictures finishing their processing.
func (s *Server) streamProducts(w http.ResponseWriter, r *http.Request) error {
	pq := parseProductQuery(r)
	sub := s.broker.Subscribe(dashboardBuffer)
	defer sub.Close()
	refresh := func(ctx context.Context, st *stream) error {
		t, err := s.productTable(ctx, pq)
		if err != nil {
			return err
		}
		return st.patch(ctx, "products", fragmentKey(ctx, t), func() templ.Component { return ui.ProductRows(t) })
	}
	return s.live(w, r, sub, refresh, func(ctx context.Context, st *stream, e app.Event) error {
		if e.Type != app.ProductUpdated {
			return nil
		}
		return refresh(ctx, st)
	})
}

// postProductImport imports a CSV file from the form: all of it, or
// nothing with every error by line.
func (s *Server) postProductImport(w http.ResponseWriter, r *http.Request) error {
	file, err := importFile(r)
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			return s.renderProducts(w, r, status, []string{msg})
		})
	}
	res, err := s.catalog.ImportCSV(r.Context(), bytes.NewReader(file))
	var ae *app.Error
	if errors.As(err, &ae) && ae.Code == app.EINVALID {
		var lines []string
		for _, fe := range ae.Fields {
			lines = append(lines, sentence(fe.Field+": "+fe.Message))
		}
		if len(lines) == 0 {
			lines = []string{sentence(ae.Message)}
		}
		return s.renderProducts(w, r, http.StatusUnprocessableEntity, lines)
	}
	if err != nil {
		return formFailed(err, func(status int, msg string) error {
			return s.renderProducts(w, r, status, []string{msg})
		})
	}
	return s.done(w, r, "/products", flash{notice: "Imported: " + plural(res.Created, "new product") + ", " +
		strconv.Itoa(res.Updated) + " changed, " + strconv.Itoa(res.Unchanged) + " unchanged."})
}
