package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"smartbot/app"
)

// maxJSONBody caps API request bodies.
const maxJSONBody = 1 << 20

// decode reads the request's JSON body into v, strictly: the content type
// must be JSON, unknown fields and wrong types are errors naming the field,
// trailing data is malformed, and the body is capped.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return app.Errorf(app.EUNSUPPORTED, "send the body as JSON with Content-Type: application/json")
	}
	body := http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil && !isSyntax(err) {
			return jsonError(err)
		}
		return &app.Error{Code: errMalformed, Message: "the body holds more than one JSON value"}
	}
	return nil
}

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

// jsonError explains a decoding error in terms of the request.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return app.Errorf(app.ETOOLARGE, "the body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return &app.Error{Code: errMalformed, Message: "the body is empty; send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &app.Error{Code: errMalformed, Message: "the JSON body ends too soon"}
	case errors.As(err, &syntax):
		return &app.Error{Code: errMalformed, Message: fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return app.Invalid(app.FieldError{Field: field, Message: fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return app.Invalid(app.FieldError{Field: field, Message: "is not a known field"})
	}
	return &app.Error{Code: errMalformed, Message: "the body could not be read as JSON", Err: err}
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "a number"
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "true or false"
	case goKind == "slice", goKind == "array":
		return "an array"
	}
	return "an object"
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
		c := base64.RawURLEncoding.EncodeToString([]byte(key(rows[limit-1])))
		p.NextCursor = &c
	}
	return p
}

// wholeList answers a short list that is never paged (a shop's users, its
// API keys) in the same shape as a paged one, with no next cursor.
func wholeList[T any](rows []T) page[T] {
	if rows == nil {
		rows = []T{}
	}
	return page[T]{Data: rows}
}
