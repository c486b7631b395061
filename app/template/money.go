package template

import (
	"strconv"
	"strings"
)

// Money is an amount in minor units of an ISO 4217 currency (1250 USD is
// USD 12.50), the value Go callers give a money variable.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// MinorDigits is how many minor digits an ISO 4217 currency has: 2 for
// most, 0 for the yen and its like, 3 for the dinars of the Gulf, 4 for
// the Chilean and Uruguayan units of account.
func MinorDigits(currency string) int {
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

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := range 3 {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

const moneyHint = "must be a whole number of minor units (1250 for 12.50) or {\"amount\": 1250, \"currency\": \"USD\"}"

func (e *env) formatMoney(x any) (string, valueError) {
	var amount int64
	currency := e.currency
	switch v := x.(type) {
	case Money:
		amount, currency = v.Amount, strings.ToUpper(v.Currency)
	case *Money:
		if v == nil {
			return "", moneyHint
		}
		amount, currency = v.Amount, strings.ToUpper(v.Currency)
	case map[string]any:
		a, _, exact, ok := number(v["amount"])
		if _, isString := v["amount"].(string); !ok || !exact || isString {
			return "", moneyHint
		}
		c, _ := v["currency"].(string)
		amount, currency = a, strings.ToUpper(strings.TrimSpace(c))
		if currency == "" {
			currency = e.currency
		}
	case string:
		return "", moneyHint
	default:
		a, _, exact, ok := number(x)
		if !ok || !exact {
			return "", moneyHint
		}
		amount = a
	}
	if currency == "" {
		return "", "is an amount without a currency, and the shop has none set: set the shop's currency in Settings, or give {\"amount\", \"currency\"}"
	}
	if !validCurrency(currency) {
		return "", "has a currency that is not an ISO 4217 code like USD or ZAR"
	}
	var buf [48]byte
	return string(e.appendMoney(buf[:0], amount, currency)), ""
}

// FormatMoney writes amount minor units of currency as a message of the
// shop's locale writes a money variable: "USD 1,234.50", "ZAR 1.234,50".
// The panel shows money the same way.
func FormatMoney(locale string, amount int64, currency string) string {
	e := newEnv(RenderOptions{Locale: locale})
	var buf [48]byte
	return string(e.appendMoney(buf[:0], amount, currency))
}

// appendMoney writes "USD 1,234.50": the code, then the amount with the
// locale's separators and the currency's minor digits.
func (e *env) appendMoney(b []byte, amount int64, currency string) []byte {
	b = append(b, currency...)
	b = append(b, ' ')
	if amount < 0 {
		b = append(b, '-')
	}
	u := uint64(amount)
	if amount < 0 {
		u = -u
	}
	digits := MinorDigits(currency)
	var scale uint64 = 1
	for range digits {
		scale *= 10
	}
	major, minor := u/scale, u%scale
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], major, 10)
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, e.group...)
		}
		b = append(b, c)
	}
	if digits > 0 {
		b = append(b, e.decimal)
		m := strconv.AppendUint(tmp[:0], minor, 10)
		for range digits - len(m) {
			b = append(b, '0')
		}
		b = append(b, m...)
	}
	return b
}
