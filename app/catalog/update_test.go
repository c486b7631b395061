package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/catalog"
	"smartbot/store"
	"smartbot/store/storetest"
)

func str(s string) *string { return &s }

// failEvents makes every insert into events fail, until the test ends: the
// last statement of a product change is its event, so failing it shows
// whether everything before it is undone.
func failEvents(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.W.Exec(`create temp trigger fail_events before insert on main.events begin select raise(abort, 'injected failure'); end`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.W.Exec(`drop trigger if exists temp.fail_events`) })
}

// productEvents returns the data of every product_updated event stored.
func productEvents(t *testing.T, db *store.DB) []app.ProductUpdatedData {
	t.Helper()
	rows, err := db.R.Query(`select json_extract(payload, '$.data') from events where type = 'product_updated' order by seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []app.ProductUpdatedData
	for rows.Next() {
		var raw string
		var d app.ProductUpdatedData
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func tea(t *testing.T, s *catalog.Service) app.Product {
	t.Helper()
	stock := int64(5)
	p, err := s.CreateProduct(context.Background(), catalog.NewProduct{SKU: "TEA-1", Name: "Rooibos", Price: price(1250), Currency: "ZAR", Stock: &stock})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnUpdateChangesOnlyWhatItNamesAndEmitsOneEventSayingWhat(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	p := tea(t, s)
	got, err := s.UpdateProduct(ctx, p.ID, catalog.ProductChanges{Price: price(1500), SetStock: true, Stock: nil, Name: str("Rooibos")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Price != 1500 || got.Stock != nil || got.Name != "Rooibos" || got.SKU != "TEA-1" || got.Currency != "ZAR" || !got.Active {
		t.Errorf("updated product %+v", got)
	}
	stored, err := db.Product(ctx, p.ID)
	if err != nil || stored.Price != 1500 || stored.Stock != nil {
		t.Errorf("stored %+v, %v", stored, err)
	}
	events := productEvents(t, db)
	if len(events) != 2 {
		t.Fatalf("%d events, want the create's and one for the update", len(events))
	}
	if e := events[1]; e.Change != "updated" || !slices.Equal(e.Changed, []string{"price", "stock"}) || e.Price != 1500 || e.Stock != nil {
		t.Errorf("update event %+v: want changed [price stock] (the name was sent unchanged)", e)
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs where action = 'product.update' and entity_id = ?
		and json_extract(before, '$.price') = 1250 and json_extract(after, '$.price') = 1500`, p.ID); n != 1 {
		t.Errorf("%d audit rows with before and after", n)
	}

	// Sending what is already there changes nothing: no write, no event.
	if _, err := s.UpdateProduct(ctx, p.ID, catalog.ProductChanges{Price: price(1500), Currency: str("zar")}); err != nil {
		t.Fatal(err)
	}
	if n := len(productEvents(t, db)); n != 2 {
		t.Errorf("a change to nothing emitted: %d events", n)
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs where action = 'product.update'`); n != 1 {
		t.Errorf("a change to nothing was audited: %d rows", n)
	}
}

func TestAnUpdateWhoseEventFailsLeavesTheProductAndTheAuditLogAsTheyWere(t *testing.T) {
	s, db, broker := newService(t)
	ctx := context.Background()
	p := tea(t, s)
	sub := broker.Subscribe(4)
	defer sub.Close()
	failEvents(t, db)
	if _, err := s.UpdateProduct(ctx, p.ID, catalog.ProductChanges{Price: price(99)}); err == nil {
		t.Fatal("the update succeeded with its event refused")
	}
	if _, err := s.ArchiveProduct(ctx, p.ID); err == nil {
		t.Fatal("the archive succeeded with its event refused")
	}
	stored, err := db.Product(ctx, p.ID)
	if err != nil || stored.Price != 1250 {
		t.Errorf("after the failed update and archive: %+v, %v", stored, err)
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs where action in ('product.update', 'product.archive')`); n != 0 {
		t.Errorf("%d audit rows of changes that did not happen", n)
	}
	select {
	case e := <-sub.C:
		t.Errorf("a rolled-back change was broadcast: %+v", e)
	default:
	}
}

func TestAnUpdateIsCheckedAsACreateIsAndRefusalsChangeNothing(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	p := tea(t, s)
	other, err := s.CreateProduct(ctx, catalog.NewProduct{SKU: "TEA-2", Name: "Honeybush", Price: price(900), Currency: "ZAR"})
	if err != nil {
		t.Fatal(err)
	}
	negative := int64(-1)
	cases := []struct {
		name   string
		change catalog.ProductChanges
		code   string
		fields []string
	}{
		{"a negative price, a currency that is no code and negative stock", catalog.ProductChanges{Price: price(-1), Currency: str("rand"), SetStock: true, Stock: &negative},
			app.EINVALID, []string{"price", "currency", "stock"}},
		{"an empty name", catalog.ProductChanges{Name: str("  ")}, app.EINVALID, []string{"name"}},
		{"another product's SKU", catalog.ProductChanges{SKU: str("TEA-2")}, app.ECONFLICT, []string{"sku"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.UpdateProduct(ctx, p.ID, c.change)
			var ae *app.Error
			if !errors.As(err, &ae) || ae.Code != c.code {
				t.Fatalf("err = %v, want %s", err, c.code)
			}
			var fields []string
			for _, f := range ae.Fields {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, c.fields) {
				t.Errorf("fields %v, want %v", fields, c.fields)
			}
		})
	}
	if n := len(productEvents(t, db)); n != 2 {
		t.Errorf("%d events after refused updates, want the two creates'", n)
	}
	if got, _ := db.Product(ctx, p.ID); got.Price != 1250 || got.SKU != "TEA-1" {
		t.Errorf("a refused update changed the product: %+v", got)
	}
	// Taking the SKU off is allowed, and frees it.
	if _, err := s.UpdateProduct(ctx, p.ID, catalog.ProductChanges{SKU: str("")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateProduct(ctx, other.ID, catalog.ProductChanges{SKU: str("TEA-1")}); err != nil {
		t.Errorf("the freed SKU: %v", err)
	}
}

func TestAnArchivedProductIsGoneFromTheCatalogButItsRowAndSKUHistoryStay(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	p := tea(t, s)
	archived, err := s.ArchiveProduct(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if archived.Active {
		t.Errorf("an archived product is shown active: %+v", archived)
	}
	if _, err := db.Product(ctx, p.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("store.Product of an archived product: %v, want ENOTFOUND", err)
	}
	list, _, err := db.ListProducts(ctx, store.ProductFilter{})
	if err != nil || len(list) != 0 {
		t.Errorf("the list shows %d products (%v)", len(list), err)
	}
	if _, err := s.UpdateProduct(ctx, p.ID, catalog.ProductChanges{Price: price(1)}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("updating an archived product: %v, want ENOTFOUND", err)
	}
	if _, err := s.ArchiveProduct(ctx, p.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("archiving twice: %v, want ENOTFOUND", err)
	}
	events := productEvents(t, db)
	if len(events) != 2 || events[1].Change != "deleted" || events[1].ProductID != p.ID {
		t.Errorf("events %+v, want created then deleted", events)
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs where action = 'product.archive' and entity_id = ?`, p.ID); n != 1 {
		t.Errorf("%d archive audit rows", n)
	}
	if n := storetest.Count(t, db, `select count(*) from products where id = ? and deleted_at is not null and active = 0`, p.ID); n != 1 {
		t.Error("the archived row is not kept, marked deleted and inactive")
	}
	// Its SKU is free for a new product, and an import of it makes one
	// rather than bringing the archived one back.
	again, err := s.CreateProduct(ctx, catalog.NewProduct{SKU: "TEA-1", Name: "Rooibos 2", Price: price(1), Currency: "ZAR"})
	if err != nil {
		t.Fatalf("reusing an archived product's SKU: %v", err)
	}
	if _, err := s.ArchiveProduct(ctx, again.ID); err != nil {
		t.Fatal(err)
	}
	res, err := s.ImportCSV(ctx, strings.NewReader("sku,name,price,currency\nTEA-1,Rooibos 3,1,ZAR\n"))
	if err != nil || res != (catalog.ImportResult{Created: 1}) {
		t.Errorf("importing an archived product's SKU: %+v, %v", res, err)
	}
	if n := storetest.Count(t, db, `select count(*) from products where sku = 'TEA-1' and deleted_at is null`); n != 1 {
		t.Errorf("%d live products with the SKU", n)
	}
}
