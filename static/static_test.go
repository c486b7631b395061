package static_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"smartbot/static"
)

func get(t *testing.T, method, url string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	// Mounted as the web server mounts it.
	mux := http.NewServeMux()
	mux.Handle("GET /static/", static.Handler())
	req := httptest.NewRequest(method, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

func TestURLHasTheFirst12HexOfTheFilesSHA256(t *testing.T) {
	for _, name := range []string{"app.css", "datastar.js", "datastar.LICENSE.md", "favicon.svg", "panel.js"} {
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		want := "/static/" + hex.EncodeToString(sum[:])[:12] + "/" + name
		if got := static.URL(name); got != want {
			t.Errorf("URL(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestURLPanicsForAnUnknownAsset(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("URL of an unknown asset did not panic")
		}
	}()
	static.URL("nope.css")
}

func TestHandlerServesTheCurrentURLForAYear(t *testing.T) {
	for name, ctype := range map[string]string{
		"app.css":     "text/css; charset=utf-8",
		"datastar.js": "text/javascript; charset=utf-8",
		"panel.js":    "text/javascript; charset=utf-8",
		"favicon.svg": "image/svg+xml",
	} {
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		rec := get(t, "GET", static.URL(name), nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", name, rec.Code)
		}
		h := rec.Header()
		if got := h.Get("Content-Type"); got != ctype {
			t.Errorf("%s: Content-Type %q, want %q", name, got, ctype)
		}
		if got := h.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", name, got)
		}
		if h.Get("ETag") == "" || h.Get("Content-Encoding") != "" {
			t.Errorf("%s: ETag %q, Content-Encoding %q", name, h.Get("ETag"), h.Get("Content-Encoding"))
		}
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("%s: body differs from the file", name)
		}

		// A revalidation of the same version is a 304.
		rec = get(t, "GET", static.URL(name), http.Header{"If-None-Match": {h.Get("ETag")}})
		if rec.Code != http.StatusNotModified {
			t.Errorf("%s: If-None-Match: status %d, want 304", name, rec.Code)
		}
	}
}

func TestHandlerGzipsForClientsThatAcceptIt(t *testing.T) {
	want, _ := os.ReadFile("datastar.js")
	plain := get(t, "GET", static.URL("datastar.js"), nil)
	rec := get(t, "GET", static.URL("datastar.js"), http.Header{"Accept-Encoding": {"gzip, deflate, br"}})
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, Content-Encoding %q", rec.Code, rec.Header().Get("Content-Encoding"))
	}
	if rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Errorf("Vary %q", rec.Header().Get("Vary"))
	}
	if rec.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Error("gzipped and plain bodies share an ETag")
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("gunzipped body differs from the file (err %v)", err)
	}

	refused := get(t, "GET", static.URL("datastar.js"), http.Header{"Accept-Encoding": {"gzip;q=0, br"}})
	if refused.Header().Get("Content-Encoding") != "" {
		t.Error("gzipped for a client that refused gzip")
	}
}

func TestHandlerAnswersHEADWithoutABody(t *testing.T) {
	rec := get(t, "HEAD", static.URL("app.css"), nil)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("status %d, %d body bytes, Content-Type %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Type"))
	}
}

func TestHandlerRedirectsAnOldHashToTheCurrentURL(t *testing.T) {
	rec := get(t, "GET", "/static/0123456789ab/app.css", nil)
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != static.URL("app.css") {
		t.Errorf("status %d, Location %q, want 302 to %s", rec.Code, rec.Header().Get("Location"), static.URL("app.css"))
	}
	if strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Error("redirect is cached as immutable")
	}
}

func TestHandlerRefusesEverythingElse(t *testing.T) {
	hash := strings.Split(static.URL("app.css"), "/")[2]
	urls := []string{
		"/static/",
		"/static/" + hash,
		"/static/" + hash + "/",
		"/static/" + hash + "/nope.css",
		"/static/" + hash + "/static.go",
		"/static/" + hash + "/internal/gendatastar/main.go",
		"/static/" + hash + "/internal/",
		"/static/" + hash + "/..%2fstatic.go",
		"/static/" + hash + "/%2e%2e/static/static.go",
		"/static/" + hash + "/./app.css",
		"/static/abc/app.css",
		"/static/app.css",
		"/static/" + hash + "/app.css/",
		"/static/" + hash + "/app.css/x",
	}
	// The hash in capitals is another name, unless the hash (hex) happens
	// to be all digits: then it is the very same name.
	if upper := strings.ToUpper(hash); upper != hash {
		urls = append(urls, "/static/"+upper+"/app.css")
	}
	for _, url := range urls {
		rec := get(t, "GET", url, nil)
		if rec.Code == http.StatusOK || rec.Code == http.StatusFound || rec.Code == http.StatusNotModified {
			t.Errorf("GET %s: status %d, want a refusal", url, rec.Code)
		}
		muxCleaned := rec.Code == http.StatusMovedPermanently || rec.Code == http.StatusTemporaryRedirect
		if rec.Code != http.StatusNotFound && !muxCleaned {
			// ServeMux itself redirects paths it cleans; anything it passes
			// on must be a 404 from the handler.
			t.Errorf("GET %s: status %d, want 404", url, rec.Code)
		}
	}

	// Called directly, without the mux cleaning the path first.
	for _, url := range []string{"/static/" + hash + "/../static.go", "/static/" + hash + "/./app.css", "/elsewhere/" + hash + "/app.css"} {
		rec := httptest.NewRecorder()
		static.Handler().ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("direct GET %s: status %d, want 404", url, rec.Code)
		}
	}

	rec := httptest.NewRecorder()
	static.Handler().ServeHTTP(rec, httptest.NewRequest("POST", static.URL("app.css"), nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", rec.Code)
	}
}

// TestDatastarIsThePinnedRelease checks the checked-in bundle against the
// module cache when the module is there; go generate ./static/... makes it.
func TestDatastarIsThePinnedRelease(t *testing.T) {
	got, err := os.ReadFile("datastar.js")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^// Datastar v1\.0\.0\n`).Match(got) {
		t.Fatalf("datastar.js starts %.30q, want the v1.0.0 bundle", got)
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("go env GOMODCACHE: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "github.com", "starfederation", "datastar@v1.0.0")
	for src, dst := range map[string]string{"bundles/datastar.js": "datastar.js", "LICENSE.md": "datastar.LICENSE.md"} {
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(src)))
		if err != nil {
			t.Skipf("module not in the cache: %v", err)
		}
		have, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, want) {
			t.Errorf("%s differs from %s in the module; run go generate ./static/...", dst, src)
		}
	}
}
