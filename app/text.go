package app

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// CheckText checks one text field a person or a client typed: valid UTF-8,
// no NUL or other control characters (newline and tab are allowed only in
// multiline text such as descriptions), and at most max characters. It
// returns nil when the text is fine. Validation says this before any
// database constraint can: a CHECK failure is never what a person reads.
func CheckText(field, s string, max int, multiline bool) *FieldError {
	if !utf8.ValidString(s) {
		return &FieldError{Field: field, Message: "must be valid UTF-8 text"}
	}
	for _, r := range s {
		if r == '\n' || r == '\t' || r == '\r' {
			if multiline {
				continue
			}
			return &FieldError{Field: field, Message: "must be a single line, without line breaks or tabs"}
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return &FieldError{Field: field, Message: fmt.Sprintf("must not contain control characters (found U+%04X)", r)}
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return &FieldError{Field: field, Message: fmt.Sprintf("must be at most %d characters", max)}
	}
	return nil
}

// checkTexts runs CheckText over several fields and collects the failures.
func checkTexts(errs []FieldError, checks ...*FieldError) []FieldError {
	for _, c := range checks {
		if c != nil {
			errs = append(errs, *c)
		}
	}
	return errs
}

// Clip cuts s to at most n characters, at a character boundary: a value
// kept in a column with a length check.
func Clip(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// Shorten is Clip with "…" after a cut: a long value quoted in a message
// for a person.
func Shorten(s string, n int) string {
	if c := Clip(s, n); len(c) < len(s) {
		return c + "…"
	}
	return s
}
