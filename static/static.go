// Package static holds the admin panel's assets, embedded in the binary, and
// serves them under content-hashed URLs so browsers can cache them forever.
//
// Templates link to assets with URL("app.css"), which returns
// /static/<hash>/app.css where <hash> is the first 12 hex digits of the
// file's SHA-256. The web server mounts Handler at "GET /static/".
package static

//go:generate go run ./internal/gendatastar

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed app.css favicon.svg datastar.js datastar.LICENSE.md panel.js
var files embed.FS

// prefix is where the web server mounts Handler.
const prefix = "/static/"

// hashLen is how many hex digits of the SHA-256 go into a URL: enough that
// a stale cached copy is never mistaken for the current one.
const hashLen = 12

// asset is one embedded file, ready to serve.
type asset struct {
	name        string
	hash        string // first hashLen hex digits of the SHA-256
	contentType string
	body        []byte
	gzipped     []byte // nil when compression would not pay
}

// assets is every embedded file by name, built once at package init.
var assets = load()

func load() map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a := &asset{
			name:        name,
			hash:        hex.EncodeToString(sum[:])[:hashLen],
			contentType: contentType(name),
			body:        body,
		}
		if strings.HasPrefix(a.contentType, "text/") || strings.HasPrefix(a.contentType, "image/svg") {
			a.gzipped = compress(body)
		}
		m[name] = a
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("static: load embedded assets: %v", err))
	}
	return m
}

// contentType is set explicitly rather than taken from the system's MIME
// tables, which differ between machines (and lack .md on some).
func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".md":
		return "text/markdown; charset=utf-8"
	default:
		return "application/octet-stream"
	}
}

// compress gzips once at start-up; the panel is mostly used on phones, where
// the bytes matter more than a few milliseconds of start-up.
func compress(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if buf.Len() >= len(body)*9/10 {
		return nil
	}
	return buf.Bytes()
}

// URL returns the content-hashed URL of the named asset, e.g.
// URL("app.css") is "/static/3f1c0a9b2d4e/app.css". Asset names are
// constants in templates, so an unknown name is a programming error and
// panics; the ui tests render every page and catch it.
func URL(name string) string {
	a, ok := assets[name]
	if !ok {
		panic(fmt.Sprintf("static: no asset named %q", name))
	}
	return prefix + a.hash + "/" + a.name
}

// Handler serves GET and HEAD /static/{hash}/{name}:
//
//   - the current hash: 200 with the file, its Content-Type, an ETag, and
//     Cache-Control "public, max-age=31536000, immutable"; gzipped when the
//     client accepts it.
//   - a well-formed but different hash (a page rendered by an older binary):
//     302 to the current URL, not cached, so a tab left open across an
//     upgrade still gets working assets.
//   - anything else (unknown name, malformed hash, directories, "..",
//     nested paths): 404.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	hash, name, ok := strings.Cut(rest, "/")
	// The name must be exactly an embedded file: this one lookup rules out
	// directories, traversal and anything not shipped.
	a, found := assets[name]
	if !ok || !found || !isHash(hash) {
		http.NotFound(w, r)
		return
	}
	if hash != a.hash {
		w.Header().Set("Cache-Control", "no-cache")
		http.Redirect(w, r, URL(a.name), http.StatusFound)
		return
	}

	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	body, etag := a.body, `"`+a.hash+`"`
	if a.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = a.gzipped, `"`+a.hash+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match with 304, and handles HEAD and Range.
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
}

func isHash(s string) bool {
	if len(s) != hashLen {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// acceptsGzip reports whether an Accept-Encoding header lists gzip with a
// non-zero quality.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if !ok {
			return true
		}
		f, err := strconv.ParseFloat(q, 64)
		return err == nil && f > 0
	}
	return false
}
