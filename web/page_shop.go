package web

import (
	"net/http"
	"net/url"
	"strings"

	"smartbot/app"
)

// The shop's panel pages: products (page_products*.go), customers
// (page_customers.go) and deliveries with their run sheet
// (page_deliveries*.go). This file holds their routes and the money
// helpers they share.

// shopPages are the panel's products, customers and deliveries routes.
func (s *Server) shopPages() []route {
	viewer, operator := app.RoleViewer, app.RoleOperator
	upload := s.media.Limits().Max() + uploadFormSlack
	return []route{
		{pattern: "GET /products", need: viewer, panel: true, handler: s.pageProducts},
		{pattern: "GET /products/stream", need: viewer, panel: true, handler: s.streamProducts},
		{pattern: "GET /products/new", need: operator, panel: true, handler: s.pageProductNew},
		{pattern: "POST /products", need: operator, panel: true, handler: s.postProductCreate},
		// The import's file may be as big as the API's import takes.
		{pattern: "POST /products/import", need: operator, panel: true, handler: s.postProductImport, maxBody: maxImportBody + uploadFormSlack},
		{pattern: "GET /products/{id}", need: viewer, panel: true, handler: s.pageProduct},
		{pattern: "GET /products/{id}/stream", need: viewer, panel: true, handler: s.streamProduct},
		{pattern: "POST /products/{id}", need: operator, panel: true, handler: s.postProductSave},
		{pattern: "GET /products/{id}/archive", need: operator, panel: true, handler: s.pageProductArchive},
		{pattern: "POST /products/{id}/archive", need: operator, panel: true, handler: s.postProductArchive},
		// A picture uploaded from the product page: as large and as slow
		// as the media library's upload may be.
		{pattern: "POST /products/{id}/pictures", need: operator, panel: true, handler: s.postProductUpload,
			maxBody: upload, readTimeout: uploadReadTimeout},
		{pattern: "POST /products/{id}/pictures/attach", need: operator, panel: true, handler: s.postProductAttach},
		{pattern: "POST /products/{id}/pictures/{media}/{action}", need: operator, panel: true, handler: s.postProductPicture},

		{pattern: "GET /customers", need: viewer, panel: true, handler: s.pageCustomers},
		{pattern: "GET /customers/{id}", need: viewer, panel: true, handler: s.pageCustomer},
		{pattern: "POST /customers/{id}", need: operator, panel: true, handler: s.postCustomer},

		{pattern: "GET /deliveries", need: viewer, panel: true, handler: s.pageDeliveries},
		{pattern: "GET /deliveries/stream", need: viewer, panel: true, handler: s.streamDeliveries},
		{pattern: "GET /deliveries/run-sheet", need: viewer, panel: true, handler: s.pageRunSheet},
		{pattern: "POST /deliveries/{id}/assign", need: operator, panel: true, handler: s.postTaskAssign},
		{pattern: "POST /deliveries/{id}/status", need: operator, panel: true, handler: s.postTaskMove},
		{pattern: "POST /deliveries/{id}/courier-link", need: operator, panel: true, handler: s.postTaskLink},
	}
}

// shopMoney writes amounts as the shop's messages do: the currency code,
// then the amount with the shop's locale's separators and the currency's
// minor digits ("USD 1,234.50", "EUR 1.234,50"). The template engine's own

// shopPath builds "/<collection>/<id>[/more…]" with the id escaped.
func shopPath(collection, id string, more ...string) string {
	return strings.Join(append([]string{"/" + collection, url.PathEscape(id)}, more...), "/")
}

// redirectWith is done for a page whose address has a query (a filter, a
// day): the flash waits for the page's path, the browser goes to the
// whole address.
func (s *Server) redirectWith(w http.ResponseWriter, r *http.Request, to string, f flash) error {
	path, _, _ := strings.Cut(to, "?")
	if err := s.setFlash(w, r, path, f); err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
