package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/app/media/mediatest"
)

// multipartBody is an upload form: the file under the field file, and the
// other fields given.
func multipartBody(t *testing.T, name string, file []byte, fields map[string]string) (body, contentType string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(file)
	w.Close()
	return b.String(), w.FormDataContentType()
}

// mediaRecord is the API's media record, as much as the tests read.
type mediaRecord struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	MIME         string `json:"mime"`
	Kind         string `json:"kind"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	Width        *int   `json:"width"`
	Height       *int   `json:"height"`
	OriginalName string `json:"original_name"`
	Alt          string `json:"alt"`
	URL          string `json:"url"`
	Variants     map[string]struct {
		URL           string
		Width, Height int
		Size          int64
	} `json:"variants"`
	Error  string         `json:"error"`
	UsedBy []app.MediaUse `json:"used_by"`
}

// upload sends one file to POST /api/media/upload with key and decodes the
// 202 answer.
func (ts *testServer) upload(key, name string, file []byte, fields map[string]string) mediaRecord {
	ts.t.Helper()
	body, ct := multipartBody(ts.t, name, file, fields)
	res, b := ts.do(req{method: http.MethodPost, path: "/api/media/upload", body: body, contentType: ct, key: key})
	if res.StatusCode != http.StatusAccepted {
		ts.t.Fatalf("upload %s: %d %s", name, res.StatusCode, b)
	}
	var m mediaRecord
	if err := json.Unmarshal(b, &m); err != nil {
		ts.t.Fatal(err)
	}
	if loc := res.Header.Get("Location"); loc != "/api/media/"+m.ID {
		ts.t.Errorf("Location %q, want /api/media/%s", loc, m.ID)
	}
	return m
}

// product is the API's product, as much as the tests read.
type product struct {
	ID    string
	Media []app.ProductMedia
}

// createProduct adds a product through the API with key.
func (ts *testServer) createProduct(key, body string) product {
	ts.t.Helper()
	res, b := ts.do(req{method: http.MethodPost, path: "/api/products", key: key, body: body})
	if res.StatusCode != http.StatusCreated {
		ts.t.Fatalf("create a product: %d %s", res.StatusCode, b)
	}
	var p product
	if err := json.Unmarshal(b, &p); err != nil {
		ts.t.Fatal(err)
	}
	return p
}

// waitProcessed waits until the runner has finished the media job of id.
func (ts *testServer) waitProcessed(id string) {
	ts.t.Helper()
	timeout := time.After(30 * time.Second) // a guard against a hang only
	for {
		select {
		case got := <-ts.processed:
			if got == id {
				return
			}
		case <-timeout:
			ts.t.Fatalf("the media job of %s did not run", id)
		}
	}
}

func (ts *testServer) mediaRecord(key, id string) mediaRecord {
	ts.t.Helper()
	res, b := ts.do(req{method: http.MethodGet, path: "/api/media/" + id, key: key})
	if res.StatusCode != http.StatusOK {
		ts.t.Fatalf("GET /api/media/%s: %d %s", id, res.StatusCode, b)
	}
	var m mediaRecord
	if err := json.Unmarshal(b, &m); err != nil {
		ts.t.Fatal(err)
	}
	return m
}

func TestAnUploadedPictureIsProcessedAndItsSizesAreServedCacheableWithRanges(t *testing.T) {
	ts := newTestServer(t)
	photo := mediatest.JPEG(2000, 1500, mediatest.GPS(-17.8, 31.0))
	m := ts.upload(ts.keys[app.RoleOperator], "Shop front.jpg", photo, map[string]string{"alt": "The shop's front door"})
	if m.Status != "processing" || m.MIME != "image/jpeg" || m.Kind != "image" || m.Size != int64(len(photo)) ||
		m.OriginalName != "Shop front.jpg" || m.Width == nil || *m.Width != 2000 || len(m.SHA256) != 64 {
		t.Fatalf("the 202 answer %+v", m)
	}
	ts.waitProcessed(m.ID)
	m = ts.mediaRecord(ts.keys[app.RoleViewer], m.ID)
	if m.Status != "ready" || len(m.Variants) != 3 || m.Variants["thumb"].Width != 150 || m.Variants["large"].Width != 1280 {
		t.Fatalf("after processing: %+v", m)
	}

	thumbURL := m.Variants["thumb"].URL
	res, thumb := ts.do(req{method: http.MethodGet, path: thumbURL, key: ts.keys[app.RoleViewer]})
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" || int64(len(thumb)) != m.Variants["thumb"].Size {
		t.Fatalf("GET %s: %d %s, %d bytes", thumbURL, res.StatusCode, res.Header.Get("Content-Type"), len(thumb))
	}
	for header, want := range map[string]string{
		"Cache-Control":          "private, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff",
		"Content-Disposition":    `inline; filename="Shop front-thumb.jpg"`,
		"ETag":                   `"` + m.SHA256 + `-thumb"`,
		"Accept-Ranges":          "bytes",
	} {
		if got := res.Header.Get(header); got != want {
			t.Errorf("%s: %s is %q, want %q", thumbURL, header, got, want)
		}
	}
	if mediatest.HasEXIF(thumb) {
		t.Error("the thumbnail carries EXIF")
	}

	res, part := ts.do(req{method: http.MethodGet, path: thumbURL, key: ts.keys[app.RoleViewer], header: map[string]string{"Range": "bytes=100-199"}})
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(part, thumb[100:200]) ||
		res.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(thumb)) {
		t.Errorf("a range: %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Range"), len(part))
	}
	res, _ = ts.do(req{method: http.MethodGet, path: thumbURL, key: ts.keys[app.RoleViewer], header: map[string]string{"If-None-Match": res.Header.Get("ETag")}})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("a repeat with If-None-Match: %d, want 304", res.StatusCode)
	}

	// The picture's own URL is its large size: the original, with the
	// place it was taken in its metadata, is never served.
	_, large := ts.do(req{method: http.MethodGet, path: m.Variants["large"].URL, key: ts.keys[app.RoleViewer]})
	res, own := ts.do(req{method: http.MethodGet, path: m.URL, key: ts.keys[app.RoleViewer]})
	if res.StatusCode != http.StatusOK || !bytes.Equal(own, large) || bytes.Equal(own, photo) {
		t.Errorf("GET %s: %d, %d bytes; want the large size's %d bytes", m.URL, res.StatusCode, len(own), len(large))
	}

	res, _ = ts.do(req{method: http.MethodGet, path: thumbURL})
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("without credentials: %d, want 401", res.StatusCode)
	}
	res, _ = ts.do(req{method: http.MethodGet, path: m.URL + "/original", key: ts.keys[app.RoleViewer]})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown size: %d, want 404", res.StatusCode)
	}
}

func TestAPDFIsServedAsADownloadUnderItsOwnName(t *testing.T) {
	ts := newTestServer(t)
	pdf := mediatest.PDF()
	m := ts.upload(ts.keys[app.RoleOperator], "Price list – June.pdf", pdf, nil)
	ts.waitProcessed(m.ID)
	if m = ts.mediaRecord(ts.keys[app.RoleViewer], m.ID); m.Status != "ready" || len(m.Variants) != 0 || m.Width != nil {
		t.Fatalf("a PDF after processing: %+v", m)
	}
	res, b := ts.do(req{method: http.MethodGet, path: m.URL, key: ts.keys[app.RoleViewer]})
	if res.StatusCode != http.StatusOK || !bytes.Equal(b, pdf) || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("GET %s: %d %s", m.URL, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if got, want := res.Header.Get("Content-Disposition"), "attachment; filename*=utf-8''Price%20list%20%E2%80%93%20June.pdf"; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
}

func TestMediaInUseIsDeletedOnlyWithForceWhichTakesItOffTheProduct(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	p := ts.createProduct(op, `{"name":"Rooibos tea","price":1250,"currency":"ZAR"}`)
	m := ts.upload(op, "tea.png", mediatest.PNG(300, 200), map[string]string{"product_id": p.ID})
	// Put on the product through the catalog: the change is told like any
	// other change of the product.
	if n := countEvents(t, ts, "product_updated"); n != 2 {
		t.Errorf("%d product_updated events after creating the product and uploading its picture, want 2", n)
	}
	if len(m.UsedBy) != 1 || m.UsedBy[0] != (app.MediaUse{Type: "product", ID: p.ID, Name: "Rooibos tea"}) {
		t.Errorf("the upload's record is used by %+v, want the product", m.UsedBy)
	}
	_, b := ts.do(req{method: http.MethodGet, path: "/api/products/" + p.ID, key: op})
	json.Unmarshal(b, &p)
	if len(p.Media) != 1 || p.Media[0].MediaID != m.ID || p.Media[0].Role != "primary" {
		t.Fatalf("the product's media: %+v, want the picture as its primary", p.Media)
	}

	res, b := ts.do(req{method: http.MethodDelete, path: "/api/media/" + m.ID, key: op})
	prob := problemOf(t, res, b)
	if res.StatusCode != http.StatusConflict || !strings.Contains(prob["detail"].(string), `product "Rooibos tea"`) {
		t.Fatalf("deleting a used file: %d %s", res.StatusCode, b)
	}
	if used, _ := prob["used_by"].([]any); len(used) != 1 {
		t.Errorf("the refusal's used_by is %v, want the product", prob["used_by"])
	}
	res, b = ts.do(req{method: http.MethodDelete, path: "/api/media/" + m.ID + "?force=maybe", key: op})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("force=maybe: %d %s, want 422", res.StatusCode, b)
	}
	res, b = ts.do(req{method: http.MethodDelete, path: "/api/media/" + m.ID + "?force=true", key: op})
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("a forced delete: %d %s", res.StatusCode, b)
	}
	_, b = ts.do(req{method: http.MethodGet, path: "/api/products/" + p.ID, key: op})
	json.Unmarshal(b, &p)
	if len(p.Media) != 0 {
		t.Errorf("after the forced delete the product still has %+v", p.Media)
	}
	if res, _ := ts.do(req{method: http.MethodGet, path: "/api/media/" + m.ID, key: op}); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET a deleted record: %d, want 404", res.StatusCode)
	}
	if res, _ := ts.do(req{method: http.MethodDelete, path: "/api/media/" + m.ID, key: ts.keys[app.RoleViewer]}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's delete: %d, want 403", res.StatusCode)
	}
}

func TestRefusedUploadsGetAProblemNamingWhatWasWrong(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	for _, c := range []struct {
		name   string
		file   []byte
		status int
		says   string
	}{
		{"photo.jpg", []byte("<html><body>not a photo</body></html>"), http.StatusUnsupportedMediaType, "HTML"},
		{"bomb.png", mediatest.PNGHeader(100_000, 100_000), http.StatusUnprocessableEntity, "megapixels"},
		{"empty.jpg", nil, http.StatusUnprocessableEntity, "empty"},
	} {
		body, ct := multipartBody(t, c.name, c.file, nil)
		res, b := ts.do(req{method: http.MethodPost, path: "/api/media/upload", body: body, contentType: ct, key: op})
		prob := problemOf(t, res, b)
		if res.StatusCode != c.status || !strings.Contains(prob["detail"].(string), c.says) {
			t.Errorf("%s: %d %s; want %d saying %q", c.name, res.StatusCode, b, c.status, c.says)
		}
	}
	res, b := ts.do(req{method: http.MethodPost, path: "/api/media/upload", body: `{"file":"x"}`, key: op})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("a JSON body: %d %s, want 400", res.StatusCode, b)
	}
	body, ct := multipartBody(t, "x", nil, nil)
	body = strings.Replace(body, `name="file"`, `name="picture"`, 1)
	res, b = ts.do(req{method: http.MethodPost, path: "/api/media/upload", body: body, contentType: ct, key: op})
	if prob := problemOf(t, res, b); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(prob["detail"].(string), "file") {
		t.Errorf("no file field: %d %s", res.StatusCode, b)
	}
	if n := countRows(t, ts, "select count(*) from media_files"); n != 0 {
		t.Errorf("%d media rows after refusals", n)
	}
}

// dribble writes a picture's start and then zeros for ever, in small
// pieces, and counts what it wrote.
type dribble struct {
	head []byte
	// written is read by the test while the client's transport may still
	// be sending the body, after the answer came.
	written atomic.Int64
}

func (d *dribble) Read(p []byte) (int, error) {
	p = p[:min(len(p), 32<<10)]
	n := copy(p, d.head)
	d.head = d.head[n:]
	clear(p[n:])
	d.written.Add(int64(len(p)))
	return len(p), nil
}

func TestAnEndlessUploadIsRefusedOnceItPassesItsKindsCap(t *testing.T) {
	ts := newTestServer(t)
	var form bytes.Buffer
	w := multipart.NewWriter(&form)
	w.CreateFormFile("file", "endless.png")
	body := &dribble{head: append(form.Bytes(), mediatest.PNG(16, 16)...)}
	hr, _ := http.NewRequest(http.MethodPost, ts.url+"/api/media/upload", io.NopCloser(body)) // no length: chunked
	hr.Header.Set("Content-Type", w.FormDataContentType())
	hr.Header.Set("Authorization", "Bearer "+ts.keys[app.RoleOperator])
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("the server cut the upload off without an answer: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "5 MB") {
		t.Fatalf("an endless picture: %d %s, want 413 naming the 5 MB cap", res.StatusCode, b)
	}
	// The answer came while the body was still being sent, a little past
	// the 5 MB picture cap (what the sockets' buffers held), not at the
	// 100 MB cap of documents.
	if n := body.written.Load(); n > 16<<20 {
		t.Errorf("%d bytes were sent before the refusal", n)
	}
}

func TestAProductsPicturesAreAttachedOrderedMadePrimaryAndDetached(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	p := ts.createProduct(op, `{"name":"Tea set","price":9900,"currency":"USD"}`)
	pics := make([]string, 3)
	for i := range pics {
		pics[i] = ts.upload(op, fmt.Sprintf("tea-%d.png", i), mediatest.PNG(40+i, 30), nil).ID
	}
	pdf := ts.upload(op, "menu.pdf", mediatest.PDF(), nil).ID
	body, ct := multipartBody(t, "menu.pdf", mediatest.PDF(), map[string]string{"product_id": p.ID})
	if res, b := ts.do(req{method: http.MethodPost, path: "/api/media/upload", body: body, contentType: ct, key: op}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a PDF uploaded onto a product: %d %s, want 422", res.StatusCode, b)
	}
	body, ct = multipartBody(t, "tea.png", mediatest.PNG(40, 30), map[string]string{"product_id": app.NewID(app.PrefixProduct)})
	if res, b := ts.do(req{method: http.MethodPost, path: "/api/media/upload", body: body, contentType: ct, key: op}); res.StatusCode != http.StatusUnprocessableEntity ||
		!slices.Contains(fieldsOf(t, res, b), "product_id") {
		t.Errorf("a picture uploaded onto a product that is not there: %d %s, want 422 naming product_id", res.StatusCode, b)
	}
	base := "/api/products/" + p.ID + "/media"
	change := func(method, path, body string, want int) {
		t.Helper()
		res, b := ts.do(req{method: method, path: path, key: op, body: body})
		if res.StatusCode != want {
			t.Fatalf("%s %s %s: %d %s, want %d", method, path, body, res.StatusCode, b, want)
		}
		if want == http.StatusOK {
			p.Media = nil
			json.Unmarshal(b, &p)
		}
	}
	order := func() string {
		var out []string
		for _, m := range p.Media {
			i := slices.Index(pics, m.MediaID)
			out = append(out, fmt.Sprintf("%d:%s", i, m.Role))
		}
		return strings.Join(out, " ")
	}

	change(http.MethodPost, base, `{"media_id":"`+pics[0]+`"}`, http.StatusOK)
	change(http.MethodPost, base, `{"media_id":"`+pics[1]+`"}`, http.StatusOK)
	change(http.MethodPost, base, `{"media_id":"`+pics[2]+`","role":"primary"}`, http.StatusOK)
	if got := order(); got != "0:gallery 1:gallery 2:primary" {
		t.Fatalf("after three attaches: %s", got)
	}
	change(http.MethodPut, base, `{"media_ids":["`+pics[2]+`","`+pics[0]+`","`+pics[1]+`"]}`, http.StatusOK)
	if got := order(); got != "2:primary 0:gallery 1:gallery" {
		t.Fatalf("after reordering: %s", got)
	}
	change(http.MethodPost, base+"/"+pics[1]+"/primary", "", http.StatusOK)
	change(http.MethodDelete, base+"/"+pics[0], "", http.StatusOK)
	if got := order(); got != "2:gallery 1:primary" {
		t.Fatalf("after making 1 primary and taking 0 off: %s", got)
	}

	// What is refused, and changes nothing.
	change(http.MethodPut, base, `{"media_ids":["`+pics[2]+`"]}`, http.StatusUnprocessableEntity)
	change(http.MethodPost, base, `{"media_id":"`+pics[1]+`"}`, http.StatusConflict)
	change(http.MethodPost, base, `{"media_id":"`+pdf+`"}`, http.StatusUnprocessableEntity)
	change(http.MethodPost, base, `{"media_id":"`+pics[0]+`","role":"hero"}`, http.StatusUnprocessableEntity)
	change(http.MethodPost, base, `{"media_id":"med_nope"}`, http.StatusUnprocessableEntity)
	change(http.MethodDelete, base+"/"+pics[0], "", http.StatusNotFound)
	if res, _ := ts.do(req{method: http.MethodDelete, path: base + "/" + pics[2], key: ts.keys[app.RoleViewer]}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's change: %d, want 403", res.StatusCode)
	}
	_, b := ts.do(req{method: http.MethodGet, path: "/api/products/" + p.ID, key: op})
	json.Unmarshal(b, &p)
	if got := order(); got != "2:gallery 1:primary" {
		t.Errorf("after the refusals: %s", got)
	}
	// One product_updated for the create and each of the six changes that
	// were made; none for the refused ones.
	if n := countRows(t, ts, "select count(*) from events where type = 'product_updated'"); n != 7 {
		t.Errorf("%d product_updated events, want 7", n)
	}
}

func TestAMediaFilesAltTextCanBeChanged(t *testing.T) {
	ts := newTestServer(t)
	op := ts.keys[app.RoleOperator]
	m := ts.upload(op, "tea.png", mediatest.PNG(40, 30), map[string]string{"alt": "Tea"})
	path := "/api/media/" + m.ID
	res, b := ts.do(req{method: http.MethodPatch, path: path, key: op, body: `{"alt":"  A pot of rooibos tea  "}`})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"alt":"A pot of rooibos tea"`) {
		t.Fatalf("PATCH alt: %d %s", res.StatusCode, b)
	}
	for _, body := range []string{`{"alt":"two\nlines"}`, `{"alt":"` + strings.Repeat("x", 501) + `"}`, `{}`, `{"alt":1}`} {
		if res, b := ts.do(req{method: http.MethodPatch, path: path, key: op, body: body}); res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("PATCH %.30s: %d %s, want a 4xx", body, res.StatusCode, b)
		}
	}
	if res, _ := ts.do(req{method: http.MethodPatch, path: path, key: ts.keys[app.RoleViewer], body: `{"alt":""}`}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's PATCH: %d, want 403", res.StatusCode)
	}
	if got := ts.mediaRecord(op, m.ID); got.Alt != "A pot of rooibos tea" {
		t.Errorf("after the refusals the alt text is %q", got.Alt)
	}
}
