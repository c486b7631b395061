package web

import (
	"context"
	"strconv"
	"strings"

	"smartbot/app"
	"smartbot/app/template"
)

// Money in the panel is written as the customer's messages write it
// (template.FormatMoney: the code, the shop's separators, the currency's
// minor digits), and typed back as a decimal in major units.

// shopMoney writes money in the shop's locale.
type shopMoney struct{ locale string }

// moneyOf is the shop's way of writing money.
func (s *Server) moneyOf(ctx context.Context) shopMoney { return shopMoney{s.shopLocale(ctx)} }

// shopLocale is how the shop writes numbers; "en" when it cannot be read:
// never wrong, only less local.
func (s *Server) shopLocale(ctx context.Context) string {
	l, err := s.settings.Locale(ctx)
	if err != nil || l == "" {
		return "en"
	}
	return l
}

// format writes amount minor units of currency: "USD 1,234.50".
func (m shopMoney) format(amount int64, currency string) string {
	return template.FormatMoney(m.locale, amount, currency)
}

// plain writes the amount alone without group separators, as a price
// field shows it to be typed again: "1234.50" ("1234,50" in German).
func (m shopMoney) plain(amount int64, currency string) string {
	s := strings.TrimPrefix(m.format(amount, currency), currency+" ")
	digits := template.MinorDigits(currency)
	whole, frac := s, ""
	if digits > 0 && len(s) > digits {
		whole, frac = s[:len(s)-digits-1], s[len(s)-digits-1:]
	}
	whole = strings.Map(func(r rune) rune {
		if r == '-' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, whole)
	return whole + frac
}

// parseAmount is parsePrice for a form field that must hold an amount:
// the error names field.
func parseAmount(field, typed, currency string) (int64, *app.FieldError) {
	n, msg := parsePrice(typed, currency)
	if msg != "" {
		return 0, &app.FieldError{Field: field, Message: msg}
	}
	return n, nil
}

// parsePrice reads a price typed as a decimal ("12.50", "12,50", "1 234")
// into minor units of currency. It takes either "." or "," before the
// minor digits, whatever the locale: a shop types the way its keyboard
// does. The message says what to type instead.
func parsePrice(text, currency string) (int64, string) {
	digits := template.MinorDigits(currency)
	example := "12"
	if digits > 0 {
		example += "." + "5" + strings.Repeat("0", digits-1)
	}
	bad := "must be an amount like " + example
	t := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\'' {
			return -1
		}
		return r
	}, strings.TrimSpace(text))
	if t == "" {
		return 0, "is required: the price customers pay, like " + example
	}
	if strings.HasPrefix(t, "-") {
		return 0, "must be zero or more"
	}
	// One separator before three digits is "1,234" to some and "1.234"
	// (one and a bit) to others: for a currency with minor digits it is
	// refused rather than guessed, as a price a thousand times off is.
	if seps := strings.Count(t, ".") + strings.Count(t, ","); seps == 1 && digits > 0 && digits != 3 {
		if i := strings.IndexAny(t, ".,"); len(t)-i-1 == 3 {
			return 0, bad + " (write 1234 for a thousand and more, without a separator)"
		}
	}
	whole, frac := t, ""
	if i := strings.LastIndexAny(t, ".,"); i >= 0 && len(t)-i-1 <= digits && len(t)-i-1 > 0 {
		whole, frac = t[:i], t[i+1:]
	}
	// What is left of the whole part may hold group separators, each
	// followed by three digits: 1,234 or 1.234.567.
	groups := strings.FieldsFunc(whole, func(r rune) bool { return r == ',' || r == '.' })
	if len(groups) == 0 && frac == "" || strings.HasSuffix(whole, ",") || strings.HasSuffix(whole, ".") {
		return 0, bad
	}
	for i, g := range groups {
		if i > 0 && len(g) != 3 || i == 0 && len(groups) > 1 && len(g) > 3 {
			return 0, bad
		}
	}
	whole = strings.Join(groups, "")
	if whole == "" {
		whole = "0"
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, bad
			}
		}
	}
	if len(strings.TrimLeft(whole, "0")) > 12 {
		return 0, "is too large"
	}
	n, _ := strconv.ParseInt(whole+frac+strings.Repeat("0", digits-len(frac)), 10, 64)
	return n, ""
}
