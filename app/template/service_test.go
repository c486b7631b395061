package template_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/app/template"
	"smartbot/store"
	"smartbot/store/storetest"
)

func TestNSavesAreVersionsOneToNAndARollbackIsTheNextOne(t *testing.T) {
	db := storetest.New(t)
	svc := template.New(template.Options{DB: db})
	ctx := context.Background()
	saved := []app.Template{}
	tpl, err := svc.Create(ctx, buttonsTemplate(), "first")
	if err != nil {
		t.Fatal(err)
	}
	saved = append(saved, tpl)
	for i := 2; i <= 4; i++ {
		next := tpl
		next.Footer = strings.Repeat("!", i)
		if tpl, err = svc.Update(ctx, tpl.ID, next, tpl.Version, ""); err != nil {
			t.Fatal(err)
		}
		if tpl.Version != i {
			t.Fatalf("save %d is version %d", i, tpl.Version)
		}
		saved = append(saved, tpl)
	}
	for i, want := range saved {
		got, err := db.TemplateVersion(ctx, tpl.ID, i+1)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("version %d:\n%+v (%v)\nwant\n%+v", i+1, got, err, want)
		}
	}

	back, err := svc.Rollback(ctx, tpl.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if back.Version != 5 || back.Footer != saved[1].Footer || back.Body != saved[1].Body {
		t.Fatalf("after rolling back to 2: version %d, footer %q; want version 5 as version 2", back.Version, back.Footer)
	}
	versions, _ := db.TemplateVersions(ctx, tpl.ID)
	if len(versions) != 5 || versions[0].Note != "Back to version 2" {
		t.Errorf("versions after the rollback: %+v", versions)
	}

	// Every change is in the audit log with what it was and became.
	var entries []struct{ Action, Before, After string }
	rows, err := db.R.Query(`select action, coalesce(before, ''), coalesce(after, '') from audit_logs where entity_id = ? order by rowid`, tpl.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e struct{ Action, Before, After string }
		rows.Scan(&e.Action, &e.Before, &e.After)
		entries = append(entries, e)
	}
	rows.Close()
	if len(entries) != 5 || entries[0].Action != "template.create" || entries[4].Action != "template.update" {
		t.Fatalf("audit entries: %+v", entries)
	}
	var before, after app.Template
	json.Unmarshal([]byte(entries[4].Before), &before)
	json.Unmarshal([]byte(entries[4].After), &after)
	if before.Version != 4 || after.Version != 5 || after.Footer != saved[1].Footer {
		t.Errorf("the rollback's audit entry goes from version %d to %d (footer %q)", before.Version, after.Version, after.Footer)
	}
}

func TestASaveIsRefusedWithEveryProblemNamedAndNothingStored(t *testing.T) {
	db := storetest.New(t)
	svc := template.New(template.Options{DB: db})
	ctx := context.Background()
	bad := buttonsTemplate()
	bad.Name = "Welcome Message"
	bad.Buttons = append(bad.Buttons, bad.Buttons[0], app.TemplateButton{ID: "x", Title: strings.Repeat("t", 21)})
	bad.Body = "Hi {{who}}"
	_, err := svc.Create(ctx, bad, "")
	var ae *app.Error
	if app.ErrorCode(err) != app.EINVALID || !errorsAs(err, &ae) || len(ae.Fields) < 4 {
		t.Fatalf("a template with several problems: %v", err)
	}
	fields := fieldSet(ae.Fields)
	for _, want := range []string{"name", "buttons", "body"} {
		if !hasPrefix(fields, want) {
			t.Errorf("no problem named for %s in %+v", want, ae.Fields)
		}
	}
	if n := storetest.Count(t, db, `select count(*) from message_templates`); n != 0 {
		t.Errorf("%d templates stored after a refusal", n)
	}
}

func TestAMediaHeaderMustBeAReadyFileOfItsKind(t *testing.T) {
	db := storetest.New(t)
	svc := template.New(template.Options{DB: db})
	ctx := context.Background()
	pdf := app.Media{ID: app.NewID(app.PrefixMedia), OriginalName: "menu.pdf", MIME: "application/pdf", Kind: app.MediaDocument, Size: 1,
		SHA256: strings.Repeat("0", 64), StorageKey: "00/00/" + strings.Repeat("0", 64), Status: app.MediaReady}
	photo := pdf
	photo.ID, photo.Kind, photo.MIME, photo.Status = app.NewID(app.PrefixMedia), app.MediaImage, "image/jpeg", app.MediaProcessing
	if err := db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateMedia(ctx, &pdf); err != nil {
			return err
		}
		return tx.CreateMedia(ctx, &photo)
	}); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{"a PDF": pdf.ID, "a picture still processing": photo.ID, "an unknown file": app.NewID(app.PrefixMedia)} {
		tpl := mediaTemplate()
		tpl.Name += "_" + strings.ReplaceAll(strings.ToLower(name), " ", "_")
		tpl.Header = &app.TemplateHeader{Type: app.TemplateHeaderImage, MediaID: id}
		_, err := svc.Create(ctx, tpl, "")
		var ae *app.Error
		if app.ErrorCode(err) != app.EINVALID || !errorsAs(err, &ae) || !hasPrefix(fieldSet(ae.Fields), "header") {
			t.Errorf("an image header showing %s: %v", name, err)
		}
	}
}

func errorsAs(err error, target **app.Error) bool { return errors.As(err, target) }

func fieldSet(fs []app.FieldError) map[string]bool {
	out := map[string]bool{}
	for _, f := range fs {
		out[f.Field] = true
	}
	return out
}

// hasPrefix reports whether a field in fields is prefix or begins with it
// ("buttons" for "buttons[3].title").
func hasPrefix(fields map[string]bool, prefix string) bool {
	for f := range fields {
		if f == prefix || strings.HasPrefix(f, prefix+".") || strings.HasPrefix(f, prefix+"[") {
			return true
		}
	}
	return false
}
