package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/media"
	"smartbot/app/media/mediatest"
	"smartbot/store"
)

// upload is one file of a multipart form.
type upload struct {
	name string
	data []byte
}

// uploadBody is the library's upload form as a browser sends it: the
// description first, then each file.
func uploadBody(t *testing.T, alt string, files ...upload) (body, contentType string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("alt", alt); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), mw.FormDataContentType()
}

func postUpload(ts *testServer, session, alt string, files ...upload) (*http.Response, []byte) {
	body, ct := uploadBody(ts.t, alt, files...)
	return ts.do(req{method: "POST", path: "/library", body: body, contentType: ct, cookie: session})
}

// listMedia is every media record, newest first.
func listMedia(t *testing.T, ts *testServer) []app.Media {
	t.Helper()
	list, _, err := ts.db.ListMedia(context.Background(), store.MediaFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// addMedia keeps a file through the media service, as an upload does, on
// product productID when set.
func addMedia(t *testing.T, ts *testServer, name string, data []byte, productID string) app.Media {
	t.Helper()
	ctx := context.Background()
	up, err := ts.media.Receive(ctx, bytes.NewReader(data), name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ts.media.Create(ctx, up, media.NewMedia{ProductID: productID})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// addProduct makes a product through the API and returns its id.
func addProduct(t *testing.T, ts *testServer, name string) string {
	t.Helper()
	res, body := ts.do(req{method: "POST", path: "/api/products", key: ts.keys[app.RoleOperator],
		body: `{"name":` + quote(name) + `,"price":1250,"currency":"USD"}`})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/products: %d %s", res.StatusCode, body)
	}
	var p struct{ ID string }
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitLine reads lines until one contains want, and fails the test when
// the stream ends first or nothing comes for a long while (a guard
// against a hang: a refresh comes every 2 s).
func waitLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	guard := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended before it sent %s", want)
			}
			if strings.Contains(line, want) {
				return
			}
		case <-guard:
			t.Fatalf("the stream never sent %s", want)
		}
	}
}

func TestAnUploadWithoutJavaScriptComesBackToTheLibraryWithANotice(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)

	res, body := postUpload(ts, operator, "Red and green tulips", upload{"photo.jpg", mediatest.JPEG(64, 48)})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/library" {
		t.Fatalf("POST /library: %d to %q, want 303 to /library\n%.500s", res.StatusCode, res.Header.Get("Location"), body)
	}
	list := listMedia(t, ts)
	if len(list) != 1 {
		t.Fatalf("%d media records after one upload, want 1", len(list))
	}
	if m := list[0]; m.OriginalName != "photo.jpg" || m.Alt != "Red and green tulips" || m.Kind != app.MediaImage ||
		m.CreatedBy != "user:"+ts.users[app.RoleOperator].ID {
		t.Errorf("the record is %+v", m)
	}
	fc := flashCookie(t, res)
	_, page := ts.do(req{method: "GET", path: "/library", header: cookies(operator, fc)})
	if want := `id="flash">Uploaded photo.jpg. It is being processed.</div>`; !strings.Contains(string(page), want) {
		t.Errorf("the library after the upload lacks %s", want)
	}
	if !strings.Contains(string(page), `id="media-`+list[0].ID+`"`) {
		t.Error("the library does not show the new file")
	}
	_, page = ts.do(req{method: "GET", path: "/library", header: cookies(operator, fc)})
	if strings.Contains(string(page), `id="flash"`) {
		t.Error("the notice shows again on a reload")
	}

	// Several files at once: one notice names them all.
	res, body = postUpload(ts, operator, "", upload{"a.png", mediatest.PNG(20, 20)}, upload{"price list.pdf", mediatest.PDF()})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /library with two files: %d\n%.500s", res.StatusCode, body)
	}
	_, page = ts.do(req{method: "GET", path: "/library", header: cookies(operator, flashCookie(t, res))})
	if want := `Uploaded 2 files: a.png and price list.pdf. They are being processed.`; !strings.Contains(string(page), want) {
		t.Errorf("the library after two uploads lacks %q", want)
	}
	if n := len(listMedia(t, ts)); n != 3 {
		t.Errorf("%d media records after three uploads, want 3", n)
	}
}

func TestARefusedUploadShowsWhyAndKeepsNothing(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	for _, tc := range []struct {
		name   string
		file   upload
		status int
		want   string
	}{
		{"a picture over its cap", upload{"big.jpg", mediatest.JPEG(32, 32, mediatest.AppData(5<<20+1000))}, http.StatusRequestEntityTooLarge,
			"big.jpg was not uploaded. The picture is 5.1 MB; Smartbot takes pictures of at most 5 MB."},
		{"a type Smartbot does not take", upload{"notes.txt", []byte("just some words, not a picture")}, http.StatusUnsupportedMediaType,
			"notes.txt was not uploaded."},
		{"a picture cut short", upload{"cut.jpg", mediatest.Truncate(mediatest.JPEG(64, 64), 400)}, http.StatusUnprocessableEntity,
			"cut.jpg was not uploaded."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := digest(t, ts.db)
			res, body := postUpload(ts, operator, "kept description", tc.file)
			if res.StatusCode != tc.status {
				t.Fatalf("POST /library: %d, want %d\n%.800s", res.StatusCode, tc.status, body)
			}
			page := string(body)
			if !strings.Contains(page, `id="error">`+tc.want) {
				t.Errorf("the page's error does not say %q:\n%.2000s", tc.want, page)
			}
			if !strings.Contains(page, `id="upload-form"`) || !strings.Contains(page, `value="kept description"`) {
				t.Error("the refusal does not show the upload form again with its description")
			}
			if after := digest(t, ts.db); after != before {
				t.Error("a refused upload changed the database")
			}
		})
	}
	// Nothing chosen: the form says so.
	res, body := postUpload(ts, operator, "")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "Choose a file to upload") {
		t.Errorf("an empty form: %d\n%.500s", res.StatusCode, body)
	}
	if n := len(listMedia(t, ts)); n != 0 {
		t.Errorf("%d media records after refusals, want 0", n)
	}
}

func TestTheLibraryShowsAPictureThumbnailOnceProcessedWithoutAReload(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	lines := openStream(t, ts.url+"/library/stream", viewer)
	waitLine(t, lines, `id="media-empty"`)

	if res, body := postUpload(ts, operator, "", upload{"tulips.jpg", mediatest.JPEG(800, 600)}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /library: %d\n%.500s", res.StatusCode, body)
	}
	id := listMedia(t, ts)[0].ID
	// The open page's stream brings the thumbnail once the picture is
	// processed: no reload.
	thumb := `src="/media/` + id + `/thumb"`
	waitLine(t, lines, thumb)

	_, page := ts.do(req{method: "GET", path: "/library", cookie: viewer})
	for _, want := range []string{thumb, `loading="lazy"`, `href="/library/` + id + `"`, ">tulips.jpg</span>"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the library lacks %s", want)
		}
	}
	res, jpeg := ts.do(req{method: "GET", path: "/media/" + id + "/thumb", cookie: viewer})
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" || len(jpeg) == 0 {
		t.Errorf("the thumbnail the library links to: %d %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(jpeg))
	}

	// The kind filters are plain links; a filter that leaves the picture
	// out says there is nothing of that kind.
	_, page = ts.do(req{method: "GET", path: "/library?kind=video", cookie: viewer})
	if strings.Contains(string(page), thumb) || !strings.Contains(string(page), "No videos yet.") {
		t.Errorf("the Videos filter shows the picture, or no empty state:\n%.3000s", page)
	}
	if !strings.Contains(string(page), `href="/library?kind=video" aria-current="page">Videos</a>`) {
		t.Error("the Videos filter is not marked as the one shown")
	}
}

func TestTheLibraryPagesFromNewestToOlder(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	for range 49 {
		addMedia(t, ts, "voice.ogg", mediatest.OggOpus(), "")
	}
	all := listMedia(t, ts) // newest first, as the library pages them
	_, page := ts.do(req{method: "GET", path: "/library", cookie: viewer})
	if strings.Contains(string(page), `id="media-`+all[48].ID+`"`) || !strings.Contains(string(page), `id="media-`+all[0].ID+`"`) ||
		!strings.Contains(string(page), `id="media-`+all[47].ID+`"`) {
		t.Fatal("the first page does not show the 48 newest files")
	}
	older := `href="/library?cursor=` + all[47].ID + `" id="media-older"`
	if !strings.Contains(string(page), older) {
		t.Fatalf("the first page lacks the link %s", older)
	}
	_, page = ts.do(req{method: "GET", path: "/library?cursor=" + all[47].ID, cookie: viewer})
	if !strings.Contains(string(page), `id="media-`+all[48].ID+`"`) || strings.Contains(string(page), `id="media-older"`) ||
		strings.Contains(string(page), `id="media-`+all[47].ID+`"`) {
		t.Error("the older page does not show the oldest file alone")
	}
}

func TestAFilePageShowsWhatItIsAndWhereItIsUsed(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	product := addProduct(t, ts, "Blue tulips")
	pic := addMedia(t, ts, "tulips in the shop.png", mediatest.PNG(40, 30), product)

	res, body := ts.do(req{method: "GET", path: "/library/" + pic.ID, cookie: viewer})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /library/%s: %d\n%.500s", pic.ID, res.StatusCode, body)
	}
	page := string(body)
	for _, want := range []string{
		"<h1>tulips in the shop.png</h1>", "PNG picture", pic.SHA256[:12] + "…", `title="` + pic.SHA256 + `"`,
		`id="media-uses"`, `<span class="badge">Product</span> Blue tulips`, `data-init="@get(&#39;/library/` + pic.ID + `/stream&#39;`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the file's page lacks %s", want)
		}
	}
	if strings.Contains(page, `id="delete"`) {
		t.Error("a viewer is offered Delete")
	}
	if res, _ := ts.do(req{method: "GET", path: "/library/" + app.NewID(app.PrefixMedia), cookie: viewer}); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown file's page: %d, want 404", res.StatusCode)
	}
}

func TestDeletingAFileAsksFirstAndTakesAUsedOneOffItsProductsOnlyWhenToldTo(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	product := addProduct(t, ts, "Blue tulips")
	used := addMedia(t, ts, "tulips.png", mediatest.PNG(40, 30), product)
	gone := func(id string) bool { _, err := ts.db.Media(ctx, id); return app.ErrorCode(err) == app.ENOTFOUND }

	_, page := ts.do(req{method: "GET", path: "/library/" + used.ID, cookie: operator})
	ask := "/library/" + used.ID + "/delete"
	if !strings.Contains(string(page), `href="`+ask+`" id="delete"`) {
		t.Fatalf("the file's page has no Delete link to %s", ask)
	}
	res, body := ts.do(req{method: "GET", path: ask, cookie: operator})
	for _, want := range []string{
		"<h1>Delete tulips.png?</h1>", "These products show this file:", `<span class="badge">Product</span> Blue tulips`,
		`<form method="post" action="` + ask + `"`, `<input type="hidden" name="force" value="true">`,
		"Delete and take it off these products", `href="/library/` + used.ID + `" id="cancel"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the confirmation page lacks %s", want)
		}
	}
	if res.StatusCode != http.StatusOK || gone(used.ID) {
		t.Fatalf("opening the confirmation page: %d, deleted already: %v", res.StatusCode, gone(used.ID))
	}

	// Without force, a file on a product stays, and the page says why.
	res, body = postForm(ts, ask, operator, nil)
	if res.StatusCode != http.StatusConflict || gone(used.ID) {
		t.Fatalf("POST %s without force: %d, deleted: %v\n%.500s", ask, res.StatusCode, gone(used.ID), body)
	}
	if want := `id="error">Nothing was deleted: tulips.png is used by product “Blue tulips”.`; !strings.Contains(string(body), want) {
		t.Errorf("the refusal lacks %s:\n%.2000s", want, body)
	}

	res, body = postForm(ts, ask, operator, url.Values{"force": {"true"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/library" {
		t.Fatalf("POST %s with force: %d to %q\n%.500s", ask, res.StatusCode, res.Header.Get("Location"), body)
	}
	if !gone(used.ID) {
		t.Error("force did not delete the file")
	}
	if pm, err := ts.db.ProductMedia(ctx, product); err != nil || len(pm) != 0 {
		t.Errorf("the product still has media %v (%v)", pm, err)
	}
	_, page = ts.do(req{method: "GET", path: "/library", header: cookies(operator, flashCookie(t, res))})
	if !strings.Contains(string(page), `id="flash">Deleted tulips.png.</div>`) {
		t.Error("the library does not say the file was deleted")
	}
	// Pressed again: it is gone, and the page says so instead of failing.
	if res, _ = postForm(ts, ask, operator, url.Values{"force": {"true"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a second delete: %d, want 303 with a notice", res.StatusCode)
	}

	// A file nothing uses: a plain question, no force.
	free := addMedia(t, ts, "spare.pdf", mediatest.PDF(), "")
	_, body = ts.do(req{method: "GET", path: "/library/" + free.ID + "/delete", cookie: operator})
	if !strings.Contains(string(body), ">Delete file") || strings.Contains(string(body), `name="force"`) {
		t.Errorf("the confirmation for an unused file:\n%.2000s", body)
	}
	if res, _ = postForm(ts, "/library/"+free.ID+"/delete", operator, nil); res.StatusCode != http.StatusSeeOther || !gone(free.ID) {
		t.Errorf("deleting an unused file: %d, gone: %v", res.StatusCode, gone(free.ID))
	}

	// A template's header: force cannot take it off, so nothing is offered.
	header := addMedia(t, ts, "banner.pdf", mediatest.PDF(), "")
	now := app.FormatTime(time.Now())
	if _, err := ts.db.W.Exec(`insert into message_templates (id, name, kind, header_media_id, body, created_at, updated_at) values (?, 'welcome', 'media', ?, 'Hi', ?, ?)`,
		app.NewID("tpl_"), header.ID, now, now); err != nil {
		t.Fatal(err)
	}
	_, body = ts.do(req{method: "GET", path: "/library/" + header.ID + "/delete", cookie: operator})
	if !strings.Contains(string(body), "This file is the header of these message templates:") || strings.Contains(string(body), `id="confirm-button"`) {
		t.Errorf("the confirmation for a template's header:\n%.2000s", body)
	}
	res, body = postForm(ts, "/library/"+header.ID+"/delete", operator, url.Values{"force": {"true"}})
	if res.StatusCode != http.StatusConflict || gone(header.ID) || !strings.Contains(string(body), "is still the header of message template “welcome”") {
		t.Errorf("a forced delete of a template's header: %d, gone: %v\n%.2000s", res.StatusCode, gone(header.ID), body)
	}
}

func TestAViewerSeesTheLibraryButCannotUploadOrDelete(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.session(ts.users[app.RoleViewer], time.Hour)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)

	_, page := ts.do(req{method: "GET", path: "/library", cookie: operator})
	for _, want := range []string{
		`id="upload-form"`, `action="/library"`, `enctype="multipart/form-data"`, `name="file" type="file" multiple`,
		"Pictures (JPEG, PNG, WebP or GIF) up to 5 MB", "up to 16 MB", "PDF documents up to 100 MB",
		"Pictures for your products and message headers", "Add the first one",
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the operator's library lacks %s", want)
		}
	}
	_, page = ts.do(req{method: "GET", path: "/library", cookie: viewer})
	for _, unwanted := range []string{`id="upload-form"`, `action="/library"`, "Add the first one"} {
		if strings.Contains(string(page), unwanted) {
			t.Errorf("the viewer's library has %s", unwanted)
		}
	}
	if !strings.Contains(string(page), "An operator or the owner can add them.") {
		t.Error("the viewer's empty library does not say who can add files")
	}

	m := addMedia(t, ts, "menu.pdf", mediatest.PDF(), "")
	res, body := postUpload(ts, viewer, "", upload{"photo.jpg", mediatest.JPEG(16, 16)})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `id="refused-need">operator</span>`) {
		t.Errorf("a viewer's upload: %d\n%.500s", res.StatusCode, body)
	}
	for _, r := range []req{
		{method: "GET", path: "/library/" + m.ID + "/delete", cookie: viewer},
		{method: "POST", path: "/library/" + m.ID + "/delete", cookie: viewer, body: "force=true", contentType: "application/x-www-form-urlencoded"},
	} {
		if res, _ := ts.do(r); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s by a viewer: %d, want 403", r.method, r.path, res.StatusCode)
		}
	}
	if n := len(listMedia(t, ts)); n != 1 {
		t.Errorf("%d media records, want the 1 added: a viewer's requests changed the library", n)
	}
}

func TestAPictureThatCannotBeProcessedSaysWhyInTheGrid(t *testing.T) {
	ts := newTestServer(t)
	operator := ts.session(ts.users[app.RoleOperator], time.Hour)
	lines := openStream(t, ts.url+"/library/stream", operator)
	waitLine(t, lines, `id="media-empty"`)
	// A whole JPEG to every check made on arrival, whose pixels are
	// noise: only making its sizes finds out.
	broken := append(mediatest.JPEGHeader(64, 64), make([]byte, 500)...)
	broken = append(broken, 0xff, 0xd9)
	if res, body := postUpload(ts, operator, "", upload{"broken.jpg", broken}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /library: %d\n%.500s", res.StatusCode, body)
	}
	waitLine(t, lines, `data-status="failed"`)
	m := listMedia(t, ts)[0]
	_, page := ts.do(req{method: "GET", path: "/library", cookie: operator})
	for _, want := range []string{`<span class="media-tile media-failed">Failed</span>`, `<span class="media-error">` + m.Error} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the failed picture's card lacks %s", want)
		}
	}
	if m.Error == "" || strings.Contains(string(page), `src="/media/`+m.ID+`/thumb"`) {
		t.Errorf("the failed picture has no reason (%q), or a thumbnail", m.Error)
	}
}
