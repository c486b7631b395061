package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"smartbot/app"
	"smartbot/store"
)

// orderConfirmation is DESIGN §13's example template.
const orderConfirmation = `{"name": "order_confirmation", "kind": "buttons", "category": "utility", "language": "en",
 "header": {"type": "text", "text": "Order {{order_number}}"},
 "body": "Hi {{customer_name}}, your total is {{total}}.", "footer": "Reply any time",
 "buttons": [{"id": "pay_now", "title": "Pay now"}, {"id": "help", "title": "Help"}],
 "variables": [{"name": "customer_name", "type": "text", "required": true, "example": "Tariro"},
               {"name": "order_number", "type": "text", "required": true, "example": "SB-000123"},
               {"name": "total", "type": "money", "required": true, "example": 1250}],
 "delivery_style": "text", "triggers": []}`

type templateJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Body    string `json:"body"`
	Footer  string `json:"footer"`
	Version int    `json:"version"`
	Status  string `json:"status"`
}

func decodeTemplate(t *testing.T, b []byte) templateJSON {
	t.Helper()
	var tpl templateJSON
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatalf("not a template: %s", b)
	}
	return tpl
}

func TestATemplateIsSavedAsVersionsRolledBackExportedAndArchived(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	res, b := ts.do(req{method: http.MethodPost, path: "/api/templates", key: op, body: orderConfirmation})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, b)
	}
	v1 := decodeTemplate(t, b)
	path := "/api/templates/" + v1.ID
	if v1.Version != 1 || v1.Status != "active" || res.Header.Get("Location") != path {
		t.Fatalf("created %+v at %q", v1, res.Header.Get("Location"))
	}
	res, b = ts.do(req{method: http.MethodGet, path: path, key: ts.keys[app.RoleViewer]})
	if got := decodeTemplate(t, b); res.Header.Get("ETag") != `"1"` || got.Body != v1.Body {
		t.Errorf("GET: ETag %q, body %q; want \"1\" and the body saved", res.Header.Get("ETag"), got.Body)
	}

	// A change made to version 1 saves version 2; another made to version
	// 1 afterwards is refused, since it would undo the first unseen.
	changed := strings.Replace(orderConfirmation, "Reply any time", "We reply within the hour", 1)
	res, b = ts.do(req{method: http.MethodPut, path: path, key: op, body: changed, header: map[string]string{"If-Match": `"1"`}})
	if res.StatusCode != http.StatusOK || decodeTemplate(t, b).Version != 2 || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("PUT based on 1: %d %s", res.StatusCode, b)
	}
	res, b = ts.do(req{method: http.MethodPut, path: path, key: op, body: changed, header: map[string]string{"If-Match": `"1"`}})
	if prob := problemOf(t, res, b); res.StatusCode != http.StatusConflict || !strings.Contains(prob["detail"].(string), "version 2") {
		t.Fatalf("a stale PUT: %d %s", res.StatusCode, b)
	}
	res, b = ts.do(req{method: http.MethodPut, path: path, key: op, body: changed})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a PUT that names no version: %d %s, want 422", res.StatusCode, b)
	}
	withVersion := strings.Replace(changed, `"name":`, `"version": 2, "name":`, 1)
	res, b = ts.do(req{method: http.MethodPut, path: path, key: op, body: withVersion})
	if res.StatusCode != http.StatusOK || decodeTemplate(t, b).Version != 3 {
		t.Fatalf("a PUT naming version 2 in its body: %d %s", res.StatusCode, b)
	}

	res, b = ts.do(req{method: http.MethodPost, path: path + "/rollback", key: op, body: `{"version": 1}`})
	back := decodeTemplate(t, b)
	if res.StatusCode != http.StatusOK || back.Version != 4 || back.Footer != "Reply any time" {
		t.Fatalf("rollback to 1: %d %s", res.StatusCode, b)
	}
	_, b = ts.do(req{method: http.MethodGet, path: path + "/versions", key: op})
	var versions struct{ Data []struct{ Version int } }
	json.Unmarshal(b, &versions)
	if len(versions.Data) != 4 || versions.Data[0].Version != 4 {
		t.Errorf("versions: %s", b)
	}
	res, b = ts.do(req{method: http.MethodGet, path: path + "/versions/2", key: op})
	if res.StatusCode != http.StatusOK || decodeTemplate(t, b).Footer != "We reply within the hour" {
		t.Errorf("version 2: %d %s", res.StatusCode, b)
	}
	if res, _ := ts.do(req{method: http.MethodGet, path: path + "/versions/9", key: op}); res.StatusCode != http.StatusNotFound {
		t.Errorf("version 9: %d, want 404", res.StatusCode)
	}

	// Its example amount has no currency: the shop's is needed.
	res, b = ts.do(req{method: http.MethodGet, path: path + "/export", key: op})
	if prob := problemOf(t, res, b); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(prob["detail"].(string), "currency") {
		t.Errorf("export without the shop's currency: %d %s", res.StatusCode, b)
	}
	ctx := context.Background()
	if err := ts.db.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(ctx, app.SettingCurrency, "ZAR") }); err != nil {
		t.Fatal(err)
	}
	res, b = ts.do(req{method: http.MethodGet, path: path + "/export", key: op})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"components"`) || !strings.Contains(string(b), "{{1}}") {
		t.Errorf("export: %d %s", res.StatusCode, b)
	}

	res, b = ts.do(req{method: http.MethodDelete, path: path, key: op})
	if res.StatusCode != http.StatusOK || decodeTemplate(t, b).Status != "archived" {
		t.Fatalf("archive: %d %s", res.StatusCode, b)
	}
	_, b = ts.do(req{method: http.MethodGet, path: "/api/templates?status=archived", key: op})
	if !strings.Contains(string(b), v1.ID) {
		t.Errorf("the archived list lacks the template: %s", b)
	}
	if n := countRows(t, ts, "select count(*) from audit_logs where entity_type = 'template'"); n != 5 {
		t.Errorf("%d audit rows for create, 2 saves, a rollback and an archive", n)
	}
}

func TestAnInvalidTemplateIsRefusedNamingEachField(t *testing.T) {
	ts := newTestServer(t)
	bad := strings.NewReplacer(`"name": "order_confirmation"`, `"name": "Order confirmation!"`,
		`"title": "Pay now"`, `"title": "Pay now with EcoCash or a card"`,
		"your total is {{total}}", "your total is {{totl}}").Replace(orderConfirmation)
	res, b := ts.do(req{method: http.MethodPost, path: "/api/templates", key: ts.keys[app.RoleOperator], body: bad})
	prob := problemOf(t, res, b)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an invalid template: %d %s", res.StatusCode, b)
	}
	fields := map[string]bool{}
	for _, e := range prob["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	for _, want := range []string{"name", "buttons[0].title", "body"} {
		if !fields[want] {
			t.Errorf("no error for %s in %s", want, b)
		}
	}
}

func TestAPreviewRendersTheThreeFormsOfASavedTemplateOrADraft(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	if err := ts.db.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(ctx, app.SettingCurrency, "USD") }); err != nil {
		t.Fatal(err)
	}
	_, b := ts.do(req{method: http.MethodPost, path: "/api/templates", key: ts.keys[app.RoleOperator], body: orderConfirmation})
	tpl := decodeTemplate(t, b)

	var preview struct {
		Message struct{ Type, Body string }
		Poll    *struct{ Options []struct{ ID, Title string } }
		Text    string
		Lengths map[string]int
		Errors  []app.FieldError
	}
	res, b := ts.do(req{method: http.MethodPost, path: "/api/templates/preview", key: ts.keys[app.RoleViewer],
		body: `{"template_id": "` + tpl.ID + `", "variables": {"customer_name": "Rudo", "total": 4500}}`})
	if err := json.Unmarshal(b, &preview); res.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("preview: %d %s", res.StatusCode, b)
	}
	if preview.Message.Type != "buttons" || preview.Message.Body != "Hi Rudo, your total is USD 45.00." ||
		!strings.Contains(preview.Text, "1. Pay now") || preview.Poll == nil || len(preview.Poll.Options) != 2 ||
		preview.Lengths["body"] != len("Hi Rudo, your total is USD 45.00.") || len(preview.Errors) != 0 {
		t.Errorf("the preview:\n%s", b)
	}

	// A draft being written is shown as it is, its problems beside it.
	draft := strings.Replace(orderConfirmation, "your total is {{total}}", "your total is {{total}} {{oops", 1)
	res, b = ts.do(req{method: http.MethodPost, path: "/api/templates/preview", key: ts.keys[app.RoleViewer],
		body: `{"template": ` + draft + `, "variables": {"total": "a lot"}}`})
	preview.Errors = nil
	if err := json.Unmarshal(b, &preview); res.StatusCode != http.StatusOK || err != nil || len(preview.Errors) == 0 {
		t.Fatalf("a broken draft's preview: %d %s", res.StatusCode, b)
	}
	// A body that fits as written but not with its example: the draft's
	// check and its render both find it; it is listed once.
	long := `{"name": "long_one", "kind": "text", "body": "` + strings.Repeat("a", 1000) + `{{who}}",
		"variables": [{"name": "who", "type": "text", "example": "` + strings.Repeat("b", 60) + `"}]}`
	res, b = ts.do(req{method: http.MethodPost, path: "/api/templates/preview", key: ts.keys[app.RoleViewer], body: `{"template": ` + long + `}`})
	preview.Errors = nil
	if err := json.Unmarshal(b, &preview); res.StatusCode != http.StatusOK || err != nil || len(preview.Errors) == 0 {
		t.Fatalf("a too-long draft's preview: %d %s", res.StatusCode, b)
	}
	for i, e := range preview.Errors {
		if slices.Contains(preview.Errors[:i], e) {
			t.Errorf("the preview lists %+v twice", e)
		}
	}
	res, b = ts.do(req{method: http.MethodPost, path: "/api/templates/preview", key: ts.keys[app.RoleViewer], body: `{}`})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a preview of nothing: %d %s", res.StatusCode, b)
	}
}
