package web

// White-box: the hand-written encoders are compared with encoding/json on
// the same values, which no request can reach field by field.

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	"smartbot/app"
	"smartbot/store"
	"smartbot/store/storetest"
)

var trickyStrings = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\rcr\bbs\fff",
	"\x00\x01\x1f\x7f", "naïve café ☕ 日本", "\u2028line\u2029para", "bad \xff utf-8 \xc3", "emoji 🫖 tea",
}

func FuzzAppendJSONStringIsEncodingJSON(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

// fill sets every field of the struct v points to to a value that is not
// its zero value, so a field the hand-written encoder forgets shows.
func fill(t *testing.T, v reflect.Value, seed int) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		s := trickyStrings[(seed+i)%len(trickyStrings)] + strconv.Itoa(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(s)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(seed*1000 + i))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			p.Elem().SetInt(int64(-seed - i))
			f.Set(p)
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.Uint8 { // a JSON document
				f.SetBytes([]byte(`{"n":` + strconv.Itoa(i) + `}`))
				continue
			}
			s := reflect.MakeSlice(f.Type(), 2, 2)
			for j := range 2 {
				fill(t, s.Index(j), seed+j+1)
			}
			f.Set(s)
		case reflect.Struct:
			if f.Type() != reflect.TypeFor[time.Time]() {
				t.Fatalf("field %s: fill knows no %s", v.Type().Field(i).Name, f.Type())
			}
			f.Set(reflect.ValueOf(time.Date(2026, 12, 1, 9, 30, seed, 123456789*(i%2), time.UTC)))
		default:
			t.Fatalf("field %s: fill knows no %s", v.Type().Field(i).Name, f.Kind())
		}
	}
}

func TestAProductIsWrittenAsEncodingJSONWritesIt(t *testing.T) {
	var full app.Product
	fill(t, reflect.ValueOf(&full).Elem(), 1)
	bare := app.Product{ID: "prd_1", Name: "Tea", Price: 100, Currency: "ZAR"}
	empty := bare
	empty.Media = []app.ProductMedia{}
	for name, p := range map[string]app.Product{"every field set": full, "no stock, nil media": bare, "no media": empty} {
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendProductJSON(nil, p); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestAnAuditRowIsWrittenAsEncodingJSONWritesIt(t *testing.T) {
	var full auditView
	fill(t, reflect.ValueOf(&full).Elem(), 2)
	full.Before, full.After = json.RawMessage(`{"name":"Tea \u003cb\u003e","price":100}`), json.RawMessage(`[1,"two",null]`)
	none := full
	none.Before, none.After = nil, nil
	for name, v := range map[string]auditView{"both documents": full, "no documents": none} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendAuditJSON(nil, v); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestAPageIsWrittenAsEncodingJSONWritesIt(t *testing.T) {
	next := "MTIz"
	for name, p := range map[string]page[auditView]{
		"empty":          {Data: []auditView{}},
		"with a cursor":  {Data: []auditView{{ID: 1}, {ID: 2}}, NextCursor: &next},
		"without cursor": {Data: []auditView{{ID: 3}}},
	} {
		var want bytes.Buffer
		json.NewEncoder(&want).Encode(p)
		got := append(appendPage(nil, p, appendAuditJSON), '\n')
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want.Bytes())
		}
	}
}

// An event's stored payload, sent on as it is, is what decoding it and
// encoding it again gave before.
func TestAStoredEventIsSentOnAsEncodingItAgainWouldWriteIt(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	data := []app.EventData{
		app.BotConnectedData{JID: "263771234567@s.whatsapp.net", Phone: "+263 77 123 4567", Name: "Tariro's <Tea> & Co \u2028"},
		app.BotConnectedData{JID: "x@s.whatsapp.net", Name: "naïve ☕"},
	}
	err := db.Write(ctx, func(tx *store.Tx) error {
		for i, d := range data {
			e, err := app.NewEvent(time.Date(2026, 12, 1, 9, 0, i, 5e6, time.UTC), d)
			if err != nil {
				return err
			}
			if err := tx.InsertEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := db.ListEvents(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := db.ListEventsJSON(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != len(data) || len(decoded) != len(data) {
		t.Fatalf("%d raw and %d decoded events, want %d", len(raw), len(decoded), len(data))
	}
	for i := range raw {
		payload, err := json.Marshal(decoded[i].Event)
		if err != nil {
			t.Fatal(err)
		}
		want := append([]byte(`{"seq":`+strconv.FormatInt(decoded[i].Seq, 10)+`,`), payload[1:]...)
		if got := appendEventJSON(nil, raw[i]); !bytes.Equal(got, want) {
			t.Errorf("event %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
