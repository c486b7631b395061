package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/catalog"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

const header = "sku,name,description,category,price,currency,stock,active\n"

// catalogFile is a catalog of n good rows, SKU-0001 upwards; bad maps a
// line number (the header is line 1) to the row written there instead.
func catalogFile(n int, bad map[int]string) string {
	var b strings.Builder
	b.WriteString(header)
	for i := 1; i <= n; i++ {
		if row, ok := bad[i+1]; ok {
			b.WriteString(row + "\n")
			continue
		}
		fmt.Fprintf(&b, "SKU-%04d,Tea %d,\"Loose leaf, 100 g\",tea,%d,ZAR,%d,true\n", i, i, 1000+i, i%7)
	}
	return b.String()
}

func fieldsOf(t *testing.T, err error) []app.FieldError {
	t.Helper()
	var ae *app.Error
	if !errors.As(err, &ae) || ae.Code != app.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
	return ae.Fields
}

func TestAThousandRowCatalogWithTwoBadRowsImportsNothingAndNamesBothLines(t *testing.T) {
	s, db, _ := newService(t)
	file := catalogFile(1000, map[int]string{
		17:  "SKU-0016,Tea 16,,tea,12.50,ZAR,,true",
		902: "SKU-0901,,,tea,100,ZAR,-3,maybe",
	})
	_, err := s.ImportCSV(context.Background(), strings.NewReader(file))
	var got []string
	for _, f := range fieldsOf(t, err) {
		got = append(got, f.Field)
	}
	want := []string{"line 17: price", "line 902: active", "line 902: name", "line 902: stock"}
	if !slices.Equal(got, want) {
		t.Errorf("errors on %v, want %v", got, want)
	}
	if !strings.Contains(err.Error(), "2 rows have errors; nothing was imported") {
		t.Errorf("message %q", err)
	}
	if n := storetest.Count(t, db, `select (select count(*) from products) + (select count(*) from events) + (select count(*) from audit_logs)`); n != 0 {
		t.Errorf("%d rows written by a refused import", n)
	}
}

func TestAGoodThousandRowCatalogIsImportedInOneTransactionWithAnEventAndAuditRowEach(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	start := time.Now()
	res, err := s.ImportCSV(ctx, strings.NewReader(catalogFile(1000, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("1,000 rows imported in %v", time.Since(start))
	if res != (catalog.ImportResult{Created: 1000}) {
		t.Errorf("result %+v", res)
	}
	if n := storetest.Count(t, db, `select count(*) from products where price = 1000 + cast(substr(sku, 5) as integer)`); n != 1000 {
		t.Errorf("%d products as the file has them", n)
	}
	events := productEvents(t, db)
	ids := map[string]bool{}
	for _, e := range events {
		if e.Change == "created" {
			ids[e.ProductID] = true
		}
	}
	if len(events) != 1000 || len(ids) != 1000 {
		t.Errorf("%d events for %d products, want one created each", len(events), len(ids))
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs where action = 'product.create'`); n != 1000 {
		t.Errorf("%d audit rows", n)
	}
}

func TestAnImportWhoseLastWriteFailsLeavesNothing(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	// The last statement of a 1,000-row import is its last product's event.
	if _, err := db.W.Exec(`create temp trigger fail_last before insert on main.events
		when json_extract(new.payload, '$.data.sku') = 'SKU-1000' begin select raise(abort, 'injected failure'); end`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportCSV(ctx, strings.NewReader(catalogFile(1000, nil))); err == nil {
		t.Fatal("the import succeeded with its last event refused")
	}
	if n := storetest.Count(t, db, `select (select count(*) from products) + (select count(*) from events) + (select count(*) from audit_logs)`); n != 0 {
		t.Errorf("%d rows kept of an import that failed at its end", n)
	}
}

func TestAnImportUpdatesKnownSKUsCreatesNewOnesAndChangesOnlyItsColumns(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	p := tea(t, s) // TEA-1, 1250 ZAR, stock 5, no description
	if _, err := s.UpdateProduct(ctx, p.ID, catalog.ProductChanges{Description: str("Kept")}); err != nil {
		t.Fatal(err)
	}
	// No description or stock column: those stay as they are.
	file := "\ufeffSKU, Name ,Price,Currency,Active\nTEA-1,Rooibos,1300,zar,false\nTEA-2,Honeybush,900,ZAR,\n"
	res, err := s.ImportCSV(ctx, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if res != (catalog.ImportResult{Created: 1, Updated: 1}) {
		t.Errorf("result %+v", res)
	}
	got, err := db.Product(ctx, p.ID)
	if err != nil || got.Price != 1300 || got.Active || got.Description != "Kept" || got.Stock == nil || *got.Stock != 5 {
		t.Errorf("updated product %+v, %v", got, err)
	}
	events := productEvents(t, db)
	last := events[len(events)-2:]
	if last[0].Change != "updated" || !slices.Equal(last[0].Changed, []string{"price", "active"}) || last[1].Change != "created" || last[1].SKU != "TEA-2" {
		t.Errorf("import events %+v", last)
	}
	// The same file again changes nothing.
	res, err = s.ImportCSV(ctx, strings.NewReader(file))
	if err != nil || res != (catalog.ImportResult{Unchanged: 2}) {
		t.Errorf("again: %+v, %v", res, err)
	}
	if n := len(productEvents(t, db)); n != len(events) {
		t.Errorf("an import that changed nothing emitted %d events", n-len(events))
	}
}

func TestExportingThenImportingTheCatalogChangesNothing(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	zero, active := int64(0), false
	for _, in := range []catalog.NewProduct{
		{SKU: "TEA-1", Name: "Rooibos", Description: "Loose leaf, \"red bush\"\nfrom the Cederberg", Category: "tea", Price: price(1250), Currency: "ZAR"},
		{SKU: "MUG-1", Name: "Mug, enamel", Category: "kitchen", Price: price(0), Currency: "USD", Stock: &zero, Active: &active},
		{SKU: "=SUM(1)", Name: "Café crème", Price: price(300), Currency: "EUR"},
	} {
		if _, err := s.CreateProduct(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	var first bytes.Buffer
	if err := s.ExportCSV(ctx, &first); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(first.String(), "sku,name,description,category,price,currency,stock,active\r\n") {
		t.Errorf("export begins %q", first.String()[:60])
	}
	res, err := s.ImportCSV(ctx, bytes.NewReader(first.Bytes()))
	if err != nil || res != (catalog.ImportResult{Unchanged: 3}) {
		t.Fatalf("re-import into the same shop: %+v, %v", res, err)
	}

	// Into another shop: the same catalog comes out.
	other, otherDB, _ := newService(t)
	if res, err := other.ImportCSV(ctx, bytes.NewReader(first.Bytes())); err != nil || res != (catalog.ImportResult{Created: 3}) {
		t.Fatalf("import into a new shop: %+v, %v", res, err)
	}
	var second bytes.Buffer
	if err := other.ExportCSV(ctx, &second); err != nil {
		t.Fatal(err)
	}
	if first.String() != second.String() {
		t.Errorf("the round trip changed the file:\n%s\n---\n%s", first.String(), second.String())
	}
	if n := storetest.Count(t, otherDB, `select count(*) from products where sku = 'MUG-1' and stock = 0 and active = 0 and price = 0`); n != 1 {
		t.Error("stock 0, inactive and a zero price did not survive the trip")
	}
}

func TestAFileAnImportCannotReadIsRefusedWithWhereAndWhy(t *testing.T) {
	s, db, _ := newService(t)
	cases := []struct {
		name, file string
		want       []string // field: a part of its message
	}{
		{"an empty file", "", []string{"file: is empty"}},
		{"a header only", header, []string{"file: has a header but no products"}},
		{"unknown, doubled and missing columns", "sku,nom,sku,price\n", []string{
			`line 1: column "nom" is not known`, `line 1: column "sku" appears twice`, "line 1: the name column is missing", "line 1: the currency column is missing"}},
		{"a row with a cell too few", header + "A,Tea,,tea,100,ZAR,,true\nB,Tea,,tea,100,ZAR,\n", []string{"line 3: has 7 cells; the header has 8"}},
		{"a repeated SKU and one missing", header + "A,Tea,,,100,ZAR,,\n,Tea,,,100,ZAR,,\nA,Tea,,,100,ZAR,,\n", []string{
			"line 3: sku: is required", "line 4: sku: A is also on line 2"}},
		{"broken quoting", header + "A,Tea,,,100,ZAR,,\nB,\"Tea \"x\",,,100,ZAR,,\n", []string{"line 3: is not valid CSV"}},
		{"a control character and a long name", header + "A,Te\x07a,,,100,ZAR,,\nB," + strings.Repeat("x", 201) + ",,,100,ZAR,,\n", []string{
			"line 2: name: must not contain control characters", "line 3: name: must be at most 200 characters"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.ImportCSV(context.Background(), strings.NewReader(c.file))
			var got []string
			for _, f := range fieldsOf(t, err) {
				got = append(got, f.Field+": "+f.Message)
			}
			if len(got) != len(c.want) {
				t.Fatalf("errors %q, want %d like %q", got, len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("error %d: %q, want it to begin %q", i, got[i], w)
				}
			}
		})
	}
	if n := storetest.Count(t, db, `select count(*) from products`); n != 0 {
		t.Errorf("%d products from refused files", n)
	}
}

func TestAFileOfMoreRowsThanAnImportTakesIsRefused(t *testing.T) {
	s, _, _ := newService(t)
	_, err := s.ImportCSV(context.Background(), strings.NewReader(catalogFile(catalog.MaxImportRows+1, nil)))
	fields := fieldsOf(t, err)
	if len(fields) != 1 || fields[0].Field != fmt.Sprintf("line %d", catalog.MaxImportRows+2) {
		t.Errorf("errors %+v", fields)
	}
}

// BenchmarkImport measures importing a new 1,000-row catalog: checking
// every row, then one transaction with 1,000 products, audit rows and
// events. Rerun:
//
//	go test ./app/catalog -run '^$' -bench Import -benchtime 20x
func BenchmarkImport(b *testing.B) {
	file := catalogFile(1000, nil)
	for b.Loop() {
		b.StopTimer()
		db := storetest.New(b)
		s := newServiceOn(db)
		b.StartTimer()
		if _, err := s.ImportCSV(context.Background(), strings.NewReader(file)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReimport measures importing a 1,000-row catalog over itself
// with every price changed: 1,000 updates, audit rows and events.
func BenchmarkReimport(b *testing.B) {
	db := storetest.New(b)
	s := newServiceOn(db)
	if _, err := s.ImportCSV(context.Background(), strings.NewReader(catalogFile(1000, nil))); err != nil {
		b.Fatal(err)
	}
	files := [2]string{strings.ReplaceAll(catalogFile(1000, nil), ",ZAR,", "1,ZAR,"), catalogFile(1000, nil)}
	i := 0
	for b.Loop() {
		res, err := s.ImportCSV(context.Background(), strings.NewReader(files[i%2]))
		if err != nil || res.Updated != 1000 {
			b.Fatal(res, err)
		}
		i++
	}
}

func newServiceOn(db *store.DB) *catalog.Service {
	return catalog.New(catalog.Options{DB: db, Emitter: event.NewEmitter(queue.New(db), event.NewBroker(), nil)})
}
