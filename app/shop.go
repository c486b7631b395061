package app

import (
	"strings"
	"time"
)

// SettingTimezone is the settings key of the shop's timezone: an IANA name
// such as "Africa/Harare". The panel shows every time in it and counts
// "today" by it; the API keeps UTC.
const SettingTimezone = "timezone"

// ValidateTimezone checks an IANA timezone name and returns its location.
func ValidateTimezone(field, name string) (*time.Location, *FieldError) {
	bad := &FieldError{Field: field, Message: "must be a timezone name like Africa/Harare or Europe/London"}
	// "Local" would follow whatever machine the shop is restored on.
	if name == "" || name == "Local" || len(name) > 64 || strings.ContainsAny(name, " \\") {
		return nil, bad
	}
	if e := CheckText(field, name, 64, false); e != nil {
		return nil, e
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, bad
	}
	return loc, nil
}

// DayStart is the start of the day that t falls on in loc, in UTC: where
// "today" begins for a shop in loc.
func DayStart(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()
}

// SettingCurrency is the settings key of the shop's currency: an ISO 4217
// code such as "USD". Messages write amounts given without a currency in
// it.
const SettingCurrency = "currency"

// ValidateCurrency checks and normalises an ISO 4217 code ("usd" is USD).
func ValidateCurrency(field, code string) (string, *FieldError) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) != 3 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return "", &FieldError{Field: field, Message: "must be a three-letter currency code like USD, ZAR or ZWG"}
	}
	return code, nil
}

// SettingLocale is the settings key of how the shop's messages write
// numbers and dates: one of Locales.
const SettingLocale = "locale"

// Locales are the ways of writing numbers and dates a shop can choose:
// 1,234.50 and 5 March 2026 (en); the same with March 5, 2026 and a
// 12-hour clock (en-US); 1.234,50 (de); 1 234,50 (fr).
var Locales = []string{"en", "en-US", "de", "fr"}

// ValidateLocale checks that code is one of Locales.
func ValidateLocale(field, code string) *FieldError {
	for _, l := range Locales {
		if code == l {
			return nil
		}
	}
	return &FieldError{Field: field, Message: "must be one of " + strings.Join(Locales, ", ")}
}
