package catalog_test

import (
	"context"
	"errors"
	"testing"

	"smartbot/app"
	"smartbot/app/catalog"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

func newService(t *testing.T) (*catalog.Service, *store.DB, *event.Broker) {
	db := storetest.New(t)
	broker := event.NewBroker()
	return catalog.New(catalog.Options{DB: db, Emitter: event.NewEmitter(queue.New(db), broker, nil)}), db, broker
}

func price(n int64) *int64 { return &n }

func TestCreatingAProductStoresItAuditsItAndEmitsOneEvent(t *testing.T) {
	s, db, broker := newService(t)
	sub := broker.Subscribe(4)
	defer sub.Close()
	p, err := s.CreateProduct(context.Background(), catalog.NewProduct{SKU: " TEA-1 ", Name: " Rooibos ", Price: price(1250), Currency: "zar"})
	if err != nil {
		t.Fatal(err)
	}
	if p.SKU != "TEA-1" || p.Name != "Rooibos" || p.Currency != "ZAR" || !p.Active {
		t.Errorf("normalised product: %+v", p)
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs where action = 'product.create' and entity_id = ?`, p.ID); n != 1 {
		t.Errorf("%d audit rows", n)
	}
	e := <-sub.C
	if e.Type != app.ProductUpdated {
		t.Errorf("event %s", e.Type)
	}
}

func TestAMissingPriceAndControlCharactersAreRefusedBeforeTheDatabase(t *testing.T) {
	s, db, _ := newService(t)
	_, err := s.CreateProduct(context.Background(), catalog.NewProduct{Name: "Tea\x00", Description: "Line one\nline two\ttab", Category: "Dri\x07nks", Currency: "ZAR"})
	var ae *app.Error
	if !errors.As(err, &ae) || ae.Code != app.EINVALID {
		t.Fatalf("err = %v", err)
	}
	got := map[string]bool{}
	for _, f := range ae.Fields {
		got[f.Field] = true
	}
	if !got["name"] || !got["category"] || !got["price"] || got["description"] {
		t.Errorf("fields %+v: want name, category and price (newlines and tabs are fine in a description)", ae.Fields)
	}
	if n := storetest.Count(t, db, `select count(*) from products`); n != 0 {
		t.Errorf("%d products stored", n)
	}
}

func TestAProductMadeInTheCallersTransactionVanishesWithItsEventOnRollback(t *testing.T) {
	s, db, broker := newService(t)
	sub := broker.Subscribe(4)
	defer sub.Close()
	ctx := context.Background()
	boom := errors.New("later step failed")
	err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := s.CreateProductTx(ctx, tx, catalog.NewProduct{Name: "Tea", Price: price(100), Currency: "USD"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n := storetest.Count(t, db, `select (select count(*) from products) + (select count(*) from events)`); n != 0 {
		t.Errorf("%d rows survived", n)
	}
	select {
	case e := <-sub.C:
		t.Errorf("a rolled-back product was broadcast: %+v", e)
	default:
	}
}

func TestATakenSKUIsAConflictOnTheSKUField(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	in := catalog.NewProduct{SKU: "TEA-1", Name: "Tea", Price: price(100), Currency: "USD"}
	if _, err := s.CreateProduct(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateProduct(ctx, in)
	var ae *app.Error
	if !errors.As(err, &ae) || ae.Code != app.ECONFLICT || len(ae.Fields) != 1 || ae.Fields[0].Field != "sku" {
		t.Errorf("err = %#v", err)
	}
}
