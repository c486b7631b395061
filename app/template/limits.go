package template

import (
	"strconv"
	"unicode/utf8"
)

// WhatsApp's limits, in characters (Unicode code points), from DESIGN.md §6
// and WhatsApp's documentation of interactive messages and polls.
const (
	TemplateNameMax   = 512  // a template's name, as WhatsApp Business names them
	HeaderTextMax     = 60   // a text header
	BodyMax           = 1024 // the body, or a media message's caption
	FooterMax         = 60   // the footer
	ButtonsMax        = 3    // reply buttons on one message
	ButtonTitleMax    = 20   // a reply button's title
	ButtonIDMax       = 256  // a reply button's id
	ListButtonMax     = 20   // the button that opens a list
	SectionsMax       = 10   // sections in a list
	RowsMax           = 10   // rows in a list, all sections together
	SectionTitleMax   = 24   // a section's title
	RowTitleMax       = 24   // a row's title
	RowDescriptionMax = 72   // a row's description
	RowIDMax          = 200  // a row's id
	TextMax           = 4096 // a plain text message
	PollNameMax       = 255  // a poll's question
	PollOptionsMin    = 2    // a poll has at least two options…
	PollOptionsMax    = 12   // …and at most twelve
	PollOptionMax     = 100  // a poll option's name
)

// Limits of Smartbot's own, where WhatsApp sets none that matter.
const (
	VariablesMax  = 50  // variables on one template
	TriggersMax   = 50  // trigger keywords on one template
	TriggerMax    = 100 // one trigger keyword
	LanguageMax   = 15  // a language code such as "en" or "pt_BR"
	warnAtPercent = 90  // a field with placeholders this full is worth a warning
)

// count is a text's length as WhatsApp counts it.
func count(s string) int { return utf8.RuneCountInString(s) }

// thousands writes n with a comma between groups of three digits, as the
// messages to the shop owner show numbers: 1,024.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// characters is "1 character" or "1,031 characters".
func characters(n int) string {
	if n == 1 {
		return "1 character"
	}
	return thousands(n) + " characters"
}
