package template

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"smartbot/app"
)

// counted is a strings.Builder that counts characters as it goes, from
// the lengths build already has: the text form is never counted again.
type counted struct {
	b strings.Builder
	n int
}

func (w *counted) write(s string, n int) {
	w.b.WriteString(s)
	w.n += n
}

// ascii writes a separator made of ASCII only.
func (w *counted) ascii(s string) { w.write(s, len(s)) }

// block starts a new paragraph, unless nothing is written yet.
func (w *counted) block() {
	if w.b.Len() > 0 {
		w.ascii("\n\n")
	}
}

// bold writes s between asterisks, as WhatsApp shows a header, unless
// that would not read as bold: s has its own asterisks, or starts or ends
// with a space.
func (w *counted) bold(s string, n int) {
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if strings.Contains(s, "*") || unicode.IsSpace(first) || unicode.IsSpace(last) {
		w.write(s, n)
		return
	}
	w.ascii("*")
	w.write(s, n)
	w.ascii("*")
}

// number writes "7. ".
func (w *counted) number(n int) {
	if n >= 10 {
		w.b.WriteByte(byte('0' + n/10))
		w.n++
	}
	w.b.WriteByte(byte('0' + n%10))
	w.ascii(". ")
	w.n++
}

// textForm is the message as one plain text, and its length: the header
// in bold, the body, the footer, then the options numbered from 1, a
// list's section titles in bold above their rows.
func (c *Compiled) textForm(texts []string, lens []int) (string, int) {
	var w counted
	size := 8
	for _, t := range texts {
		size += len(t) + 6
	}
	w.b.Grow(size)
	if f := c.header; f != nil && texts[f.idx] != "" {
		w.bold(texts[f.idx], lens[f.idx])
	}
	for _, f := range []*field{c.body, c.footer} {
		if texts[f.idx] != "" {
			w.block()
			w.write(texts[f.idx], lens[f.idx])
		}
	}
	n := 0
	for _, bt := range c.buttons {
		if n == 0 {
			w.block()
		} else {
			w.ascii("\n")
		}
		n++
		w.number(n)
		w.write(texts[bt.title.idx], lens[bt.title.idx])
	}
	if c.list != nil {
		for _, s := range c.list.sections {
			if len(s.rows) == 0 {
				continue
			}
			w.block()
			if t := texts[s.title.idx]; t != "" {
				w.bold(t, lens[s.title.idx])
				w.ascii("\n")
			}
			for i, row := range s.rows {
				if i > 0 {
					w.ascii("\n")
				}
				n++
				w.number(n)
				w.write(texts[row.title.idx], lens[row.title.idx])
				if d := texts[row.desc.idx]; d != "" {
					w.write(" – ", 3)
					w.write(d, lens[row.desc.idx])
				}
			}
		}
	}
	return w.b.String(), w.n
}

// poll makes the poll form, and gives the length of its question. The
// whole message is the question when it fits and has no file; otherwise
// the message goes first, without its options, and the question is the
// list's button text or the body's last line.
func (c *Compiled) poll(options []Option, header *app.TemplateHeader, texts []string, lens []int) (*Poll, int) {
	p := &Poll{Options: options, SelectableCount: 1}
	var parts [3]*field
	for i, f := range []*field{c.header, c.body, c.footer} {
		if f != nil && texts[f.idx] != "" {
			parts[i] = f
		}
	}
	join := func(boldHeader bool) string {
		var w counted
		w.b.Grow(len(texts[c.body.idx]) + len(texts[c.footer.idx]) + 68)
		for i, f := range parts {
			if f == nil {
				continue
			}
			w.block()
			if i == 0 && boldHeader {
				w.bold(texts[f.idx], lens[f.idx])
			} else {
				w.write(texts[f.idx], lens[f.idx])
			}
		}
		return w.b.String()
	}
	if c.media == nil {
		n, blocks := 0, 0
		for _, f := range parts {
			if f != nil {
				n += lens[f.idx]
				blocks++
			}
		}
		if blocks > 1 {
			n += 2 * (blocks - 1)
		}
		if n <= PollNameMax {
			p.Name = join(false)
			return p, n
		}
		p.Intro = &Message{Type: MessageText, Text: join(true)}
	} else {
		p.Intro = &Message{Type: MessageMedia, Header: header, Text: join(false)}
	}
	if c.list != nil {
		p.Name = strings.TrimSpace(texts[c.list.button.idx])
	}
	if p.Name == "" {
		p.Name = lastLine(texts[c.body.idx])
	}
	n := count(p.Name)
	if n > PollNameMax {
		i := 0
		for at := range p.Name {
			if i == PollNameMax-1 {
				p.Name = p.Name[:at] + "…"
				break
			}
			i++
		}
		n = PollNameMax
	}
	return p, n
}

// lastLine is the last line of s with text on it, trimmed: where a
// message usually asks its question.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[i+1:])
	}
	return s
}
