package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/store"
	"smartbot/store/storetest"
)

func TestEveryCommittedChangeHasItsAuditRowAndARolledBackOneNone(t *testing.T) {
	db := storetest.New(t)
	ctx := app.WithActor(context.Background(), app.Actor{Type: app.ActorAPIKey, ID: "key_1", Name: "shop-sync"})
	ctx = app.WithRequest(ctx, app.Request{ID: "req-42", RemoteAddr: "127.0.0.1"})

	// A rolled-back change: neither the setting nor its audit row remain.
	boom := errors.New("later step failed")
	err := db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SetSetting(ctx, "shop_name", "Rolled Back Ltd"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs`); n != 0 {
		t.Fatalf("%d audit rows after a rollback, want 0", n)
	}
	var name string
	if err := db.Setting(ctx, "shop_name", &name); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("setting after rollback: %q, %v", name, err)
	}

	// Two committed changes: each has its row, with actor, request and diff.
	for _, v := range []string{"Tariro's Shop", "Tariro & Sons"} {
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(ctx, "shop_name", v) }); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.ListAudit(ctx, store.AuditFilter{EntityType: "setting", EntityID: "shop_name"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d audit rows, want 2", len(rows))
	}
	last := rows[0]
	if last.Action != "setting.set" || last.Actor.Type != app.ActorAPIKey || last.Actor.ID != "key_1" || last.RequestID != "req-42" || last.RemoteAddr != "127.0.0.1" {
		t.Fatalf("audit row = %+v", last)
	}
	var before, after string
	json.Unmarshal(last.Before, &before)
	json.Unmarshal(last.After, &after)
	if before != "Tariro's Shop" || after != "Tariro & Sons" {
		t.Fatalf("diff = %q → %q", before, after)
	}
	if rows[1].Before != nil {
		t.Fatalf("the first set has a before: %s", rows[1].Before)
	}
}

func TestTheAuditLogIsAppendOnly(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(ctx, "k", 1) }); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`update audit_logs set action = 'x.y'`, `delete from audit_logs`} {
		err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(q); return err })
		if err == nil {
			t.Errorf("%s succeeded", q)
		}
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs where action = 'setting.set'`); n != 1 {
		t.Fatalf("audit rows changed: %d", n)
	}
}

func TestStoreErrorsMapToApplicationCodes(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	w := &app.Webhook{ID: app.NewID(app.PrefixWebhook), URL: "https://example.test/a", Secret: "whsec_a", Events: []app.EventType{app.AllEvents}, Active: true}
	create := func(w *app.Webhook) error {
		return db.Write(ctx, func(tx *store.Tx) error { return tx.CreateWebhook(ctx, w) })
	}
	if err := create(w); err != nil {
		t.Fatal(err)
	}
	if err := create(w); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("duplicate id: %v, want conflict", err)
	}
	bad := *w
	bad.ID, bad.URL = app.NewID(app.PrefixWebhook), "gopher://x"
	if err := create(&bad); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("bad url: %v, want invalid", err)
	}
	if _, err := db.Webhook(ctx, "whk_missing"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("missing webhook: %v, want not found", err)
	}
	got, err := db.Webhook(ctx, w.ID)
	if err != nil || got.URL != w.URL || got.Secret != w.Secret || !got.Subscribes(app.OrderCreated) {
		t.Fatalf("webhook = %+v, %v", got, err)
	}
	// The audit row of the creation does not hold the secret.
	rows, _ := db.ListAudit(ctx, store.AuditFilter{EntityID: w.ID})
	if len(rows) != 1 || !json.Valid(rows[0].After) || !strings.Contains(string(rows[0].After), w.URL) || containsSecret(rows[0].After) {
		t.Fatalf("audit of webhook creation = %+v", rows)
	}
}

func containsSecret(b json.RawMessage) bool {
	var m map[string]any
	json.Unmarshal(b, &m)
	s, _ := m["secret"].(string)
	return s != ""
}
