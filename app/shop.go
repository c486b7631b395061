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
