package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"smartbot/app"
)

// The shop's panel pages: products (page_products*.go), customers
// (page_customers.go) and deliveries with their run sheet
// (page_deliveries*.go). This file holds their routes and the money
// helpers they share.

// shopPages are the panel's products, customers and deliveries routes.
func (s *Server) shopPages() []route {
	viewer, operator := app.RoleViewer, app.RoleOperator
	upload := s.media.Limits().Max() + uploadFormSlack
	return []route{
		{pattern: "GET /products", need: viewer, panel: true, handler: s.pageProducts},
		{pattern: "GET /products/stream", need: viewer, panel: true, handler: s.streamProducts},
		{pattern: "GET /products/new", need: operator, panel: true, handler: s.pageProductNew},
		{pattern: "POST /products", need: operator, panel: true, handler: s.postProductCreate},
		// The import's file may be as big as the API's import takes.
		{pattern: "POST /products/import", need: operator, panel: true, handler: s.postProductImport, maxBody: maxImportBody + uploadFormSlack},
		{pattern: "GET /products/{id}", need: viewer, panel: true, handler: s.pageProduct},
		{pattern: "GET /products/{id}/stream", need: viewer, panel: true, handler: s.streamProduct},
		{pattern: "POST /products/{id}", need: operator, panel: true, handler: s.postProductSave},
		{pattern: "GET /products/{id}/archive", need: operator, panel: true, handler: s.pageProductArchive},
		{pattern: "POST /products/{id}/archive", need: operator, panel: true, handler: s.postProductArchive},
		// A picture uploaded from the product page: as large and as slow
		// as the media library's upload may be.
		{pattern: "POST /products/{id}/pictures", need: operator, panel: true, handler: s.postProductUpload,
			maxBody: upload, readTimeout: uploadReadTimeout},
		{pattern: "POST /products/{id}/pictures/attach", need: operator, panel: true, handler: s.postProductAttach},
		{pattern: "POST /products/{id}/pictures/{media}/{action}", need: operator, panel: true, handler: s.postProductPicture},

		{pattern: "GET /customers", need: viewer, panel: true, handler: s.pageCustomers},
		{pattern: "GET /customers/{id}", need: viewer, panel: true, handler: s.pageCustomer},
		{pattern: "POST /customers/{id}", need: operator, panel: true, handler: s.postCustomer},

		{pattern: "GET /deliveries", need: viewer, panel: true, handler: s.pageDeliveries},
		{pattern: "GET /deliveries/stream", need: viewer, panel: true, handler: s.streamDeliveries},
		{pattern: "GET /deliveries/run-sheet", need: viewer, panel: true, handler: s.pageRunSheet},
		{pattern: "POST /deliveries/{id}/assign", need: operator, panel: true, handler: s.postTaskAssign},
		{pattern: "POST /deliveries/{id}/status", need: operator, panel: true, handler: s.postTaskMove},
		{pattern: "POST /deliveries/{id}/courier-link", need: operator, panel: true, handler: s.postTaskLink},
	}
}

// shopMoney writes amounts as the shop's messages do: the currency code,
// then the amount with the shop's locale's separators and the currency's
// minor digits ("USD 1,234.50", "EUR 1.234,50"). The template engine's own
// formatter is internal to app/template; this one follows it.
type shopMoney struct {
	group   string
	decimal string
}

// moneyOf reads the shop's locale; a locale that cannot be read writes
// "1,234.50", never wrong, only less local.
func (s *Server) moneyOf(ctx context.Context) shopMoney {
	m := shopMoney{group: ",", decimal: "."}
	locale, err := s.settings.Locale(ctx)
	if err != nil {
		return m
	}
	lang, _, _ := strings.Cut(strings.ReplaceAll(locale, "_", "-"), "-")
	switch strings.ToLower(lang) {
	case "de", "es", "it", "pt", "nl", "id", "tr", "da", "el", "ro", "hr", "sl", "sr", "vi":
		m.group, m.decimal = ".", ","
	case "fr", "ru", "uk", "pl", "cs", "sk", "fi", "sv", "nb", "no", "af", "hu", "bg", "lt", "lv", "et":
		m.group, m.decimal = "\u00a0", ","
	}
	return m
}

// minorDigitsOf is how many minor digits an ISO 4217 currency has, as the
// template engine counts them.
func minorDigitsOf(currency string) int {
	switch currency {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	case "CLF", "UYW":
		return 4
	}
	return 2
}

// format writes amount minor units of currency.
func (m shopMoney) format(amount int64, currency string) string {
	return strings.TrimSpace(currency + " " + m.number(amount, currency))
}

// number writes the amount alone, as a price field shows it to be typed
// again: "1,234.50" becomes "1234.50" there (see plain).
func (m shopMoney) number(amount int64, currency string) string {
	sign := ""
	u := uint64(amount)
	if amount < 0 {
		sign, u = "-", uint64(-amount)
	}
	digits := minorDigitsOf(currency)
	scale := uint64(1)
	for range digits {
		scale *= 10
	}
	major := strconv.FormatUint(u/scale, 10)
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range major {
		if i > 0 && (len(major)-i)%3 == 0 {
			b.WriteString(m.group)
		}
		b.WriteRune(c)
	}
	if digits > 0 {
		minor := strconv.FormatUint(u%scale, 10)
		b.WriteString(m.decimal + strings.Repeat("0", digits-len(minor)) + minor)
	}
	return b.String()
}

// plain writes the amount without group separators, for a form field.
func (m shopMoney) plain(amount int64, currency string) string {
	return shopMoney{decimal: m.decimal}.number(amount, currency)
}

// parsePrice reads a price typed as a decimal ("12.50", "12,50", "1 234")
// into minor units of currency. It takes either "." or "," before the
// minor digits, whatever the locale: a shop types the way its keyboard
// does. The message says what to type instead.
func parsePrice(text, currency string) (int64, string) {
	digits := minorDigitsOf(currency)
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

// shopPath builds "/<collection>/<id>[/more…]" with the id escaped.
func shopPath(collection, id string, more ...string) string {
	return strings.Join(append([]string{"/" + collection, url.PathEscape(id)}, more...), "/")
}

// redirectWith is done for a page whose address has a query (a filter, a
// day): the flash waits for the page's path, the browser goes to the
// whole address.
func (s *Server) redirectWith(w http.ResponseWriter, r *http.Request, to string, f flash) error {
	path, _, _ := strings.Cut(to, "?")
	if err := s.setFlash(w, r, path, f); err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
