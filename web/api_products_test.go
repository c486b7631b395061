package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/commerce"
)

// productJSON is a product as the API answers it.
type productJSON struct {
	ID       string `json:"id"`
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Category string `json:"category"`
	Price    int64  `json:"price"`
	Currency string `json:"currency"`
	Stock    *int64 `json:"stock"`
	Active   bool   `json:"active"`
}

// listProducts lists the products a query finds, following every page.
func (ts *testServer) listProducts(query string) []string {
	ts.t.Helper()
	var names []string
	cursor := ""
	for {
		path := "/api/products?limit=2&" + query
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		res, b := ts.do(req{method: http.MethodGet, path: path, key: ts.keys[app.RoleViewer]})
		p := decodeAs[struct {
			Data       []productJSON `json:"data"`
			NextCursor *string       `json:"next_cursor"`
		}](ts.t, res, b, http.StatusOK)
		for _, d := range p.Data {
			names = append(names, d.Name)
		}
		if p.NextCursor == nil {
			return names
		}
		cursor = *p.NextCursor
	}
}

func TestTheProductListFiltersByCategoryActiveStockAndSearchAcrossPages(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	for _, body := range []string{
		`{"sku":"TEA-RB","name":"Rooibos","category":"tea","price":1250,"currency":"ZAR","stock":4}`,
		`{"sku":"TEA-HB","name":"Honeybush","category":"tea","price":1100,"currency":"ZAR","stock":0}`,
		`{"sku":"TEA-EG","name":"Earl Grey","category":"tea","price":900,"currency":"ZAR"}`,
		`{"sku":"MUG-1","name":"Enamel mug","category":"kitchen","price":5000,"currency":"ZAR","active":false}`,
		`{"sku":"rb-mug","name":"Tea towel","category":"kitchen","price":3000,"currency":"ZAR","stock":2}`,
	} {
		ts.createProduct(op, body)
	}
	cases := []struct {
		query string
		want  []string // newest first
	}{
		{"", []string{"Tea towel", "Enamel mug", "Earl Grey", "Honeybush", "Rooibos"}},
		{"category=tea", []string{"Earl Grey", "Honeybush", "Rooibos"}},
		{"active=false", []string{"Enamel mug"}},
		{"active=true&category=kitchen", []string{"Tea towel"}},
		{"in_stock=true", []string{"Tea towel", "Enamel mug", "Earl Grey", "Rooibos"}},
		{"in_stock=false", []string{"Honeybush"}},
		{"q=RB", []string{"Tea towel", "Rooibos"}}, // the SKU, either case
		{"q=grey", []string{"Earl Grey"}},          // the name, either case
		{"q=%25", nil},                             // a % is a character, not a wildcard
		{"q=tea&category=tea&in_stock=true", []string{"Earl Grey", "Rooibos"}},
	}
	for _, c := range cases {
		if got := ts.listProducts(c.query); !slices.Equal(got, c.want) {
			t.Errorf("?%s: %q, want %q", c.query, got, c.want)
		}
	}
	for _, bad := range []struct{ query, field string }{
		{"active=yes", "active"}, {"in_stock=1", "in_stock"}, {"q=" + strings.Repeat("x", 201), "q"}, {"category=a%0Ab", "category"},
	} {
		res, b := ts.do(req{method: http.MethodGet, path: "/api/products?" + bad.query, key: ts.keys[app.RoleViewer]})
		if res.StatusCode != http.StatusUnprocessableEntity || !slices.Equal(fieldsOf(t, res, b), []string{bad.field}) {
			t.Errorf("?%.40s: %d %s, want 422 on %s", bad.query, res.StatusCode, b, bad.field)
		}
	}
}

func TestAPatchChangesOnlyTheFieldsSentAndEmitsWhatChanged(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	p := ts.createProduct(op, `{"sku":"TEA-1","name":"Rooibos","price":1250,"currency":"ZAR","stock":3}`)
	res, b := ts.do(req{method: http.MethodPatch, path: "/api/products/" + p.ID, key: op, body: `{"price":1500,"stock":null}`})
	got := decodeAs[productJSON](t, res, b, http.StatusOK)
	if got.Price != 1500 || got.Stock != nil || got.Name != "Rooibos" || got.SKU != "TEA-1" {
		t.Errorf("patched: %s", b)
	}
	res, b = ts.do(req{method: http.MethodPatch, path: "/api/products/" + p.ID, key: op, body: `{"stock":7,"active":false}`})
	if got := decodeAs[productJSON](t, res, b, http.StatusOK); got.Stock == nil || *got.Stock != 7 || got.Active {
		t.Errorf("patched: %s", b)
	}
	var changed []string
	rows, err := ts.db.R.Query(`select json_extract(payload, '$.data.changed') from events where type = 'product_updated' and json_extract(payload, '$.data.change') = 'updated' order by seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		rows.Scan(&c)
		changed = append(changed, c)
	}
	rows.Close()
	if !slices.Equal(changed, []string{`["price","stock"]`, `["stock","active"]`}) {
		t.Errorf("events say %q changed", changed)
	}
	if n := countRows(t, ts, `select count(*) from audit_logs where action = 'product.update'`); n != 2 {
		t.Errorf("%d audit rows", n)
	}
}

func TestBadPatchesNameTheFieldAndChangeNothing(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	p := ts.createProduct(op, `{"sku":"TEA-1","name":"Rooibos","price":1250,"currency":"ZAR"}`)
	ts.createProduct(op, `{"sku":"TEA-2","name":"Honeybush","price":900,"currency":"ZAR"}`)
	ts.useKeys(op)
	before := digest(t, ts.db)
	cases := []struct {
		body   string
		status int
		fields []string
	}{
		{`{"price":-1,"currency":"rands"}`, 422, []string{"price", "currency"}},
		{`{"stock":-2}`, 422, []string{"stock"}},
		{`{"stock":"many"}`, 422, []string{"stock"}},
		{`{"stock":1.5}`, 422, []string{"stock"}},
		{`{"price":"12.50"}`, 422, []string{"price"}},
		{`{"name":""}`, 422, []string{"name"}},
		{`{"colour":"red"}`, 422, []string{"colour"}},
		{`{"sku":"TEA-2"}`, 409, []string{"sku"}},
	}
	for _, c := range cases {
		res, b := ts.do(req{method: http.MethodPatch, path: "/api/products/" + p.ID, key: op, body: c.body})
		if res.StatusCode != c.status || !slices.Equal(fieldsOf(t, res, b), c.fields) {
			t.Errorf("%s: %d %s, want %d on %v", c.body, res.StatusCode, b, c.status, c.fields)
		}
	}
	res, b := ts.do(req{method: http.MethodPatch, path: "/api/products/" + app.NewID(app.PrefixProduct), key: op, body: `{"price":1}`})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown product: %d %s", res.StatusCode, b)
	}
	if digest(t, ts.db) != before {
		t.Error("a refused patch changed the database")
	}
}

func TestAnArchivedProductLeavesTheCatalogAndCannotBeOrderedButItsOrdersKeepIt(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	p := ts.createProduct(op, `{"sku":"TEA-1","name":"Rooibos","price":1250,"currency":"ZAR"}`)
	ctx := context.Background()
	o, err := ts.commerce.CreateOrder(ctx, commerce.NewOrder{Customer: &commerce.NewCustomer{Phone: "+263771234567", Name: "Tariro"},
		Items: []commerce.NewItem{{ProductID: p.ID, Quantity: 2}}, Fulfilment: app.FulfilmentPickup})
	if err != nil {
		t.Fatal(err)
	}
	if res, b := ts.do(req{method: http.MethodDelete, path: "/api/products/" + p.ID, key: op}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("archive: %d %s", res.StatusCode, b)
	}
	if res, _ := ts.do(req{method: http.MethodGet, path: "/api/products/" + p.ID, key: op}); res.StatusCode != http.StatusNotFound {
		t.Errorf("an archived product is still found: %d", res.StatusCode)
	}
	if names := ts.listProducts(""); len(names) != 0 {
		t.Errorf("listed after archiving: %q", names)
	}
	if n := countRows(t, ts, `select count(*) from events where type = 'product_updated' and json_extract(payload, '$.data.change') = 'deleted'`); n != 1 {
		t.Errorf("%d deleted events", n)
	}
	_, err = ts.commerce.CreateOrder(ctx, commerce.NewOrder{Customer: &commerce.NewCustomer{Phone: "+263771234567"},
		Items: []commerce.NewItem{{ProductID: p.ID, Quantity: 1}}, Fulfilment: app.FulfilmentPickup})
	if app.ErrorCode(err) != app.EINVALID {
		t.Errorf("ordering an archived product: %v, want refused", err)
	}
	got, err := ts.db.Order(ctx, o.ID)
	if err != nil || len(got.Items) != 1 || got.Items[0].Name != "Rooibos" || got.Items[0].UnitPrice != 1250 {
		t.Errorf("the earlier order's items: %+v, %v", got.Items, err)
	}
	if res, _ := ts.do(req{method: http.MethodDelete, path: "/api/products/" + p.ID, key: op}); res.StatusCode != http.StatusNotFound {
		t.Errorf("archiving twice: %d, want 404", res.StatusCode)
	}
}

// catalogCSV is a catalog file of n rows.
func catalogCSV(n int) string {
	var b strings.Builder
	b.WriteString("sku,name,description,category,price,currency,stock,active\r\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "SKU-%04d,Tea %d,,tea,%d,ZAR,%d,true\r\n", i, i, 100+i, i)
	}
	return b.String()
}

func TestTheCatalogGoesOutAsCSVAndComesBackAsABodyOrAForm(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	res, b := ts.do(req{method: http.MethodPost, path: "/api/products/import", key: op, body: catalogCSV(3), contentType: "text/csv"})
	if got := decodeAs[map[string]int](t, res, b, http.StatusOK); got["created"] != 3 || got["updated"] != 0 || got["unchanged"] != 0 {
		t.Errorf("import: %s", b)
	}
	res, file := ts.do(req{method: http.MethodGet, path: "/api/products/export.csv", key: ts.keys[app.RoleViewer]})
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), `filename="products.csv"`) {
		t.Fatalf("export: %d %v", res.StatusCode, res.Header)
	}
	if string(file) != catalogCSV(3) {
		t.Errorf("export:\n%s\nwant:\n%s", file, catalogCSV(3))
	}
	edited := strings.Replace(string(file), "Tea 2,,tea,102", "Tea 2,,tea,150", 1)
	body, ct := multipartBody(t, "products.csv", []byte(edited), nil)
	res, b = ts.do(req{method: http.MethodPost, path: "/api/products/import", key: op, body: body, contentType: ct})
	if got := decodeAs[map[string]int](t, res, b, http.StatusOK); got["updated"] != 1 || got["unchanged"] != 2 {
		t.Errorf("form import: %s", b)
	}
}

func TestARefusedImportListsEveryBadLineAndImportsNothing(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	ts.useKeys(op)
	before := digest(t, ts.db)
	file := strings.Replace(catalogCSV(1000), "SKU-0016,Tea 16,,tea,116,", "SKU-0016,Tea 16,,tea,1.16,", 1)
	file = strings.Replace(file, "SKU-0901,Tea 901,,tea,1001,ZAR,901,true", "SKU-0901,Tea 901,,tea,1001,ZAR,901,sometimes", 1)
	res, b := ts.do(req{method: http.MethodPost, path: "/api/products/import", key: op, body: file, contentType: "text/csv"})
	if res.StatusCode != http.StatusUnprocessableEntity || !slices.Equal(fieldsOf(t, res, b), []string{"line 17: price", "line 902: active"}) {
		t.Errorf("%d %s", res.StatusCode, b)
	}
	big := strings.Repeat("x", 5<<20+1)
	refusals := []struct {
		name        string
		body, ctype string
		status      int
	}{
		{"JSON", `{"rows":[]}`, "application/json", http.StatusUnsupportedMediaType},
		{"a form without its file", "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b", http.StatusUnprocessableEntity},
		{"a file over 5 MB", big, "text/csv", http.StatusRequestEntityTooLarge},
	}
	for _, r := range refusals {
		res, b := ts.do(req{method: http.MethodPost, path: "/api/products/import", key: op, body: r.body, contentType: r.ctype})
		if res.StatusCode != r.status {
			t.Errorf("%s: %d %.300s, want %d", r.name, res.StatusCode, b, r.status)
		}
		problemOf(t, res, b)
	}
	if digest(t, ts.db) != before {
		t.Error("a refused import changed the database")
	}
}

// The list's kept pages must not answer a filter with another's bytes.
func TestFilteredProductPagesAreKeptApart(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	ts.createProduct(op, `{"name":"Rooibos","category":"tea","price":1,"currency":"ZAR"}`)
	ts.createProduct(op, `{"name":"Mug","category":"kitchen","price":1,"currency":"ZAR"}`)
	for range 2 {
		for q, want := range map[string]string{"category=tea": "Rooibos", "category=kitchen": "Mug"} {
			res, b := ts.do(req{method: http.MethodGet, path: "/api/products?" + q, key: op})
			var p struct{ Data []productJSON }
			if err := json.Unmarshal(b, &p); err != nil || res.StatusCode != 200 || len(p.Data) != 1 || p.Data[0].Name != want {
				t.Errorf("?%s: %s", q, b)
			}
		}
	}
}
