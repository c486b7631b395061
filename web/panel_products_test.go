package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/media/mediatest"
	"smartbot/store"
)

// productForm is a product form as a person fills it in.
func productForm(name, sku, price string) url.Values {
	return url.Values{"name": {name}, "sku": {sku}, "price": {price}, "currency": {"USD"}, "category": {"Tea"},
		"description": {"Loose leaf"}, "tracked": {"1"}, "stock": {"7"}, "active": {"1"}}
}

// productBySKU reads the catalog's product with sku, if any.
func productBySKU(t *testing.T, ts *testServer, sku string) (app.Product, bool) {
	t.Helper()
	list, _, err := ts.db.ListProducts(context.Background(), store.ProductFilter{Search: sku, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		if p.SKU == sku {
			return p, true
		}
	}
	return app.Product{}, false
}

func TestAProductIsAddedFromThePanelWithItsPriceTypedAsADecimal(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)

	res, body := postForm(ts, "/products", op, productForm("Rooibos", "TEA-1", "1,234.50"))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /products: %d\n%.400s", res.StatusCode, body)
	}
	p, ok := productBySKU(t, ts, "TEA-1")
	if !ok || p.Price != 123450 || p.Stock == nil || *p.Stock != 7 || !p.Active || p.Category != "Tea" {
		t.Fatalf("stored %+v, want 123450 minor units, stock 7, active, in Tea", p)
	}
	if loc := res.Header.Get("Location"); loc != "/products/"+p.ID {
		t.Errorf("went to %q, want the product's page", loc)
	}
	_, page := ts.do(req{method: "GET", path: "/products", cookie: op})
	row := between(string(page), "product-"+p.ID)
	for _, want := range []string{">Rooibos</a>", ">TEA-1<", ">Tea<", ">USD 1,234.50<", ">7<", "badge-active"} {
		if !strings.Contains(row, want) {
			t.Errorf("the table's row lacks %s:\n%s", want, row)
		}
	}
	// The form shows the price as it is typed again: no group separator.
	_, page = ts.do(req{method: "GET", path: "/products/" + p.ID, cookie: op})
	if !strings.Contains(string(page), `name="price" type="text" inputmode="decimal" value="1234.50"`) {
		t.Errorf("the edit form does not show the price 1234.50:\n%s", between(string(page), "product-price"))
	}

	// Untracking the stock and switching the product off.
	f := productForm("Rooibos", "TEA-1", "12.5")
	f.Del("tracked")
	f.Del("active")
	if res, body := postForm(ts, "/products/"+p.ID, op, f); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /products/%s: %d\n%.400s", p.ID, res.StatusCode, body)
	}
	p, _ = productBySKU(t, ts, "TEA-1")
	if p.Price != 1250 || p.Stock != nil || p.Active {
		t.Errorf("after the edit %+v, want 1250, untracked, off", p)
	}
	_, page = ts.do(req{method: "GET", path: "/products", cookie: op})
	if row := between(string(page), "product-"+p.ID); !strings.Contains(row, "not tracked") || !strings.Contains(row, ">off<") {
		t.Errorf("the row does not say untracked and off:\n%s", row)
	}
}

func TestAProductWithABadPriceKeepsWhatWasTypedAndNamesTheField(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	for _, tc := range []struct{ name, price, field, want string }{
		{"a word for a price", "twelve", "price", "Must be an amount like 12.50"},
		{"too many decimals", "12.505", "price", "Must be an amount like 12.50"},
		{"no price", "", "price", "Is required"},
		{"no name", "12.50", "name", "Is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "Rooibos"
			if tc.field == "name" {
				name = ""
			}
			res, body := postForm(ts, "/products", op, productForm(name, "TEA-2", tc.price))
			page := string(body)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("POST /products: %d, want 422", res.StatusCode)
			}
			if got := between(page, "product-"+tc.field+"-error"); !strings.Contains(got, tc.want) {
				t.Errorf("beside %s: %q, want %q", tc.field, got, tc.want)
			}
			if !strings.Contains(page, `id="product-`+tc.field+`" name="`+tc.field+`"`) || !strings.Contains(page, `aria-invalid="true"`) {
				t.Errorf("the %s field is not marked invalid", tc.field)
			}
			for _, typed := range []string{`value="` + tc.price + `"`, `value="TEA-2"`, `value="7"`, ">Loose leaf</textarea>"} {
				if !strings.Contains(page, typed) {
					t.Errorf("the form lost %s", typed)
				}
			}
			if _, ok := productBySKU(t, ts, "TEA-2"); ok {
				t.Error("a refused product was saved")
			}
		})
	}
}

func TestArchivingAProductAsksFirst(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	postForm(ts, "/products", op, productForm("Rooibos", "TEA-3", "12.50"))
	p, _ := productBySKU(t, ts, "TEA-3")
	archive := "/products/" + p.ID + "/archive"
	_, page := ts.do(req{method: "GET", path: "/products/" + p.ID, cookie: op})
	if !strings.Contains(string(page), `href="`+archive+`"`) {
		t.Fatal("the product page has no Archive link")
	}
	res, page := ts.do(req{method: "GET", path: archive, cookie: op})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "<h1>Archive Rooibos?</h1>") || !strings.Contains(string(page), `<form method="post" action="`+archive+`"`) {
		t.Fatalf("GET %s: %d, no confirmation\n%.400s", archive, res.StatusCode, page)
	}
	if _, ok := productBySKU(t, ts, "TEA-3"); !ok {
		t.Fatal("asking archived the product")
	}
	res, _ = postForm(ts, archive, op, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/products" {
		t.Fatalf("POST %s: %d to %q", archive, res.StatusCode, res.Header.Get("Location"))
	}
	if _, ok := productBySKU(t, ts, "TEA-3"); ok {
		t.Error("confirming did not archive the product")
	}
}

func TestAViewerSeesTheCatalogWithoutForms(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	postForm(ts, "/products", op, productForm("Rooibos", "TEA-4", "12.50"))
	p, _ := productBySKU(t, ts, "TEA-4")

	_, list := ts.do(req{method: "GET", path: "/products", cookie: viewer})
	_, item := ts.do(req{method: "GET", path: "/products/" + p.ID, cookie: viewer})
	for _, page := range []string{string(list), string(item)} {
		if !strings.Contains(page, "Rooibos") {
			t.Fatal("the viewer does not see the product")
		}
		for _, form := range []string{`id="new-product"`, `id="import-form"`, `id="save-product"`, `id="archive"`, `id="upload-form"`, `id="picture-picker"`} {
			if strings.Contains(page, form) {
				t.Errorf("a viewer is offered %s", form)
			}
		}
	}
	if !strings.Contains(string(item), `<fieldset class="plain" disabled>`) {
		t.Error("the viewer's form is not read-only")
	}
	if !strings.Contains(string(list), `id="export-csv"`) {
		t.Error("a viewer cannot export the catalog")
	}
	if res, _ := postForm(ts, "/products/"+p.ID, viewer, productForm("Changed", "TEA-4", "1")); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's save: %d, want 403", res.StatusCode)
	}
}

func TestACSVImportShowsEveryErrorByLineAndImportsNothing(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	bad := "sku,name,price,currency\nA-1,Tea,150,USD\nA-2,Coffee,lots,USD\nA-3,Milk,90,USD\nA-4,,80,USD\n"
	body, ct := multipartBody(t, "catalog.csv", []byte(bad), nil)
	res, page := ts.do(req{method: "POST", path: "/products/import", body: body, contentType: ct, cookie: op})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("POST /products/import: %d\n%.400s", res.StatusCode, page)
	}
	errs := between(string(page), "import-errors")
	for _, want := range []string{"Line 3: price:", "Line 5: name:"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the errors lack %q:\n%s", want, errs)
		}
	}
	if !strings.Contains(string(page), "Nothing was imported") {
		t.Error("the page does not say nothing was imported")
	}
	if _, ok := productBySKU(t, ts, "A-1"); ok {
		t.Error("a refused file imported its good rows")
	}

	good := "sku,name,price,currency\nA-1,Tea,150,USD\nA-2,Coffee,250,USD\n"
	body, ct = multipartBody(t, "catalog.csv", []byte(good), nil)
	res, _ = ts.do(req{method: "POST", path: "/products/import", body: body, contentType: ct, cookie: op})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /products/import of a good file: %d", res.StatusCode)
	}
	_, page = ts.do(req{method: "GET", path: "/products", header: cookies(op, flashCookie(t, res))})
	if !strings.Contains(string(page), "Imported: 2 new products, 0 changed, 0 unchanged.") {
		t.Errorf("no counts after the import:\n%s", between(string(page), "flash"))
	}
	// The export link works for a signed-in person, not only an API key.
	res, csv := ts.do(req{method: "GET", path: "/api/products/export.csv", cookie: op})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(csv), "A-2,Coffee,,,250,USD") {
		t.Errorf("GET /api/products/export.csv with a session: %d\n%s", res.StatusCode, csv)
	}
}

func TestAPictureUploadedOnAProductsPageIsItsMainPicture(t *testing.T) {
	ts := newTestServer(t)
	op := ts.session(ts.users[app.RoleOperator], time.Hour)
	postForm(ts, "/products", op, productForm("Rooibos", "TEA-5", "12.50"))
	p, _ := productBySKU(t, ts, "TEA-5")
	body, ct := multipartBody(t, "tea.png", mediatest.PNG(64, 48), nil)
	// As panel.js sends it: it asks for JSON and reads the media record.
	res, answer := ts.do(req{method: "POST", path: "/products/" + p.ID + "/pictures", body: body, contentType: ct, cookie: op,
		header: map[string]string{"Accept": "application/json"}})
	if res.StatusCode != http.StatusAccepted || !strings.Contains(string(answer), `"id":"med_`) {
		t.Fatalf("upload: %d %s", res.StatusCode, answer)
	}
	p, _ = productBySKU(t, ts, "TEA-5")
	if len(p.Media) != 1 || p.Media[0].Role != app.MediaRolePrimary {
		t.Fatalf("the product's media %+v, want the upload as primary", p.Media)
	}
	ts.waitProcessed(p.Media[0].MediaID)
	_, page := ts.do(req{method: "GET", path: "/products", cookie: op})
	if row := between(string(page), "product-"+p.ID); !strings.Contains(row, `src="/media/`+p.Media[0].MediaID+`/thumb"`) {
		t.Errorf("the table shows no thumbnail:\n%s", row)
	}

	// A second picture from the library, made main, then taken off.
	other := ts.upload(ts.keys[app.RoleOperator], "cup.png", mediatest.PNG(50, 50), nil)
	ts.waitProcessed(other.ID)
	if res, b := postForm(ts, "/products/"+p.ID+"/pictures/attach", op, url.Values{"media_id": {other.ID}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("attach: %d %.300s", res.StatusCode, b)
	}
	if res, _ := postForm(ts, "/products/"+p.ID+"/pictures/"+other.ID+"/primary", op, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("primary: %d", res.StatusCode)
	}
	p, _ = productBySKU(t, ts, "TEA-5")
	if len(p.Media) != 2 || p.Media[0].MediaID != other.ID && p.Media[1].Role != app.MediaRolePrimary {
		t.Logf("media %+v", p.Media)
	}
	if primaryOf(p) != other.ID {
		t.Errorf("primary %q, want %s", primaryOf(p), other.ID)
	}
	if res, _ := postForm(ts, "/products/"+p.ID+"/pictures/"+other.ID+"/detach", op, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("detach: %d", res.StatusCode)
	}
	if p, _ = productBySKU(t, ts, "TEA-5"); len(p.Media) != 1 {
		t.Errorf("after detaching, media %+v", p.Media)
	}
}

func primaryOf(p app.Product) string {
	for _, pm := range p.Media {
		if pm.Role == app.MediaRolePrimary {
			return pm.MediaID
		}
	}
	return ""
}
