package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"smartbot/app"
)

// maxJSONBody caps API request bodies.
const maxJSONBody = 1 << 20

// decode reads the request's JSON body into v, strictly: the content type
// must be JSON; member names must match a field's name exactly, once each;
// unknown members and wrong types are errors naming the field; trailing data
// is malformed; and the body is capped.
//
// It uses JSON v2 (github.com/go-json-experiment/json) rather than
// encoding/json, which matches names case-insensitively and lets the last
// of two equal names win: {"role":"viewer","Role":"owner"} would be an owner.
// v2 is exact and refuses duplicates by default.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return app.Errorf(app.EUNSUPPORTED, "send the body as JSON with Content-Type: application/json")
	}
	dec := jsontext.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err := jsonv2.UnmarshalDecode(dec, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		return jsonError(err)
	}
	if _, err := dec.ReadValue(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return jsonError(err)
		}
		return &app.Error{Code: errMalformed, Message: "the body holds more than one JSON value"}
	}
	return nil
}

// jsonError explains a decoding error in terms of the request.
func jsonError(err error) error {
	var syntax *jsontext.SyntacticError
	var semantic *jsonv2.SemanticError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return app.Errorf(app.ETOOLARGE, "the body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return &app.Error{Code: errMalformed, Message: "the body is empty; send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &app.Error{Code: errMalformed, Message: "the JSON body ends too soon"}
	case errors.As(err, &syntax) && errors.Is(err, jsontext.ErrDuplicateName):
		return app.Invalid(app.FieldError{Field: fieldOf(syntax.JSONPointer), Message: "appears more than once"})
	case errors.As(err, &syntax):
		return &app.Error{Code: errMalformed, Message: fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.ByteOffset), Err: err}
	case errors.As(err, &semantic) && errors.Is(err, jsonv2.ErrUnknownName):
		return app.Invalid(app.FieldError{Field: fieldOf(semantic.JSONPointer), Message: "is not a known field"})
	case errors.As(err, &semantic) && semantic.GoType != nil:
		return app.Invalid(app.FieldError{Field: fieldOf(semantic.JSONPointer), Message: wrongType(semantic)})
	}
	return &app.Error{Code: errMalformed, Message: "the body could not be read as JSON", Err: err}
}

// fieldOf names the member a JSON pointer points to as the API's field
// errors do: "email", "items.0.sku", or "body" for the whole body.
func fieldOf(p jsontext.Pointer) string {
	if p == "" {
		return "body"
	}
	return strings.Join(slices.Collect(p.Tokens()), ".")
}

var timeType = reflect.TypeFor[time.Time]()

// wrongType says what a field must be, and what it was sent as when that
// is a different kind of JSON value.
func wrongType(e *jsonv2.SemanticError) string {
	t := e.GoType
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var want string
	var kind jsontext.Kind
	switch k := t.Kind(); {
	case t == timeType:
		want, kind = "a time in RFC 3339 form, like 2026-01-02T15:04:05Z", '"'
	case k >= reflect.Int && k <= reflect.Uint64:
		if e.JSONKind == '0' && !strings.ContainsAny(string(e.JSONValue), ".eE") {
			return "is out of range"
		}
		want, kind = "a whole number", '0'
	case k == reflect.Float32 || k == reflect.Float64:
		want, kind = "a number", '0'
	case k == reflect.String:
		want, kind = "a string", '"'
	case k == reflect.Bool:
		want, kind = "true or false", 't'
	case k == reflect.Slice || k == reflect.Array:
		want, kind = "an array", '['
	default:
		want, kind = "an object", '{'
	}
	if got := kindName(e.JSONKind); got != "" && got != kindName(kind) {
		return "must be " + want + ", not " + got
	}
	return "must be " + want
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return ""
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// page is one page of a list: {"data": [...], "next_cursor": "…" or null}.
type page[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// pageParams reads limit (1–200, default 50) and cursor from the query.
func pageParams(r *http.Request) (limit int, cursor string, err error) {
	limit = 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return 0, "", app.Invalid(app.FieldError{Field: "limit", Message: "must be a whole number from 1 to 200"})
		}
		limit = n
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 || len(b) > 200 {
			return 0, "", app.Invalid(app.FieldError{Field: "cursor", Message: "is not a cursor this API gave out; use next_cursor from the previous page"})
		}
		cursor = string(b)
	}
	return limit, cursor, nil
}

// newPage builds a page from up to limit+1 rows: the extra row, if there,
// says a next page exists, and key gives its cursor.
func newPage[T any](rows []T, limit int, key func(T) string) page[T] {
	p := page[T]{Data: rows}
	if p.Data == nil {
		p.Data = []T{}
	}
	if len(rows) > limit {
		p.Data = rows[:limit]
		p.NextCursor = cursorOf(key(rows[limit-1]))
	}
	return p
}

// cursorOf is the next_cursor of a page the store ended at next: encoded
// as pageParams reads it, null on the last page.
func cursorOf(next string) *string {
	if next == "" {
		return nil
	}
	c := base64.RawURLEncoding.EncodeToString([]byte(next))
	return &c
}

// wholeList answers a short list that is never paged (a shop's users, its
// API keys) in the same shape as a paged one, with no next cursor.
func wholeList[T any](rows []T) page[T] {
	if rows == nil {
		rows = []T{}
	}
	return page[T]{Data: rows}
}

// The hot lists (products, audit, events) and a single product are written
// by appending to a buffer rather than with encoding/json. encoding/json
// finds each field by reflection and compacts every json.RawMessage again,
// although the stored documents were compact when written: for the audit
// list, re-compacting alone was 8 % of the server's CPU. The output is
// byte for byte what encoding/json writes (json_test.go compares them).

// jsonBuffers recycles answer buffers; a list's answer is tens of kB.
var jsonBuffers = sync.Pool{New: func() any { return new([]byte) }}

// writeJSONWith answers status with the JSON that appendJSON appends, and
// a newline as json.Encoder ends with.
func writeJSONWith(w http.ResponseWriter, status int, appendJSON func([]byte) []byte) {
	bp := jsonBuffers.Get().(*[]byte)
	b := append(appendJSON((*bp)[:0]), '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
	if cap(b) <= 1<<20 { // a rare huge answer is not kept
		*bp = b
		jsonBuffers.Put(bp)
	}
}

// appendPage appends p with each row written by item.
func appendPage[T any](b []byte, p page[T], item func([]byte, T) []byte) []byte {
	b = append(b, `{"data":[`...)
	for i, v := range p.Data {
		if i > 0 {
			b = append(b, ',')
		}
		b = item(b, v)
	}
	b = append(b, `],"next_cursor":`...)
	if p.NextCursor == nil {
		return append(b, `null}`...)
	}
	return append(appendJSONString(b, *p.NextCursor), '}')
}

// appendRaw appends a stored JSON document as it is, or null.
func appendRaw(b []byte, raw json.RawMessage) []byte {
	if raw == nil {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

// appendTime appends t as encoding/json writes a time.Time.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONString appends s as a JSON string escaped as encoding/json
// escapes it: <, > and & as \u003c, \u003e, \u0026 (so JSON is safe inside
// HTML), U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
