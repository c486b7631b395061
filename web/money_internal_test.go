package web

import (
	"testing"

	"smartbot/app/template"
)

// An amount a person types is read with the currency's own minor digits,
// and written back as the customer's messages write it.
func TestAnAmountTypedInMajorUnitsBecomesMinorUnitsOfItsCurrency(t *testing.T) {
	for _, c := range []struct {
		typed, currency string
		want            int64
		bad             bool
	}{
		{"12.50", "USD", 1250, false},
		{"12,50", "ZAR", 1250, false},
		{"12", "USD", 1200, false},
		{".5", "USD", 50, false},
		{"1,200", "JPY", 1200, false},
		{"1200", "JPY", 1200, false},
		{"1,234.56", "USD", 123456, false},
		{"12.5", "JPY", 0, true},
		{"12.505", "USD", 0, true},
		{"1.250", "KWD", 1250, false},
		{"abc", "USD", 0, true},
		{"", "USD", 0, true},
		{"-5", "USD", 0, true},
	} {
		got, ferr := parseAmount("amount", c.typed, c.currency)
		if (ferr != nil) != c.bad || got != c.want {
			t.Errorf("parseAmount(%q, %s) = %d, %v; want %d, refused %v", c.typed, c.currency, got, ferr, c.want, c.bad)
		}
	}
	for _, c := range []struct {
		locale, currency string
		amount           int64
		want             string
	}{
		{"en", "USD", 123450, "USD 1,234.50"},
		{"de", "ZAR", 123450, "ZAR 1.234,50"},
		{"en", "JPY", 1200, "JPY 1,200"},
	} {
		if got := (shopMoney{c.locale}).plain(c.amount, c.currency); got != map[string]string{"USD": "1234.50", "ZAR": "1234,50", "JPY": "1200"}[c.currency] {
			t.Errorf("plain(%s, %d, %s) = %q", c.locale, c.amount, c.currency, got)
		}
		if got := template.FormatMoney(c.locale, c.amount, c.currency); got != c.want {
			t.Errorf("FormatMoney(%s, %d, %s) = %q, want %q", c.locale, c.amount, c.currency, got, c.want)
		}
	}
}
