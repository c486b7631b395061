package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"smartbot/app"
	"smartbot/store"
	"smartbot/store/storetest"
)

func welcome() app.Template {
	return app.Template{ID: app.NewID(app.PrefixTemplate), Name: "welcome", Kind: app.TemplateKindButtons,
		Body:      "Hi {{customer_name}}, what would you like?",
		Buttons:   []app.TemplateButton{{ID: "catalog", Title: "Catalog"}, {ID: "orders", Title: "My orders"}},
		Variables: []app.TemplateVariable{{Name: "customer_name", Type: app.TemplateVarText, Required: true, Example: json.RawMessage(`"Tariro"`)}}}
}

func TestEverySaveOfATemplateIsAVersionKeptWhole(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	tpl := welcome()
	write := func(f func(tx *store.Tx) error) error { return db.Write(ctx, f) }
	if err := write(func(tx *store.Tx) error { return tx.CreateTemplate(ctx, &tpl, "first") }); err != nil {
		t.Fatal(err)
	}
	v1 := tpl
	v2 := tpl
	v2.Body = "Hello {{customer_name}}! Pick one:"
	if err := write(func(tx *store.Tx) error { return tx.UpdateTemplate(ctx, &v2, 1, "friendlier") }); err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 {
		t.Fatalf("the second save is version %d", v2.Version)
	}

	// A save based on version 1 now comes too late.
	stale := v1
	stale.Footer = "Reply any time"
	err := write(func(tx *store.Tx) error { return tx.UpdateTemplate(ctx, &stale, 1, "") })
	if app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a save based on an old version: %v, want ECONFLICT", err)
	}

	got, err := db.Template(ctx, tpl.ID)
	if err != nil || got.Version != 2 || got.Body != v2.Body || got.Footer != "" {
		t.Fatalf("the template now: %+v %v", got, err)
	}
	for n, want := range map[int]app.Template{1: v1, 2: v2} {
		snap, err := db.TemplateVersion(ctx, tpl.ID, n)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(snap, want) {
			t.Errorf("version %d is\n%+v\nwant\n%+v", n, snap, want)
		}
	}
	if _, err := db.TemplateVersion(ctx, tpl.ID, 3); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("version 3: %v, want ENOTFOUND", err)
	}
	versions, err := db.TemplateVersions(ctx, tpl.ID)
	if err != nil || len(versions) != 2 || versions[0].Version != 2 || versions[0].Note != "friendlier" || versions[1].Note != "first" {
		t.Errorf("versions: %+v %v", versions, err)
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs where entity_type = 'template' and entity_id = ?`, tpl.ID); n != 2 {
		t.Errorf("%d audit rows for two saves", n)
	}
	if _, err := db.W.Exec(`update template_versions set note = 'x' where template_id = ?`, tpl.ID); err == nil {
		t.Error("a kept version could be changed")
	}
}

func TestTemplateNamesAreUniqueAndArchivingKeepsTheVersion(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	a, b := welcome(), welcome()
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateTemplate(ctx, &a, "") }); err != nil {
		t.Fatal(err)
	}
	err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateTemplate(ctx, &b, "") })
	if app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("a second template named welcome: %v, want ECONFLICT", err)
	}
	var archived app.Template
	err = db.Write(ctx, func(tx *store.Tx) (err error) {
		archived, err = tx.SetTemplateStatus(ctx, a.ID, app.TemplateArchived)
		return err
	})
	if err != nil || archived.Status != app.TemplateArchived || archived.Version != 1 {
		t.Fatalf("archived: %+v %v", archived, err)
	}
	list, _, err := db.ListTemplates(ctx, store.TemplateFilter{Status: app.TemplateActive})
	if err != nil || len(list) != 0 {
		t.Errorf("active templates after archiving the only one: %v %v", list, err)
	}
}

func TestTemplatesListByNameAPageAtATime(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	for _, name := range []string{"order_ready", "welcome", "catalog_menu", "payment_due", "opening_hours"} {
		tpl := welcome()
		tpl.Name = name
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateTemplate(ctx, &tpl, "") }); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	cursor := ""
	for range 5 {
		page, next, err := db.ListTemplates(ctx, store.TemplateFilter{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, tpl := range page {
			names = append(names, tpl.Name)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if want := []string{"catalog_menu", "opening_hours", "order_ready", "payment_due", "welcome"}; !reflect.DeepEqual(names, want) {
		t.Errorf("pages gave %q, want %q", names, want)
	}
	found, _, err := db.ListTemplates(ctx, store.TemplateFilter{Search: "ORDER_"})
	if err != nil || len(found) != 1 || found[0].Name != "order_ready" {
		t.Errorf("search ORDER_: %v %v", found, err)
	}
}

func TestATemplatesMediaHeaderMakesTheFileUsed(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	m := app.Media{ID: app.NewID(app.PrefixMedia), OriginalName: "shop.jpg", MIME: "image/jpeg", Kind: app.MediaImage, Size: 1,
		SHA256: "0000000000000000000000000000000000000000000000000000000000000000", StorageKey: "00/00/0000000000000000000000000000000000000000000000000000000000000000"}
	tpl := welcome()
	tpl.Kind = app.TemplateKindMedia
	tpl.Header = &app.TemplateHeader{Type: app.TemplateHeaderImage, MediaID: m.ID}
	err := db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateMedia(ctx, &m); err != nil {
			return err
		}
		return tx.CreateTemplate(ctx, &tpl, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	uses, err := db.MediaUses(ctx, m.ID)
	if err != nil || len(uses) != 1 || uses[0] != (app.MediaUse{Type: "template", ID: tpl.ID, Name: "welcome"}) {
		t.Errorf("uses: %+v %v", uses, err)
	}
}
