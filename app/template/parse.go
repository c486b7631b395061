package template

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// NameMax is the most characters a variable's name may have.
const NameMax = 64

// part is one piece of a parsed text: literal text, or a placeholder.
type part struct {
	text  string // the literal text, or the variable's name
	isVar bool
}

// malformed is one {{ that is neither a placeholder nor escaped.
type malformed struct {
	at      int // byte offset of the {{
	message string
}

// parse splits s into literal text and placeholders. A {{ that starts no
// valid placeholder is reported and, in the parts, kept as literal text,
// so that a draft still shows what was typed.
func parse(s string) (parts []part, bad []malformed) {
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, part{text: lit.String()})
			lit.Reset()
		}
	}
	i, start := 0, 0
	for {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			break
		}
		j += i
		if j > 0 && s[j-1] == '\\' {
			lit.WriteString(s[start : j-1])
			lit.WriteString("{{")
			i, start = j+2, j+2
			continue
		}
		// In a run of braces the last two open the placeholder: {{{x}}}
		// is a brace, the value of x, a brace.
		for j+2 < len(s) && s[j+2] == '{' {
			j++
		}
		k := j + 2
		for k < len(s) && nameByte(s[k]) {
			k++
		}
		if n := k - (j + 2); n > 0 && n <= NameMax && strings.HasPrefix(s[k:], "}}") {
			lit.WriteString(s[start:j])
			flush()
			parts = append(parts, part{text: s[j+2 : k], isVar: true})
			i, start = k+2, k+2
			continue
		}
		bad = append(bad, malformed{at: j, message: describeMalformed(s, j, k)})
		i = j + 2
	}
	lit.WriteString(s[start:])
	flush()
	return parts, bad
}

// describeMalformed says what is wrong with the {{ at j, whose name
// characters end at k, in words for the person who typed it.
func describeMalformed(s string, j, k int) string {
	where := fmt.Sprintf("at character %d", utf8.RuneCountInString(s[:j])+1)
	switch n := k - (j + 2); {
	case n == 0 && strings.HasPrefix(s[k:], "}}"):
		return "has an empty placeholder {{}} " + where + ": put a variable name between the braces, or write \\{{ to show {{ as it is"
	case n > NameMax && strings.HasPrefix(s[k:], "}}"):
		return fmt.Sprintf("has a placeholder name of %d characters %s; a name has at most %d", n, where, NameMax)
	}
	return fmt.Sprintf("has %q %s, which is not a placeholder: write {{name}} with letters, digits and underscores only, or \\{{ to show {{ as it is",
		snippet(s[j:]), where)
}

// snippet is the start of s, up to its first line break, short enough to
// quote in a message.
func snippet(s string) string {
	const max = 24
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

func nameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// ValidName reports whether name can be a variable's name: 1 to NameMax
// ASCII letters, digits and underscores.
func ValidName(name string) bool {
	if name == "" || len(name) > NameMax {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return false
		}
	}
	return true
}

// Placeholders returns the names of the placeholders in text, each once,
// in the order they first appear, and an error naming the first malformed
// one. The editor uses it to offer declaring what a text uses.
func Placeholders(text string) ([]string, error) {
	parts, bad := parse(text)
	var names []string
	for _, p := range parts {
		if p.isVar && !slices.Contains(names, p.text) {
			names = append(names, p.text)
		}
	}
	if len(bad) > 0 {
		return names, fmt.Errorf("the text %s", bad[0].message)
	}
	return names, nil
}

// Escape returns text written so that a template shows it exactly as it
// is: every {{ becomes \{{.
func Escape(text string) string {
	return strings.ReplaceAll(text, "{{", `\{{`)
}
