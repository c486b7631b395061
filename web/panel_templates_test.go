package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/media/mediatest"
	"smartbot/store"
)

// formBody is a minimal editor form: the fields a browser sends.
func templateFormBody(name, body string, more ...string) string {
	v := url.Values{"name": {name}, "kind": {"text"}, "delivery_style": {"text"}, "body": {body},
		"var_name_0": {""}, "var_type_0": {"text"}, "section_rows_0": {""}}
	for i := 0; i+1 < len(more); i += 2 {
		v.Set(more[i], more[i+1])
	}
	return v.Encode()
}

func postTemplateForm(ts *testServer, session, path, body string) (*http.Response, []byte) {
	return ts.do(req{method: "POST", path: path, body: body, contentType: "application/x-www-form-urlencoded", cookie: session})
}

func onlyTemplate(t *testing.T, ts *testServer) app.Template {
	t.Helper()
	list, _, err := ts.db.ListTemplates(context.Background(), store.TemplateFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("%d templates (err %v), want 1", len(list), err)
	}
	return list[0]
}

func TestATemplateMadeThroughTheFormIsSavedAndListed(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)

	_, page := ts.do(req{method: "GET", path: "/templates", cookie: operator})
	if !strings.Contains(string(page), `id="templates-empty"`) || !strings.Contains(string(page), "Make the first one with New template") {
		t.Fatalf("the empty list does not say how to begin:\n%.2000s", page)
	}
	res, body := postTemplateForm(ts, operator, "/templates", templateFormBody("welcome", "Hi {{name}}, *welcome*!",
		"var_name_0", "name", "var_example_0", "Ann", "var_required_0", "true", "button_title_0", "ignored for a text template"))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /templates: %d\n%.2000s", res.StatusCode, body)
	}
	tp := onlyTemplate(t, ts)
	if tp.Name != "welcome" || tp.Body != "Hi {{name}}, *welcome*!" || len(tp.Variables) != 1 || !tp.Variables[0].Required ||
		string(tp.Variables[0].Example) != `"Ann"` || len(tp.Buttons) != 0 || tp.Version != 1 {
		t.Errorf("saved %+v", tp)
	}
	if loc := res.Header.Get("Location"); loc != "/templates/"+tp.ID {
		t.Errorf("redirected to %q", loc)
	}
	_, page = ts.do(req{method: "GET", path: "/templates/" + tp.ID, header: cookies(operator, flashCookie(t, res))})
	for _, want := range []string{`id="flash">Saved welcome (version 1).`, `<strong>welcome</strong>`, `Hi Ann,`, `name="version" value="1"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the editor after saving lacks %s", want)
		}
	}
	_, page = ts.do(req{method: "GET", path: "/templates?kind=text", cookie: operator})
	if !strings.Contains(string(page), `id="template-`+tp.ID+`"`) {
		t.Error("the list filtered by its kind does not show the template")
	}
	_, page = ts.do(req{method: "GET", path: "/templates?kind=list", cookie: operator})
	if strings.Contains(string(page), `id="template-`+tp.ID+`"`) {
		t.Error("the list of list templates shows a text template")
	}
}

func TestARefusedTemplateSaveShowsMessagesByFieldAndStoresNothing(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	before := digest(t, ts.db)
	res, body := postTemplateForm(ts, operator, "/templates", templateFormBody("Bad Name!", "Hello {{who}} "+strings.Repeat("x", 1030),
		"footer", "kept footer"))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("POST /templates: %d, want 422\n%.1000s", res.StatusCode, body)
	}
	if digest(t, ts.db) != before {
		t.Error("a refused save changed the database")
	}
	page := string(body)
	for _, slot := range []string{"name", "body"} {
		i := strings.Index(page, `id="problems-`+slot+`"`)
		if i < 0 || !strings.Contains(page[i:i+strings.Index(page[i:], "</ul>")], "<li>") {
			t.Errorf("no message beside %s", slot)
		}
	}
	if !strings.Contains(page, `value="kept footer"`) || !strings.Contains(page, `value="Bad Name!"`) {
		t.Error("the refused form lost what was typed")
	}
}

func TestAStaleTemplateSaveIsRefusedAndKeepsTheText(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	postTemplateForm(ts, operator, "/templates", templateFormBody("menu", "version one"))
	tp := onlyTemplate(t, ts)
	res, body := postTemplateForm(ts, operator, "/templates/"+tp.ID, templateFormBody("menu", "version two", "version", "1"))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the first save: %d\n%.1000s", res.StatusCode, body)
	}
	res, body = postTemplateForm(ts, operator, "/templates/"+tp.ID, templateFormBody("menu", "my own words", "version", "1"))
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("a save based on version 1 of version 2: %d, want 409", res.StatusCode)
	}
	for _, want := range []string{"Someone saved this template meanwhile (now version 2)", "my own words", `name="version" value="2"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the refused page lacks %q", want)
		}
	}
	if got := onlyTemplate(t, ts); got.Body != "version two" || got.Version != 2 {
		t.Errorf("the stale save changed the template: %+v", got)
	}
}

func TestRestoringVersionOneSavesItAsTheNextVersion(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	postTemplateForm(ts, operator, "/templates", templateFormBody("menu", "first words"))
	tp := onlyTemplate(t, ts)
	postTemplateForm(ts, operator, "/templates/"+tp.ID, templateFormBody("menu", "second words", "version", "1", "note", "shorter"))

	_, page := ts.do(req{method: "GET", path: "/templates/" + tp.ID + "/versions", cookie: operator})
	if !strings.Contains(string(page), `id="restore-1"`) || strings.Contains(string(page), `id="restore-2"`) || !strings.Contains(string(page), "shorter") {
		t.Fatalf("the versions page should offer to restore 1, not the current 2, and show the note:\n%.3000s", page)
	}
	res, page := ts.do(req{method: "GET", path: "/templates/" + tp.ID + "/versions/1/restore", cookie: operator})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `id="confirm-form"`) {
		t.Fatalf("the restore confirmation: %d", res.StatusCode)
	}
	if onlyTemplate(t, ts).Version != 2 {
		t.Fatal("asking to restore changed the template")
	}
	res, body := postTemplateForm(ts, operator, "/templates/"+tp.ID+"/versions/1/restore", "x=1")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("restore: %d\n%.1000s", res.StatusCode, body)
	}
	if got := onlyTemplate(t, ts); got.Version != 3 || got.Body != "first words" {
		t.Errorf("after restoring version 1: version %d, body %q", got.Version, got.Body)
	}
}

func TestAViewerSeesTemplatesReadOnlyAndCannotChangeThem(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	postTemplateForm(ts, operator, "/templates", templateFormBody("menu", "first words"))
	tp := onlyTemplate(t, ts)
	postTemplateForm(ts, operator, "/templates/"+tp.ID, templateFormBody("menu", "second words", "version", "1"))

	_, page := ts.do(req{method: "GET", path: "/templates/" + tp.ID, cookie: viewer})
	if !strings.Contains(string(page), "first words") && !strings.Contains(string(page), "second words") {
		t.Fatalf("the viewer does not see the template:\n%.2000s", page)
	}
	if strings.Contains(string(page), `id="save"`) || strings.Contains(string(page), `id="archive"`) || !strings.Contains(string(page), "disabled") {
		t.Error("a viewer is offered to save or archive")
	}
	_, page = ts.do(req{method: "GET", path: "/templates/" + tp.ID + "/versions", cookie: viewer})
	if strings.Contains(string(page), `id="restore-`) {
		t.Error("a viewer is offered to restore")
	}
	_, page = ts.do(req{method: "GET", path: "/templates", cookie: viewer})
	if strings.Contains(string(page), `id="new-template"`) {
		t.Error("a viewer is offered to make a template")
	}
	before := digest(t, ts.db)
	for _, path := range []string{"/templates", "/templates/" + tp.ID, "/templates/" + tp.ID + "/versions/1/restore", "/templates/" + tp.ID + "/archive"} {
		res, _ := postTemplateForm(ts, viewer, path, templateFormBody("menu", "a viewer's words", "version", "2"))
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("a viewer's POST %s: %d, want 403", path, res.StatusCode)
		}
	}
	if digest(t, ts.db) != before {
		t.Error("a viewer's POSTs changed the database")
	}
}

func TestArchivingATemplateAsksFirstThenKeepsItAsArchived(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	postTemplateForm(ts, operator, "/templates", templateFormBody("menu", "words"))
	tp := onlyTemplate(t, ts)
	res, page := ts.do(req{method: "GET", path: "/templates/" + tp.ID + "/archive", cookie: operator})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "Archive menu?") || onlyTemplate(t, ts).Status != app.TemplateActive {
		t.Fatalf("the archive confirmation: %d", res.StatusCode)
	}
	res, _ = postTemplateForm(ts, operator, "/templates/"+tp.ID+"/archive", "x=1")
	if res.StatusCode != http.StatusSeeOther || onlyTemplate(t, ts).Status != app.TemplateArchived {
		t.Fatalf("archive: %d, status %s", res.StatusCode, onlyTemplate(t, ts).Status)
	}
}

func TestTheEditorPreviewPatchesTheBubbleAndProblems(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	body := templateFormBody("menu", "Pick *one* {{x}}", "kind", "buttons", "button_title_0", "Catalog", "button_title_1", "My orders")
	hr, _ := http.NewRequest("POST", ts.url+"/templates/preview", strings.NewReader(body))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set("Datastar-Request", "true")
	hr.AddCookie(&http.Cookie{Name: "smartbot_session", Value: viewer})
	res, err := ts.client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	out := b.String()
	for _, want := range []string{"event: datastar-patch-elements", `id="tpl-preview"`, "Pick <strong>one</strong> {{x}}", "1. Catalog", `id="problems-body"`, "x"} {
		if !strings.Contains(out, want) {
			t.Errorf("the preview's patches lack %q:\n%.3000s", want, out)
		}
	}
	i := strings.Index(out, `id="problems-body"`)
	if i < 0 || !strings.Contains(out[i:i+strings.Index(out[i:], "</ul>")], "<li>") {
		t.Error("an undeclared placeholder is not named beside the body")
	}
}

// previewPatches posts the form to the live preview as Datastar does and
// returns its patches.
func previewPatches(t *testing.T, ts *testServer, session, body string) string {
	t.Helper()
	hr, _ := http.NewRequest("POST", ts.url+"/templates/preview", strings.NewReader(body))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set("Datastar-Request", "true")
	hr.AddCookie(&http.Cookie{Name: "smartbot_session", Value: session})
	res, err := ts.client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestThePreviewShowsThePollOrTheListsMenuThatIsSent(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	buttons := []string{"kind", "buttons", "button_title_0", "See the catalog", "button_title_1", "My orders"}
	list := []string{"kind", "list", "list_button", "Open the menu", "section_title_0", "Flowers",
		"section_rows_0", "roses | Red roses | By the dozen\ntulips | Tulips"}
	long := "Hello! " + strings.Repeat("We have fresh flowers every morning. ", 12) + "\nWhat would you like?"
	tests := []struct {
		name        string
		form        string
		want, unwnt []string
	}{
		{"a buttons template sent as a poll", templateFormBody("menu", "Pick one", append(buttons, "delivery_style", "poll")...),
			[]string{`id="preview-poll"`, `<div class="poll-question">Pick one</div>`, "<span>See the catalog</span>", "<span>My orders</span>"},
			[]string{`id="preview-intro"`, `id="preview-bubble"`}},
		{"a long message sent as a poll comes first, as its intro", templateFormBody("menu", long, append(buttons, "delivery_style", "poll")...),
			[]string{`id="preview-intro"`, "fresh flowers every morning", `id="preview-poll"`, "<span>My orders</span>"}, nil},
		{"the same template sent as text shows the numbered text, not a poll", templateFormBody("menu", "Pick one", append(buttons, "delivery_style", "text")...),
			[]string{`id="preview-text"`, "1. See the catalog", "2. My orders</div>"}, []string{`id="preview-poll"`, `class="bubble-button"`}},
		{"an interactive list shows its opened menu", templateFormBody("menu", "Our flowers", append(list, "delivery_style", "interactive")...),
			[]string{`id="preview-sheet"`, `<div class="sheet-title">Open the menu</div>`, `<div class="sheet-section">Flowers</div>`,
				"<span>Red roses</span>", `<span class="sheet-desc">By the dozen</span>`, "<span>Tulips</span>"}, []string{`id="preview-poll"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := previewPatches(t, ts, viewer, tt.form)
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("the patches lack %s:\n%.3000s", want, out)
				}
			}
			for _, unwanted := range tt.unwnt {
				if strings.Contains(out, unwanted) {
					t.Errorf("the patches show %s", unwanted)
				}
			}
		})
	}
}

// between is the part of out from the element with id to the end of its
// tag's first closing </div>: enough to look inside one bubble.
func between(out, id string) string {
	i := strings.Index(out, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	part := out[i:]
	if j := strings.Index(part, "</div>"); j >= 0 {
		part = part[:j]
	}
	return part
}

func TestThePreviewShowsWhatTheChosenDeliveryStyleSends(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	buttons := []string{"kind", "buttons", "header_type", "text", "header_text", "Welcome", "button_title_0", "See the catalog", "button_title_1", "My orders"}
	list := []string{"kind", "list", "list_button", "Open the menu", "section_title_0", "Flowers", "section_rows_0", "roses | Red roses\ntulips | Tulips"}
	with := func(base []string, more ...string) []string { return append(append([]string{}, base...), more...) }
	tests := []struct {
		name, form, shows string
		want, unwnt       []string
	}{
		{"buttons sent as text: the numbered text, its header in bold, and no buttons", templateFormBody("menu", "Pick one", with(buttons, "delivery_style", "text")...), "text",
			[]string{`<div class="bubble" id="preview-text">`, "<strong>Welcome</strong>", "1. See the catalog", "2. My orders", "Sent as numbered text"},
			[]string{`class="bubble-button"`, `id="preview-poll"`, `id="preview-fallback"`}},
		{"buttons sent interactive: the bubble, its buttons, and the text form for phones without them", templateFormBody("menu", "Pick one", with(buttons, "delivery_style", "interactive")...), "interactive",
			[]string{`id="preview-bubble"`, `<div class="bubble-header">Welcome</div>`, `<div class="bubble-button">See the catalog</div>`, `id="preview-fallback"`, "Sent with WhatsApp reply buttons"},
			[]string{`id="preview-text"`, `id="preview-poll"`}},
		{"buttons sent as a poll: the poll", templateFormBody("menu", "Pick one", with(buttons, "delivery_style", "poll")...), "poll",
			[]string{`id="preview-poll"`, "<span>See the catalog</span>", "Sent as a poll"}, []string{`class="bubble-button"`, `id="preview-text"`}},
		{"a list sent as text: its rows numbered under the section's title, no menu", templateFormBody("menu", "Our flowers", with(list, "delivery_style", "text")...), "text",
			[]string{`id="preview-text"`, "<strong>Flowers</strong>", "1. Red roses", "2. Tulips"}, []string{`id="preview-sheet"`, "☰"}},
		{"a list sent interactive: its menu button and the opened menu", templateFormBody("menu", "Our flowers", with(list, "delivery_style", "interactive")...), "interactive",
			[]string{`id="preview-bubble"`, "☰ Open the menu", `id="preview-sheet"`, "Sent as a WhatsApp list menu"}, []string{`id="preview-text"`}},
		{"a message without options is the same plain text whatever the style", templateFormBody("hello", "Hello *there*", "delivery_style", "interactive"), "text",
			[]string{`id="preview-text"`, "Hello <strong>there</strong>", "every delivery style sends it the same way"}, []string{`id="preview-bubble"`, `id="preview-fallback"`}},
		{"a poll of one option cannot be sent: the text is shown, the problem beside the style", templateFormBody("menu", "Pick one",
			"kind", "buttons", "button_title_0", "Only one", "delivery_style", "poll"), "text",
			[]string{`id="preview-text"`, "1. Only one"}, []string{`id="preview-poll"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := previewPatches(t, ts, operator, tt.form)
			if !strings.Contains(out, `data-shows="`+tt.shows+`"`) {
				t.Errorf("the phone does not show the %s form:\n%.3000s", tt.shows, out)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("the patches lack %s:\n%.3000s", want, out)
				}
			}
			for _, unwanted := range tt.unwnt {
				if strings.Contains(out, unwanted) {
					t.Errorf("the patches show %s:\n%.3000s", unwanted, out)
				}
			}
		})
	}
	// The editor opens on the saved style's form too, not only its patches.
	res, body := postTemplateForm(ts, operator, "/templates", templateFormBody("menu", "Pick one", with(buttons, "delivery_style", "interactive")...))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /templates: %d\n%.1000s", res.StatusCode, body)
	}
	_, page := ts.do(req{method: "GET", path: "/templates/" + onlyTemplate(t, ts).ID, cookie: operator})
	if !strings.Contains(string(page), `data-shows="interactive"`) || !strings.Contains(string(page), `<div class="bubble-button">My orders</div>`) {
		t.Errorf("the editor of an interactive template does not show its buttons:\n%.3000s", page)
	}
}

func TestAHeaderFileUploadedFromTheEditorIsPickedAndPreviewedOnceReady(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)

	// The editor offers the upload, to the media library's own API.
	_, page := ts.do(req{method: "GET", path: "/templates/new", cookie: operator})
	for _, want := range []string{`data-header-upload="/api/media/upload"`, `id="tpl-header-file"`, `data-limits="{&#34;image&#34;:`, `data-bind:header-media`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the editor lacks %s", want)
		}
	}
	if _, page := ts.do(req{method: "GET", path: "/templates/new", cookie: viewer}); strings.Contains(string(page), "data-header-upload") {
		t.Error("a viewer is offered to upload a header file")
	}

	// What the editor's script sends: the file, with the session cookie.
	body, ct := uploadBody(t, "", upload{"shop-front.jpg", mediatest.JPEG(640, 480)})
	res, answer := ts.do(req{method: "POST", path: "/api/media/upload", body: body, contentType: ct, cookie: operator})
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/media/upload: %d %s", res.StatusCode, answer)
	}
	id := listMedia(t, ts)[0].ID
	select {
	case <-ts.processed:
	case <-time.After(20 * time.Second):
		t.Fatal("the picture was never processed")
	}
	form := templateFormBody("shop_front", "Come and see us", "kind", "media", "header_type", "media", "header_media", id)
	out := previewPatches(t, ts, operator, form)
	if img := between(out, "preview-file"); !strings.Contains(img, `src="/media/`+id+`/thumb"`) || strings.Contains(out, "preview-file-pending") {
		t.Errorf("the preview does not show the processed picture:\n%.3000s", out)
	}

	// A file still being processed: the preview says so and asks again
	// until it is ready, and a refused save keeps it picked.
	pending := app.Media{ID: app.NewID(app.PrefixMedia), OriginalName: "new-sign.png", MIME: "image/png", Kind: app.MediaImage, Size: 10, SHA256: strings.Repeat("ab", 32), StorageKey: "x"}
	ctx := context.Background()
	if err := ts.db.Write(ctx, func(tx *store.Tx) error { return tx.CreateMedia(ctx, &pending) }); err != nil {
		t.Fatal(err)
	}
	form = templateFormBody("shop_front", "Come and see us", "kind", "media", "header_type", "media", "header_media", pending.ID)
	out = previewPatches(t, ts, operator, form)
	if p := between(out, "preview-file-pending"); !strings.Contains(p, "data-on-interval") || !strings.Contains(p, "Preparing new-sign.png") {
		t.Errorf("the preview of a file being processed does not wait for it:\n%.3000s", out)
	}
	res, page = postTemplateForm(ts, operator, "/templates", form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("saving with a file being processed: %d, want 422", res.StatusCode)
	}
	if !strings.Contains(string(page), `<option value="`+pending.ID+`" selected>new-sign.png (Picture, being processed)</option>`) {
		t.Errorf("the refused form lost the file being processed:\n%s", between(string(page), "tpl-header-media"))
	}
	if p := between(string(page), "problems-header"); !strings.Contains(p, "still being processed") {
		t.Errorf("no word beside the header that its file is being processed: %q", p)
	}
}

// diffLines are a line diff's lines on a page, by their mark: "removed",
// "added" or "same".
func diffLines(page, field string) map[string][]string {
	i := strings.Index(page, `id="diff-`+field+`"`)
	if i < 0 {
		return nil
	}
	part := page[i:]
	part = part[:strings.Index(part, "</ul>")]
	out := map[string][]string{}
	for _, m := range regexp.MustCompile(`<li class="diff-(\w+)">.*?<span class="diff-text">(.*?)</span>`).FindAllStringSubmatch(part, -1) {
		out[m[1]] = append(out[m[1]], html.UnescapeString(m[2]))
	}
	return out
}

func TestASavedVersionShowsWhatDiffersFromTheCurrentOne(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	postTemplateForm(ts, operator, "/templates", templateFormBody("opening_hours", "Hello\nSee you\nBye\nWe open at 9", "footer", "The old footer"))
	tp := onlyTemplate(t, ts)
	res, body := postTemplateForm(ts, operator, "/templates/"+tp.ID, templateFormBody("opening_hours", "We open at 10\nHello\nSee you\nBye",
		"footer", "The new footer", "version", "1"))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving version 2: %d\n%.1000s", res.StatusCode, body)
	}

	_, page := ts.do(req{method: "GET", path: "/templates/" + tp.ID + "/versions/1", cookie: operator})
	got := diffLines(string(page), "body")
	want := map[string][]string{"same": {"Hello", "See you", "Bye"}, "removed": {"We open at 9"}, "added": {"We open at 10"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the body's line diff is %q, want %q", got, want)
	}
	i := strings.Index(string(page), `id="diff-footer"`)
	if i < 0 || !strings.Contains(string(page)[i:], "The old footer") || !strings.Contains(string(page)[i:], "The new footer") {
		t.Errorf("the footer's old and new values are not shown:\n%.3000s", page)
	}
	for _, unchanged := range []string{`id="diff-name"`, `id="diff-kind"`, `id="diff-header"`, `id="diff-delivery_style"`, `id="diff-same"`} {
		if strings.Contains(string(page), unchanged) {
			t.Errorf("the diff shows %s, which did not change", unchanged)
		}
	}

	if !strings.Contains(string(page), `<li><a href="/templates/`+tp.ID+`/versions">Versions</a></li>`) {
		t.Error("the version's breadcrumb does not lead back to the versions")
	}

	_, page = ts.do(req{method: "GET", path: "/templates/" + tp.ID + "/versions/2", cookie: operator})
	if !strings.Contains(string(page), "This version is the same as the current one.") || strings.Contains(string(page), `id="diff-body"`) {
		t.Errorf("the current version's page does not say it is the same:\n%.3000s", page)
	}
}

func TestATemplatesLinesAreSavedWithoutTheBrowsersCarriageReturns(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	postTemplateForm(ts, operator, "/templates", templateFormBody("two_lines", "Hello\r\nBye"))
	if got := onlyTemplate(t, ts).Body; got != "Hello\nBye" {
		t.Errorf("the body was saved as %q", got)
	}
}
