package template

import (
	"crypto/sha256"
	"strconv"
	"strings"
)

// Reply is what a customer sent back to a message with options, as the
// transport received it. One field is set; if several are, the first in
// this order decides.
type Reply struct {
	ButtonID string // the id of a tapped reply button
	RowID    string // the id of a picked list row
	// PollOption is the name of the option a poll vote chose; PollHash
	// the same vote as WhatsApp carries it, the SHA-256 of that name.
	PollOption string
	PollHash   []byte
	// Text is a typed reply: the option's number ("2", " 2. ", "2)",
	// "#2"), its id ("p_coffee"), its title ("catalog", "Catalog "), or
	// a line of the text form copied back ("2. My orders").
	Text string
}

// Match returns the id of the option reply picks among options, the
// Options of the message it answers, whichever form was sent. Case and
// spaces do not count in typed text. A reply that could mean two options
// (an id of one and the title of another), or none, matches nothing: the
// bot then asks again rather than guess.
func Match(options []Option, reply Reply) (id string, ok bool) {
	switch {
	case reply.ButtonID != "":
		return byID(options, reply.ButtonID)
	case reply.RowID != "":
		return byID(options, reply.RowID)
	case reply.PollOption != "":
		if id, ok := unique(options, func(o Option) bool { return o.Title == reply.PollOption }); ok {
			return id, true
		}
		f := fold(reply.PollOption)
		return unique(options, func(o Option) bool { return fold(o.Title) == f })
	case len(reply.PollHash) > 0:
		return unique(options, func(o Option) bool {
			h := sha256.Sum256([]byte(o.Title))
			return string(h[:]) == string(reply.PollHash)
		})
	}
	return byText(options, reply.Text)
}

func byID(options []Option, id string) (string, bool) {
	for _, o := range options {
		if o.ID == id {
			return id, true
		}
	}
	return "", false
}

// unique returns the id of the one option pick selects.
func unique(options []Option, pick func(Option) bool) (string, bool) {
	found := -1
	for i, o := range options {
		if pick(o) {
			if found >= 0 {
				return "", false
			}
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return options[found].ID, true
}

func byText(options []Option, text string) (string, bool) {
	f := fold(text)
	if f == "" {
		return "", false
	}
	found := -1
	pick := func(i int) bool {
		if found >= 0 && found != i {
			return false
		}
		found = i
		return true
	}
	if n, rest, ok := leadingNumber(f); ok && n >= 1 && n <= len(options) {
		if rest == "" || rest == fold(options[n-1].Title) {
			pick(n - 1)
		}
	}
	for i, o := range options {
		if f == fold(o.ID) || f == fold(o.Title) {
			if !pick(i) {
				return "", false
			}
		}
	}
	if found < 0 {
		return "", false
	}
	return options[found].ID, true
}

// leadingNumber reads "2", "#2", "2.", "2)" or "2. my orders" from folded
// text: the number, and the text after its punctuation.
func leadingNumber(f string) (n int, rest string, ok bool) {
	f = strings.TrimPrefix(f, "#")
	i := 0
	for i < len(f) && i < 3 && f[i] >= '0' && f[i] <= '9' {
		i++
	}
	if i == 0 || i < len(f) && f[i] >= '0' && f[i] <= '9' {
		return 0, "", false
	}
	n, _ = strconv.Atoi(f[:i])
	rest = f[i:]
	rest = strings.TrimPrefix(rest, ".")
	rest = strings.TrimPrefix(rest, ")")
	if rest != "" && rest[0] != ' ' && len(rest) == len(f[i:]) {
		return 0, "", false // "2kg" is a title, not the number 2
	}
	return n, strings.TrimSpace(rest), true
}
