package template

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"smartbot/app"
)

// RenderOptions are the shop's settings that change how values read.
type RenderOptions struct {
	// Zone is the shop's timezone: moments are shown in it. Nil is UTC.
	Zone *time.Location
	// Currency is the shop's ISO 4217 code, for money given as a bare
	// number of minor units (1250). Money given with its own currency
	// ({"amount": 1250, "currency": "ZAR"}, or a Money) ignores it.
	Currency string
	// Locale picks the separators of numbers and money and the order of
	// dates: "en" (the default) writes 1,234.50 and 5 March 2026;
	// "en-US" writes March 5, 2026 and a 12-hour clock; German, Spanish,
	// Portuguese and others write 1.234,50; French, Russian, Polish and
	// others 1 234,50. Month names are English in every locale for now.
	Locale string
}

// env is RenderOptions made ready for formatting.
type env struct {
	zone       *time.Location
	currency   string
	group      string // between groups of three digits
	decimal    byte   // before the minor digits
	monthDay   bool   // March 5, 2026
	twelveHour bool
}

func newEnv(opts RenderOptions) env {
	e := env{zone: opts.Zone, currency: strings.ToUpper(strings.TrimSpace(opts.Currency)), group: ",", decimal: '.'}
	if e.zone == nil {
		e.zone = time.UTC
	}
	lang, region, _ := strings.Cut(strings.ReplaceAll(opts.Locale, "_", "-"), "-")
	switch strings.ToLower(lang) {
	case "de", "es", "it", "pt", "nl", "id", "tr", "da", "el", "ro", "hr", "sl", "sr", "vi":
		e.group, e.decimal = ".", ','
	case "fr", "ru", "uk", "pl", "cs", "sk", "fi", "sv", "nb", "no", "af", "hu", "bg", "lt", "lv", "et":
		e.group, e.decimal = "\u00a0", ','
	case "en":
		if strings.EqualFold(region, "US") {
			e.monthDay, e.twelveHour = true, true
		}
	}
	return e
}

// valueError is why a value does not fit its variable, in words.
type valueError string

// format checks x against the variable's type and writes it as the
// message shows it. A nil result string with a "" error never happens: a
// value is text, or a reason.
func (e *env) format(typ string, x any) (string, valueError) {
	switch typ {
	case app.TemplateVarText:
		return formatText(x)
	case app.TemplateVarNumber:
		return e.formatNumber(x)
	case app.TemplateVarMoney:
		return e.formatMoney(x)
	case app.TemplateVarDate:
		return e.formatDate(x)
	}
	return "", "has a type Smartbot does not know"
}

// plainNumber writes numbers with no locale: 1234.5.
var plainNumber = &env{decimal: '.'}

func formatText(x any) (string, valueError) {
	switch v := x.(type) {
	case string:
		return cleanText(v)
	case json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float64, float32:
		// A number where text is expected (an order number sent as 123)
		// reads as the number, written plainly.
		if s, bad := plainNumber.formatNumber(v); bad == "" {
			return s, ""
		}
	}
	return "", "must be text"
}

// cleanText refuses what no message may carry (broken UTF-8, control
// characters) and turns Windows line breaks into plain ones.
func cleanText(s string) (string, valueError) {
	if !utf8.ValidString(s) {
		return "", "must be valid UTF-8 text"
	}
	clean := true
	for _, r := range s {
		if r == '\r' || r != '\n' && r != '\t' && unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s, ""
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return "", valueError("must not contain control characters (found U+" + strings.ToUpper(strconv.FormatInt(int64(r), 16)) + ")")
		}
	}
	return s, ""
}

// integer returns an integer value of any Go integer type as an int64;
// ok is false for a uint64 beyond int64.
func integer(x any) (int64, bool) {
	switch v := x.(type) {
	case int:
		return int64(v), true
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint:
		return int64(v), uint64(v) <= math.MaxInt64
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		return int64(v), v <= math.MaxInt64
	}
	return 0, false
}

func toFloat(x any) float64 {
	switch v := x.(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	}
	return math.NaN()
}

// number reads a number value: any Go number, a json.Number, or a string
// holding one. exact is true when it is an integer that fits an int64.
func number(x any) (i int64, f float64, exact bool, ok bool) {
	if n, isInt := integer(x); isInt {
		return n, float64(n), true, true
	}
	var s string
	switch v := x.(type) {
	case float64, float32:
		f = toFloat(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, 0, false, false
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), f, true, true
		}
		return 0, f, false, true
	case json.Number:
		s = string(v)
	case string:
		s = strings.TrimSpace(v)
	default:
		return 0, 0, false, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, float64(n), true, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(s, "xXpP_") {
		return 0, 0, false, false
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f), f, true, true
	}
	return 0, f, false, true
}

func (e *env) formatNumber(x any) (string, valueError) {
	i, f, exact, ok := number(x)
	if !ok {
		return "", "must be a number, like 3 or 2.5"
	}
	if exact {
		return strconv.FormatInt(i, 10), ""
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if e.decimal != '.' {
		s = strings.Replace(s, ".", string(e.decimal), 1)
	}
	return s, ""
}

var months = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

const dateHint = "must be a date like 2026-03-05 or a time like 2026-03-05T14:30:00Z"

func (e *env) formatDate(x any) (string, valueError) {
	var buf [48]byte
	switch v := x.(type) {
	case time.Time:
		return string(e.appendDate(buf[:0], v.In(e.zone), true)), ""
	case *time.Time:
		if v == nil {
			return "", dateHint
		}
		return string(e.appendDate(buf[:0], v.In(e.zone), true)), ""
	case string:
		s := strings.TrimSpace(v)
		if len(s) == len(time.DateOnly) {
			// A calendar day is the same day everywhere: no zone.
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return "", dateHint
			}
			return string(e.appendDate(buf[:0], d, false)), ""
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "", dateHint
		}
		return string(e.appendDate(buf[:0], t.In(e.zone), true)), ""
	}
	return "", dateHint
}

// appendDate writes "5 March 2026" (or "March 5, 2026" in en-US), and
// with withTime ", 14:30" (or ", 2:30 PM").
func (e *env) appendDate(b []byte, t time.Time, withTime bool) []byte {
	y, m, d := t.Date()
	if e.monthDay {
		b = append(b, months[m-1]...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(d), 10)
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(y), 10)
	} else {
		b = strconv.AppendInt(b, int64(d), 10)
		b = append(b, ' ')
		b = append(b, months[m-1]...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(y), 10)
	}
	if !withTime {
		return b
	}
	b = append(b, ", "...)
	h, min := t.Hour(), t.Minute()
	if e.twelveHour {
		suffix := " AM"
		if h >= 12 {
			suffix = " PM"
		}
		h %= 12
		if h == 0 {
			h = 12
		}
		b = strconv.AppendInt(b, int64(h), 10)
		b = append(b, ':', byte('0'+min/10), byte('0'+min%10))
		return append(b, suffix...)
	}
	return append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+min/10), byte('0'+min%10))
}

// decodeRaw reads a default or an example: JSON, numbers kept exact.
// A missing or null one is nil.
func decodeRaw(raw json.RawMessage) (any, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil || dec.More() {
		return nil, false
	}
	return x, true
}

// missing reports whether a supplied value counts as not given: absent,
// null, or empty text.
func missing(x any) bool {
	switch v := x.(type) {
	case nil:
		return true
	case string:
		return v == ""
	}
	return false
}

// Shop is where the shop's render settings come from (the settings
// service).
type Shop interface {
	Timezone(ctx context.Context) (*time.Location, error)
	Currency(ctx context.Context) (string, error)
	Locale(ctx context.Context) (string, error)
}

// OptionsFrom returns the RenderOptions of the shop: its timezone, currency
// and locale.
func OptionsFrom(ctx context.Context, shop Shop) (RenderOptions, error) {
	zone, err := shop.Timezone(ctx)
	if err != nil {
		return RenderOptions{}, err
	}
	currency, err := shop.Currency(ctx)
	if err != nil {
		return RenderOptions{}, err
	}
	locale, err := shop.Locale(ctx)
	return RenderOptions{Zone: zone, Currency: currency, Locale: locale}, err
}
