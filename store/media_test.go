package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/store"
	"smartbot/store/storetest"
)

// newMedia returns a media record of name, its digest made from name.
func newMedia(name string) app.Media {
	sum := sha256.Sum256([]byte(name))
	h := hex.EncodeToString(sum[:])
	return app.Media{ID: app.NewID(app.PrefixMedia), MIME: "image/jpeg", Kind: app.MediaImage, Size: 1234, SHA256: h,
		Width: 640, Height: 480, OriginalName: name, StorageKey: h[:2] + "/" + h[2:4] + "/" + h}
}

func write(t *testing.T, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) error {
	t.Helper()
	ctx := context.Background()
	return db.Write(ctx, func(tx *store.Tx) error { return fn(ctx, tx) })
}

func mustWrite(t *testing.T, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	if err := write(t, db, fn); err != nil {
		t.Fatal(err)
	}
}

func createMedia(t *testing.T, db *store.DB, name string) app.Media {
	t.Helper()
	m := newMedia(name)
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.CreateMedia(ctx, &m) })
	return m
}

func createProduct(t *testing.T, db *store.DB, name string) app.Product {
	t.Helper()
	p := app.Product{ID: app.NewID(app.PrefixProduct), Name: name, Price: 100, Currency: "USD", Active: true}
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.CreateProduct(ctx, &p) })
	return p
}

// createTemplate inserts a template whose header shows mediaID; there is
// no template code in the store yet.
func createTemplate(t *testing.T, db *store.DB, name, mediaID string) string {
	t.Helper()
	id := app.NewID(app.PrefixTemplate)
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `
			insert into message_templates (id, name, kind, header, header_media_id, body, created_at, updated_at)
			values (?, ?, 'media', ?, ?, 'Hello', '', '')`,
			id, name, `{"type":"image","media_id":"`+mediaID+`"}`, mediaID)
		return err
	})
	return id
}

func audits(t *testing.T, db *store.DB, action, id string) int {
	t.Helper()
	return storetest.Count(t, db, `select count(*) from audit_logs where action = ? and entity_id = ?`, action, id)
}

// wantCode fails unless err carries code and its message shows none of
// SQLite's words.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if app.ErrorCode(err) != code {
		t.Errorf("%s: %v, want %s", what, err, code)
		return
	}
	if m := driverWords.FindString(app.ErrorMessage(err)); m != "" || strings.Contains(app.ErrorMessage(err), "media_files") {
		t.Errorf("%s: the message shows the database's words: %s", what, app.ErrorMessage(err))
	}
}

func TestAMediaRecordIsStoredReadBackAndAudited(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	m := newMedia("tea.jpg")
	m.Alt = "A cup of rooibos"
	m.CreatedBy = "user:usr_1"
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.CreateMedia(ctx, &m) })
	if m.Status != app.MediaProcessing || m.CreatedAt.IsZero() {
		t.Errorf("created: status %q, created %v", m.Status, m.CreatedAt)
	}
	got, err := db.Media(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.OriginalName != "tea.jpg" || got.Alt != m.Alt || got.StorageKey != m.StorageKey || got.SHA256 != m.SHA256 ||
		got.Kind != app.MediaImage || got.Width != 640 || got.Height != 480 || got.Size != 1234 || got.CreatedBy != "user:usr_1" ||
		!got.CreatedAt.Equal(m.CreatedAt) || got.Variants == nil || len(got.Variants) != 0 || got.Inline != nil || got.DeletedAt != nil {
		t.Errorf("read back %+v\nstored %+v", got, m)
	}
	if n := audits(t, db, "media.create", m.ID); n != 1 {
		t.Errorf("%d media.create rows", n)
	}
	// A file whose size is unknown to the header (audio) stores no dimensions.
	a := newMedia("voice.ogg")
	a.Kind, a.MIME, a.Width, a.Height = app.MediaAudio, "audio/ogg", 0, 0
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.CreateMedia(ctx, &a) })
	if got, err := db.Media(ctx, a.ID); err != nil || got.Width != 0 || got.Height != 0 {
		t.Errorf("audio: %+v, %v", got, err)
	}
	_, err = db.Media(ctx, "med_unknown")
	wantCode(t, "an unknown id", err, app.ENOTFOUND)
	// The same id twice is a conflict, worded for a person.
	err = write(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.CreateMedia(ctx, &m) })
	wantCode(t, "the same id twice", err, app.ECONFLICT)
}

func TestProcessingMakesARecordReadyOrFailedAndAuditsIt(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	m := createMedia(t, db, "tea.jpg")
	variants := map[string]app.MediaVariant{
		app.VariantThumb: {Width: 150, Height: 113, Size: 4000},
		app.VariantLarge: {Width: 1280, Height: 960, Size: 90000},
	}
	inline := []byte{0xff, 0xd8, 0xff, 0xd9}
	for range 2 { // a job that ran twice ends the same way
		mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error {
			return tx.SetMediaReady(ctx, m.ID, 480, 640, variants, inline)
		})
	}
	got, err := db.Media(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.MediaReady || got.Width != 480 || got.Height != 640 || string(got.Inline) != string(inline) ||
		got.Variants[app.VariantThumb] != variants[app.VariantThumb] || len(got.Variants) != 2 || got.Error != "" {
		t.Errorf("ready: %+v", got)
	}
	if n := audits(t, db, "media.ready", m.ID); n != 2 {
		t.Errorf("%d media.ready rows, want 2", n)
	}
	// The audit rows never carry the thumbnail's bytes.
	rows, _ := db.ListAudit(ctx, store.AuditFilter{EntityID: m.ID, Action: "media.ready"})
	if len(rows) == 0 {
		t.Fatal("no media.ready audit row")
	}
	if after := string(rows[0].After); strings.Contains(after, "inline") || !strings.Contains(after, `"ready"`) {
		t.Errorf("audit after: %s", after)
	}

	f := createMedia(t, db, "broken.png")
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.SetMediaFailed(ctx, f.ID, "The picture is damaged.")
	})
	if got, _ := db.Media(ctx, f.ID); got.Status != app.MediaFailed || got.Error != "The picture is damaged." {
		t.Errorf("failed: %+v", got)
	}
	if n := audits(t, db, "media.fail", f.ID); n != 1 {
		t.Errorf("%d media.fail rows", n)
	}

	err = write(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.SetMediaReady(ctx, m.ID, 1, 1, map[string]app.MediaVariant{"../x": {}}, nil)
	})
	wantCode(t, "a variant with a made-up name", err, app.EINVALID)
	err = write(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.SetMediaReady(ctx, "med_gone", 1, 1, nil, nil)
	})
	wantCode(t, "an unknown record made ready", err, app.ENOTFOUND)
}

func TestAltTextIsUpdatedAuditedAndBounded(t *testing.T) {
	db := storetest.New(t)
	m := createMedia(t, db, "tea.jpg")
	var got app.Media
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		got, err = tx.UpdateMediaAlt(ctx, m.ID, "Rooibos in a glass cup")
		return err
	})
	if got.Alt != "Rooibos in a glass cup" || !got.UpdatedAt.After(m.UpdatedAt) && !got.UpdatedAt.Equal(m.UpdatedAt) {
		t.Errorf("updated: %+v", got)
	}
	rows, _ := db.ListAudit(context.Background(), store.AuditFilter{EntityID: m.ID, Action: "media.update"})
	if len(rows) != 1 || !strings.Contains(string(rows[0].Before), `"alt":""`) || !strings.Contains(string(rows[0].After), "glass cup") {
		t.Errorf("audit rows %+v", rows)
	}
	err := write(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.UpdateMediaAlt(ctx, m.ID, strings.Repeat("a", app.MediaAltMax+1))
		return err
	})
	wantCode(t, "alt text over the limit", err, app.EINVALID)
}

func TestADeletedRecordIsNeitherFoundNorListedAndItsAuditRowNamesTheFile(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	m := createMedia(t, db, "summer-menu.pdf")
	keepMe := createMedia(t, db, "logo.png")
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteMedia(ctx, m.ID) })
	_, err := db.Media(ctx, m.ID)
	wantCode(t, "a deleted record", err, app.ENOTFOUND)
	err = write(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Media(ctx, m.ID)
		return err
	})
	wantCode(t, "a deleted record in a transaction", err, app.ENOTFOUND)
	list, _, err := db.ListMedia(ctx, store.MediaFilter{})
	if err != nil || len(list) != 1 || list[0].ID != keepMe.ID {
		t.Errorf("listed %v, %v; want only %s", list, err, keepMe.ID)
	}
	rows, _ := db.ListAudit(ctx, store.AuditFilter{EntityID: m.ID, Action: "media.delete"})
	if len(rows) != 1 || !strings.Contains(string(rows[0].Before), `"original_name":"summer-menu.pdf"`) {
		t.Errorf("delete audit rows: %+v", rows)
	}
	err = write(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteMedia(ctx, m.ID) })
	wantCode(t, "deleting twice", err, app.ENOTFOUND)
	err = write(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SetMediaReady(ctx, m.ID, 1, 1, nil, nil) })
	wantCode(t, "processing a deleted record", err, app.ENOTFOUND)
}

func TestARecordInUseIsNotDeleted(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	m := createMedia(t, db, "tea.jpg")
	p := createProduct(t, db, "Rooibos")
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AttachProductMedia(ctx, p.ID, m.ID, "") })
	err := write(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteMedia(ctx, m.ID) })
	wantCode(t, "deleting media on a product", err, app.ECONFLICT)
	if !strings.Contains(app.ErrorMessage(err), `"Rooibos"`) {
		t.Errorf("the refusal does not name the product: %s", app.ErrorMessage(err))
	}
	if _, err := db.Media(ctx, m.ID); err != nil {
		t.Errorf("the refused delete deleted: %v", err)
	}
}

func TestMediaIsListedNewestFirstAPageAtATime(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	db := storetest.OpenAt(t, t.TempDir(), clock.Now)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		ids = append(ids, createMedia(t, db, fmt.Sprintf("photo-%d.jpg", i)).ID)
		if i != 2 { // two records in the same millisecond are ordered by id
			clock.Add(time.Second)
		}
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if want[1] < want[2] { // photo-3 and photo-2 share a time: the larger id first
		want[1], want[2] = want[2], want[1]
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		list, next, err := db.ListMedia(ctx, store.MediaFilter{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 2 {
			t.Fatalf("a page of %d", len(list))
		}
		for _, m := range list {
			got = append(got, m.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged\n%v\nwant\n%v", got, want)
	}
	// A cursor whose record was deleted meanwhile still pages on.
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteMedia(ctx, want[1]) })
	list, _, err := db.ListMedia(ctx, store.MediaFilter{Limit: 2, Cursor: want[1]})
	if err != nil || len(list) != 2 || list[0].ID != want[2] {
		t.Errorf("after a deleted cursor: %v, %v", list, err)
	}
}

func TestMediaIsFilteredByKindStatusAndText(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	tea := createMedia(t, db, "tea.jpg")
	menu := newMedia("menu_2026.pdf")
	menu.Kind, menu.MIME, menu.Alt = app.MediaDocument, "application/pdf", "Summer MENU"
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.CreateMedia(ctx, &menu) })
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SetMediaReady(ctx, tea.ID, 1, 1, nil, nil) })
	tests := []struct {
		name   string
		filter store.MediaFilter
		want   []string
	}{
		{"every kind", store.MediaFilter{}, []string{menu.ID, tea.ID}},
		{"documents", store.MediaFilter{Kind: app.MediaDocument}, []string{menu.ID}},
		{"ready", store.MediaFilter{Status: app.MediaReady}, []string{tea.ID}},
		{"a part of the name", store.MediaFilter{Search: "TEA"}, []string{tea.ID}},
		{"a part of the alt text", store.MediaFilter{Search: "summer menu"}, []string{menu.ID}},
		{"an underscore is a character, not a wildcard", store.MediaFilter{Search: "u_2"}, []string{menu.ID}},
		{"an underscore matches no other character", store.MediaFilter{Search: "a_j"}, nil},
		{"a percent sign matches only itself", store.MediaFilter{Search: "%"}, nil},
		{"nothing", store.MediaFilter{Search: "coffee"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, next, err := db.ListMedia(ctx, tt.filter)
			if err != nil || next != "" {
				t.Fatal(err, next)
			}
			var got []string
			for _, m := range list {
				got = append(got, m.ID)
			}
			// Made in one millisecond, they are in id order: compare as sets.
			slices.Sort(got)
			slices.Sort(tt.want)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUsesAreListedFromProductsAndTemplates(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	m := createMedia(t, db, "tea.jpg")
	unused := createMedia(t, db, "spare.jpg")
	tea := createProduct(t, db, "Rooibos")
	gone := createProduct(t, db, "Old blend")
	for _, p := range []app.Product{tea, gone} {
		mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AttachProductMedia(ctx, p.ID, m.ID, "") })
	}
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `update products set deleted_at = '2026-01-01T00:00:00.000Z' where id = ?`, gone.ID)
		return err
	})
	tpl := createTemplate(t, db, "welcome", m.ID)

	want := []app.MediaUse{{Type: "product", ID: tea.ID, Name: "Rooibos"}, {Type: "template", ID: tpl, Name: "welcome"}}
	uses, err := db.MediaUses(ctx, m.ID)
	if err != nil || !slices.Equal(uses, want) {
		t.Errorf("uses %+v, %v\nwant %+v", uses, err, want)
	}
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error {
		uses, err := tx.MediaUses(ctx, m.ID)
		if !slices.Equal(uses, want) {
			t.Errorf("in a transaction: %+v, %v", uses, err)
		}
		return err
	})
	if uses, err := db.MediaUses(ctx, unused.ID); err != nil || uses == nil || len(uses) != 0 {
		t.Errorf("unused media: %#v, %v; want an empty list", uses, err)
	}
}

func TestDetachingEverywhereLeavesTheTemplatesToTheCaller(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	m := createMedia(t, db, "tea.jpg")
	other := createMedia(t, db, "cup.jpg")
	a, b := createProduct(t, db, "Rooibos"), createProduct(t, db, "Honeybush")
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, step := range []error{
			tx.AttachProductMedia(ctx, a.ID, m.ID, ""),
			tx.AttachProductMedia(ctx, a.ID, other.ID, ""),
			tx.AttachProductMedia(ctx, b.ID, m.ID, ""),
		} {
			if step != nil {
				return step
			}
		}
		return nil
	})
	tpl := createTemplate(t, db, "welcome", m.ID)
	var left []app.MediaUse
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		left, err = tx.DetachMediaEverywhere(ctx, m.ID)
		return err
	})
	if !slices.Equal(left, []app.MediaUse{{Type: "template", ID: tpl, Name: "welcome"}}) {
		t.Errorf("left %+v", left)
	}
	if pm, _ := db.ProductMedia(ctx, a.ID); len(pm) != 1 || pm[0] != (app.ProductMedia{MediaID: other.ID, Role: "gallery", Position: 0}) {
		t.Errorf("product a keeps %+v", pm)
	}
	if n := audits(t, db, "product.detach_media", a.ID) + audits(t, db, "product.detach_media", b.ID); n != 2 {
		t.Errorf("%d detach audit rows, want one per product", n)
	}
	err := write(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteMedia(ctx, m.ID) })
	wantCode(t, "deleting media a template still shows", err, app.ECONFLICT)
}

func TestAProductsMediaKeepsItsOrderAndOnePrimary(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	p := createProduct(t, db, "Rooibos")
	m1, m2, m3 := createMedia(t, db, "1.jpg"), createMedia(t, db, "2.jpg"), createMedia(t, db, "3.jpg")
	step := func(what string, fn func(ctx context.Context, tx *store.Tx) error, want ...app.ProductMedia) {
		t.Helper()
		if err := write(t, db, fn); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got, err := db.ProductMedia(ctx, p.ID)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("%s: %+v, %v\nwant %+v", what, got, err, want)
		}
	}
	pm := func(m app.Media, role string, pos int) app.ProductMedia {
		return app.ProductMedia{MediaID: m.ID, Role: role, Position: pos}
	}
	step("the first picture is primary", func(ctx context.Context, tx *store.Tx) error {
		return tx.AttachProductMedia(ctx, p.ID, m1.ID, "")
	}, pm(m1, "primary", 0))
	step("the next ones join the gallery", func(ctx context.Context, tx *store.Tx) error {
		if err := tx.AttachProductMedia(ctx, p.ID, m2.ID, ""); err != nil {
			return err
		}
		return tx.AttachProductMedia(ctx, p.ID, m3.ID, app.MediaRoleGallery)
	}, pm(m1, "primary", 0), pm(m2, "gallery", 1), pm(m3, "gallery", 2))
	step("choosing another primary demotes the old one", func(ctx context.Context, tx *store.Tx) error {
		return tx.SetPrimaryProductMedia(ctx, p.ID, m3.ID)
	}, pm(m1, "gallery", 0), pm(m2, "gallery", 1), pm(m3, "primary", 2))
	step("reordering", func(ctx context.Context, tx *store.Tx) error {
		return tx.ReorderProductMedia(ctx, p.ID, []string{m3.ID, m1.ID, m2.ID})
	}, pm(m3, "primary", 0), pm(m1, "gallery", 1), pm(m2, "gallery", 2))
	step("detaching closes the gap", func(ctx context.Context, tx *store.Tx) error {
		return tx.DetachProductMedia(ctx, p.ID, m1.ID)
	}, pm(m3, "primary", 0), pm(m2, "gallery", 1))
	step("attaching a second primary demotes the first", func(ctx context.Context, tx *store.Tx) error {
		return tx.AttachProductMedia(ctx, p.ID, m1.ID, app.MediaRolePrimary)
	}, pm(m3, "gallery", 0), pm(m2, "gallery", 1), pm(m1, "primary", 2))

	for _, action := range []string{"product.attach_media", "product.set_primary_media", "product.reorder_media", "product.detach_media"} {
		if audits(t, db, action, p.ID) == 0 {
			t.Errorf("no %s audit row", action)
		}
	}
	rows, _ := db.ListAudit(ctx, store.AuditFilter{EntityID: p.ID, Action: "product.detach_media"})
	if len(rows) == 0 {
		t.Fatal("no product.detach_media audit row")
	}
	var before, after struct{ Media []app.ProductMedia }
	json.Unmarshal(rows[0].Before, &before)
	json.Unmarshal(rows[0].After, &after)
	if len(before.Media) != 3 || len(after.Media) != 2 {
		t.Errorf("detach audit: %s → %s", rows[0].Before, rows[0].After)
	}
	if got, _ := db.Product(ctx, p.ID); !got.UpdatedAt.After(p.UpdatedAt) && !got.UpdatedAt.Equal(p.UpdatedAt) {
		t.Errorf("product updated_at went back: %v", got.UpdatedAt)
	}
	all, err := db.ProductsMedia(ctx, []string{p.ID, "prd_none"})
	if err != nil || len(all[p.ID]) != 3 || all["prd_none"] == nil || len(all["prd_none"]) != 0 {
		t.Errorf("ProductsMedia: %+v, %v", all, err)
	}
}

func TestProductMediaChangesThatMakeNoSenseAreRefusedAndChangeNothing(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	p := createProduct(t, db, "Rooibos")
	m1, m2, loose := createMedia(t, db, "1.jpg"), createMedia(t, db, "2.jpg"), createMedia(t, db, "3.jpg")
	deleted := createMedia(t, db, "gone.jpg")
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.AttachProductMedia(ctx, p.ID, m1.ID, ""); err != nil {
			return err
		}
		if err := tx.AttachProductMedia(ctx, p.ID, m2.ID, ""); err != nil {
			return err
		}
		return tx.DeleteMedia(ctx, deleted.ID)
	})
	before, _ := db.ProductMedia(ctx, p.ID)
	auditsBefore := storetest.Count(t, db, `select count(*) from audit_logs`)
	tests := []struct {
		name string
		fn   func(ctx context.Context, tx *store.Tx) error
		code string
	}{
		{"reorder naming one too few", func(ctx context.Context, tx *store.Tx) error {
			return tx.ReorderProductMedia(ctx, p.ID, []string{m2.ID})
		}, app.EINVALID},
		{"reorder naming one twice", func(ctx context.Context, tx *store.Tx) error {
			return tx.ReorderProductMedia(ctx, p.ID, []string{m2.ID, m2.ID})
		}, app.EINVALID},
		{"reorder naming one not on the product", func(ctx context.Context, tx *store.Tx) error {
			return tx.ReorderProductMedia(ctx, p.ID, []string{m2.ID, loose.ID})
		}, app.EINVALID},
		{"reorder naming one too many", func(ctx context.Context, tx *store.Tx) error {
			return tx.ReorderProductMedia(ctx, p.ID, []string{m2.ID, m1.ID, loose.ID})
		}, app.EINVALID},
		{"attach twice", func(ctx context.Context, tx *store.Tx) error {
			return tx.AttachProductMedia(ctx, p.ID, m1.ID, app.MediaRoleGallery)
		}, app.ECONFLICT},
		{"attach with a role that is not one", func(ctx context.Context, tx *store.Tx) error {
			return tx.AttachProductMedia(ctx, p.ID, loose.ID, "banner")
		}, app.EINVALID},
		{"attach deleted media", func(ctx context.Context, tx *store.Tx) error {
			return tx.AttachProductMedia(ctx, p.ID, deleted.ID, "")
		}, app.ENOTFOUND},
		{"attach to an unknown product", func(ctx context.Context, tx *store.Tx) error {
			return tx.AttachProductMedia(ctx, "prd_unknown", loose.ID, "")
		}, app.ENOTFOUND},
		{"detach media that is not on it", func(ctx context.Context, tx *store.Tx) error {
			return tx.DetachProductMedia(ctx, p.ID, loose.ID)
		}, app.ENOTFOUND},
		{"make primary media that is not on it", func(ctx context.Context, tx *store.Tx) error {
			return tx.SetPrimaryProductMedia(ctx, p.ID, loose.ID)
		}, app.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.name, write(t, db, tt.fn), tt.code)
		})
	}
	if after, _ := db.ProductMedia(ctx, p.ID); !slices.Equal(after, before) {
		t.Errorf("changed: %+v, was %+v", after, before)
	}
	if n := storetest.Count(t, db, `select count(*) from audit_logs`); n != auditsBefore {
		t.Errorf("%d audit rows written by refused changes", n-auditsBefore)
	}
}

func TestAFileStaysInUseUntilItsLastRecordHasBeenGoneForTheGrace(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	db := storetest.OpenAt(t, t.TempDir(), clock.Now)
	ctx := context.Background()
	const grace = 24 * time.Hour
	inUse := func() bool {
		t.Helper()
		used, err := db.StorageKeyInUse(ctx, newMedia("tea.jpg").StorageKey, clock.Now().Add(-grace))
		if err != nil {
			t.Fatal(err)
		}
		return used
	}
	if inUse() {
		t.Fatal("a key no record names is in use")
	}
	// The same bytes uploaded twice: two records, one file.
	first, second := createMedia(t, db, "tea.jpg"), createMedia(t, db, "tea.jpg")
	if !inUse() {
		t.Fatal("a live record's file is not in use")
	}
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteMedia(ctx, first.ID) })
	clock.Add(48 * time.Hour)
	if !inUse() {
		t.Fatal("the file went while a second record still names it")
	}
	mustWrite(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteMedia(ctx, second.ID) })
	clock.Add(grace - time.Minute)
	if !inUse() {
		t.Fatal("the file went within the grace after its last record was deleted")
	}
	clock.Add(2 * time.Minute)
	if inUse() {
		t.Fatal("the file is still in use a grace period after its last record went")
	}
}

func TestTheMediaMigrationKeepsTheTableStrictAndBoundsAltText(t *testing.T) {
	db := storetest.New(t)
	got := tables(t, db)["media_files"]
	if !strings.HasSuffix(strings.TrimSpace(got), "strict") || !strings.Contains(got, "alt text") || !strings.Contains(got, "inline_thumb blob") {
		t.Errorf("media_files is now:\n%s", got)
	}
	p := createProduct(t, db, "Rooibos")
	a, b := createMedia(t, db, "a.jpg"), createMedia(t, db, "b.jpg")
	err := write(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `insert into product_media (product_id, media_id, role) values (?, ?, 'primary'), (?, ?, 'primary')`, p.ID, a.ID, p.ID, b.ID)
		return err
	})
	if err == nil {
		t.Error("a product took two primary pictures")
	}
}
