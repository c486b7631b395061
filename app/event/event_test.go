package event_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/event"
	"smartbot/queue"
	"smartbot/store"
	"smartbot/store/storetest"
)

func newWebhook(t *testing.T, db *store.DB, events ...app.EventType) string {
	t.Helper()
	w := &app.Webhook{ID: app.NewID(app.PrefixWebhook), URL: "https://example.test/hook", Secret: "whsec_dGVzdA==", Events: events, Active: true}
	if err := db.Write(context.Background(), func(tx *store.Tx) error { return tx.CreateWebhook(context.Background(), w) }); err != nil {
		t.Fatal(err)
	}
	return w.ID
}

func TestACommittedEmitStoresOneEventAndOneDeliveryPerSubscribedWebhook(t *testing.T) {
	db := storetest.New(t)
	broker := event.NewBroker()
	em := event.NewEmitter(queue.New(db), broker, nil)
	sub := broker.Subscribe(4)
	defer sub.Close()

	all := newWebhook(t, db, app.AllEvents)
	orders := newWebhook(t, db, app.OrderCreated, app.OrderStatusChanged)
	newWebhook(t, db, app.PaymentReceived) // not subscribed to order_created

	data := app.OrderCreatedData{OrderID: "ord_1", Number: "SB-000001", CustomerID: "cus_1", Status: "pending", Total: 1250, Currency: "USD",
		Items: []app.OrderItemData{{ProductID: "prd_1", Name: "Coffee", UnitPrice: 625, Quantity: 2}}}
	var emitted app.Event
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		emitted, err = em.Emit(context.Background(), tx, data)
		if err != nil {
			return err
		}
		select {
		case <-sub.C:
			t.Error("a listener heard of the event before the commit")
		default:
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if n := storetest.Count(t, db, `select count(*) from events`); n != 1 {
		t.Fatalf("%d event rows, want 1", n)
	}
	rows, err := db.R.Query(`select body from goqite where queue = 'webhook_delivery' order by body`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var body []byte
		rows.Scan(&body)
		var job app.WebhookDeliveryJob
		if err := json.Unmarshal(body, &job); err != nil {
			t.Fatal(err)
		}
		got[job.WebhookID] = job.EventID
	}
	if len(got) != 2 || got[all] != emitted.ID || got[orders] != emitted.ID {
		t.Fatalf("deliveries = %v, want one for %s and one for %s, of %s", got, all, orders, emitted.ID)
	}

	// Write runs the commit's callbacks before it returns: the event is
	// already there.
	select {
	case e := <-sub.C:
		if e.ID != emitted.ID {
			t.Fatalf("listener got %s, want %s", e.ID, emitted.ID)
		}
	default:
		t.Fatal("the listener was not told after the commit")
	}

	// The stored payload is the documented shape.
	stored, err := db.Event(context.Background(), emitted.ID)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(stored)
	var shape struct {
		ID, Type, Timestamp string
		Data                app.OrderCreatedData
	}
	if err := json.Unmarshal(payload, &shape); err != nil {
		t.Fatal(err)
	}
	if shape.ID != emitted.ID || shape.Type != "order_created" || shape.Data.Total != 1250 || len(shape.Data.Items) != 1 {
		t.Fatalf("payload = %s", payload)
	}
	if _, err := time.Parse(time.RFC3339, shape.Timestamp); err != nil {
		t.Fatalf("timestamp %q is not RFC 3339", shape.Timestamp)
	}
	if c := em.Counts()[app.OrderCreated]; c != 1 {
		t.Fatalf("counted %d order_created events, want 1", c)
	}
}

func TestARolledBackEmitLeavesNoEventNoDeliveryAndNoBroadcast(t *testing.T) {
	db := storetest.New(t)
	broker := event.NewBroker()
	em := event.NewEmitter(queue.New(db), broker, nil)
	sub := broker.Subscribe(4)
	defer sub.Close()
	newWebhook(t, db, app.AllEvents)
	newWebhook(t, db, app.ProductUpdated)

	boom := errors.New("stock check failed")
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		if _, err := em.Emit(context.Background(), tx, app.ProductUpdatedData{ProductID: "prd_1", Name: "Tea", Currency: "USD", Change: "updated"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("write returned %v", err)
	}
	if n := storetest.Count(t, db, `select count(*) from events`); n != 0 {
		t.Fatalf("%d event rows after rollback", n)
	}
	if n := storetest.Count(t, db, `select count(*) from goqite`); n != 0 {
		t.Fatalf("%d delivery jobs after rollback", n)
	}
	// A commit would have told the listener before Write returned.
	select {
	case e := <-sub.C:
		t.Fatalf("a listener was told of rolled-back event %s", e.ID)
	default:
	}
	if c := em.Counts()[app.ProductUpdated]; c != 0 {
		t.Fatalf("counted %d rolled-back events", c)
	}
}

func TestEveryEventTypeHasADataShapeAndIsKnownToTheSchema(t *testing.T) {
	db := storetest.New(t)
	shapes := []app.EventData{
		app.MessageReceivedData{}, app.MessageSentData{}, app.OrderCreatedData{}, app.OrderStatusChangedData{},
		app.ProductUpdatedData{}, app.PaymentReceivedData{}, app.DeliveryStartedData{}, app.DeliveryCompletedData{},
		app.BotConnectedData{}, app.BotDisconnectedData{},
	}
	seen := map[app.EventType]bool{}
	for _, s := range shapes {
		seen[s.EventType()] = true
	}
	em := event.NewEmitter(queue.New(db), event.NewBroker(), nil)
	for _, typ := range app.EventTypes {
		if !seen[typ] {
			t.Errorf("event type %s has no data shape", typ)
		}
	}
	if len(app.EventTypes) != 10 || len(seen) != 10 {
		t.Fatalf("%d types and %d shapes, want the 10 of the contract", len(app.EventTypes), len(seen))
	}
	for _, s := range shapes {
		err := db.Write(context.Background(), func(tx *store.Tx) error {
			_, err := em.Emit(context.Background(), tx, s)
			return err
		})
		if err != nil {
			t.Errorf("emit %s: %v", s.EventType(), err)
		}
	}
	if n := storetest.Count(t, db, `select count(distinct type) from events`); n != 10 {
		t.Fatalf("%d types stored, want 10", n)
	}
	// The schema refuses a type outside the catalog.
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		return tx.InsertEvent(context.Background(), app.Event{ID: app.NewID(app.PrefixEvent), Type: "order_exploded", Timestamp: time.Now(), Data: []byte(`{}`)})
	})
	if app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("storing an unknown event type: %v, want invalid", err)
	}
}
