package web

import (
	"context"
	"strings"
	"sync"

	"smartbot/app"
	"smartbot/app/template"
)

// Money on the orders pages is written as the customer's messages write
// it: the same code, separators and minor digits. The template package
// owns that formatting (and each currency's minor digits) without
// exporting it, so the panel renders a one-variable money template rather
// than keep a second copy of the table that could drift from it.

var (
	moneyOnce sync.Once
	moneyTpl  *template.Compiled
)

func moneyTemplate() *template.Compiled {
	moneyOnce.Do(func() {
		t := app.Template{Name: "panel_money", Kind: app.TemplateKindText, Category: "utility", Language: "en", Body: "{{amount}}",
			Variables: []app.TemplateVariable{{Name: "amount", Type: app.TemplateVarMoney, Required: true, Example: []byte("1250")}}}
		t.Normalize()
		c, err := template.Compile(t)
		if err != nil {
			panic("web: the money template does not compile: " + err.Error())
		}
		moneyTpl = c
	})
	return moneyTpl
}

// moneyIn writes amount (minor units of currency) as the shop's locale
// does: "USD 1,234.50", "JPY 1,200".
func moneyIn(locale string, amount int64, currency string) string {
	r, err := moneyTemplate().Render(map[string]any{"amount": template.Money{Amount: amount, Currency: currency}},
		template.RenderOptions{Locale: locale})
	if err != nil {
		return money(amount, currency) // a currency the template refuses: plain digits rather than nothing
	}
	return r.Text
}

// currencyDigits is how many minor digits currency has, read from how the
// template package writes one minor unit of it ("USD 0.01" has 2).
func currencyDigits(currency string) int {
	s := moneyIn("en", 1, currency)
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// parseAmount reads an amount a person typed in major units ("12.50",
// "12,50", "1 200", "12") as minor units of currency. More decimals than
// the currency has is a refusal, never a rounding.
func parseAmount(field, typed, currency string) (int64, *app.FieldError) {
	s := strings.NewReplacer(" ", "", "\u00a0", "", "'", "").Replace(strings.TrimSpace(typed))
	s = strings.TrimPrefix(strings.TrimPrefix(s, currency), " ")
	digits := currencyDigits(currency)
	bad := &app.FieldError{Field: field, Message: "must be an amount like " + strings.TrimPrefix(moneyIn("en", 1250*pow10(digits)/100, currency), currency+" ")}
	if s == "" {
		return 0, &app.FieldError{Field: field, Message: "is required"}
	}
	whole, frac := s, ""
	if i := strings.LastIndexAny(s, ".,"); i >= 0 {
		whole, frac = s[:i], s[i+1:]
		// "1,200" in a currency without decimals, or "1,200.50": the
		// earlier separators group thousands.
		if len(frac) == 3 && digits != 3 && !strings.ContainsAny(whole, ".,") && s[i] == ',' {
			whole, frac = whole+frac, ""
		}
		whole = strings.NewReplacer(",", "", ".", "").Replace(whole)
	}
	if whole == "" {
		whole = "0"
	}
	if strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || len(whole) > 15 {
		return 0, bad
	}
	if len(frac) > digits {
		if digits == 0 {
			return 0, &app.FieldError{Field: field, Message: currency + " has no minor units: give a whole amount"}
		}
		return 0, &app.FieldError{Field: field, Message: "has more than " + string(rune('0'+digits)) + " decimals"}
	}
	var n int64
	for _, c := range whole + frac + strings.Repeat("0", digits-len(frac)) {
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// shopLocale is how the shop writes numbers; "en" when it cannot be read.
func (s *Server) shopLocale(ctx context.Context) string {
	l, err := s.settings.Locale(ctx)
	if err != nil || l == "" {
		return "en"
	}
	return l
}
